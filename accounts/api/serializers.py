from rest_framework import serializers

from accounts.models import AuthUser
from core.api import serializers as api_serializers


class PasswordGrantSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)
    password = api_serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class AuthUserSerializer(serializers.ModelSerializer):
    """The user object of Supabase Auth's responses (never the password hash)."""

    app_metadata = serializers.JSONField(source="raw_app_meta_data", read_only=True)
    user_metadata = serializers.JSONField(source="raw_user_meta_data", read_only=True)

    class Meta:
        model = AuthUser
        fields = [
            "id", "aud", "role", "email", "email_confirmed_at", "phone", "last_sign_in_at",
            "app_metadata", "user_metadata", "is_anonymous", "created_at", "updated_at",
        ]
        read_only_fields = fields


class AccessTokenSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField()
    expires_at = serializers.IntegerField()
    refresh_token = serializers.CharField()
    user = AuthUserSerializer()

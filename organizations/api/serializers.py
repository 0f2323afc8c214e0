"""Organizations, members, invitations and the role catalogue over the API."""

import json

from rest_framework import serializers

from core import jsontext
from core.api import serializers as api_serializers
from organizations.models import Invitation, Membership, Organization, Role, RoleDefinition

MAX_SETTINGS_BYTES = 16_384


class OrganizationSerializer(api_serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True, help_text="Your role in it.")
    is_personal = serializers.BooleanField(read_only=True)
    slug = api_serializers.SlugField(max_length=63, required=False,
                                 help_text="Unique across organizations; made from the name when left out.")
    settings = serializers.DictField(required=False, help_text="Free-form settings (a JSON object, up to 16 KB).")

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "plan", "settings", "is_personal", "role", "created_at", "updated_at"]
        read_only_fields = ["plan"]

    def validate_settings(self, value):
        problem = jsontext.unstorable_text(value)
        if problem:
            raise serializers.ValidationError(f"Text in settings can't hold {problem}.")
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_SETTINGS_BYTES:
            raise serializers.ValidationError(f"At most {MAX_SETTINGS_BYTES} bytes of JSON.")
        return value


class MembershipSerializer(api_serializers.ModelSerializer):
    email = serializers.EmailField(read_only=True, help_text="The member's email address.")
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "organization", "user", "email", "role", "created_at", "updated_at"]
        read_only_fields = ["organization", "user"]


class InvitationSerializer(api_serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)

    class Meta:
        model = Invitation
        fields = ["id", "organization", "email", "role", "invited_by", "expires_at", "accepted_at", "created_at"]
        read_only_fields = ["organization", "invited_by", "expires_at", "accepted_at"]


class CreatedInvitationSerializer(InvitationSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once: only its hash is kept.")
    url = serializers.CharField(read_only=True, help_text="The invite link to send (shown once).")

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "token", "url"]


class AcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token of the invite link.")


class RoleDefinitionSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = RoleDefinition
        fields = ["name", "description", "permissions"]

from rest_framework import serializers

from core.api import serializers as api_serializers
from sessions_app.models import DraftFile, ResearchSession, file_name_validator

MAX_DRAFT_CONTENT = 500_000  # characters: even escaped, a full draft fits the request size limit


class ResearchSessionSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = ResearchSession
        fields = ["id", "title", "status", "stage", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"title": {"allow_blank": False}}


class DraftFileSerializer(api_serializers.ModelSerializer):
    file_name = api_serializers.CharField(
        max_length=255,
        validators=[file_name_validator],
    )
    content = api_serializers.CharField(max_length=MAX_DRAFT_CONTENT, allow_blank=True, required=False, trim_whitespace=False)

    class Meta:
        model = DraftFile
        fields = ["id", "session", "file_name", "content", "created_at", "updated_at"]
        read_only_fields = ["id", "session", "created_at", "updated_at"]

    def validate_file_name(self, value):
        session = self.context["session"]
        taken = DraftFile.objects.filter(session=session, file_name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("This session already has a file with this name.")
        return value

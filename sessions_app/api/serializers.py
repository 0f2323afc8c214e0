from django.core.validators import RegexValidator
from rest_framework import serializers

from core.api import serializers as api_serializers
from sessions_app.models import DraftFile, ResearchSession

MAX_DRAFT_CONTENT = 1_000_000  # characters
# No path separators, and something besides dots ("." and ".." name directories); NUL and blank
# names are refused as in any other field.
FILE_NAME = rf"^[^\x00/\\]*[^\x00/\\.{api_serializers.WHITESPACE}][^\x00/\\]*$"


class ResearchSessionSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = ResearchSession
        fields = ["id", "title", "status", "stage", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"title": {"allow_blank": False}}


class DraftFileSerializer(api_serializers.ModelSerializer):
    file_name = api_serializers.CharField(
        max_length=255,
        validators=[RegexValidator(FILE_NAME, "A file name needs more than dots, and no path separators.")],
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

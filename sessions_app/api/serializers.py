import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import serializers as api_serializers
from sessions_app import codecs
from sessions_app.models import (
    AnalysisSession,
    DraftFile,
    ResearchSession,
    ValueType,
    file_name_validator,
    storage_key_validator,
)

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


# --- Analysis sessions and their storage --------------------------------------------------------

MAX_METADATA_BYTES = 64 * 1024


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JSONObjectField(serializers.JSONField):
    """A JSON object (jsonb), as the schema says."""


class AnalysisSessionSerializer(api_serializers.ModelSerializer):
    metadata = JSONObjectField(
        required=False,
        help_text="Any JSON object (at most 64 KiB). U+0000, which PostgreSQL's jsonb cannot hold, is stored as U+FFFD.",
    )

    class Meta:
        model = AnalysisSession
        fields = ["id", "name", "analysis_type", "status", "metadata", "created_at", "updated_at", "last_activity_at", "expires_at"]
        read_only_fields = ["id", "created_at", "updated_at", "last_activity_at", "expires_at"]
        extra_kwargs = {"name": {"allow_blank": False}, "analysis_type": {"allow_blank": False}}

    def validate_metadata(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        try:
            text = json.dumps(value, allow_nan=False)
        except (ValueError, RecursionError):
            raise serializers.ValidationError("Must be plain JSON (finite numbers).") from None
        if len(text) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"At most {MAX_METADATA_BYTES} bytes of JSON.")
        try:
            codecs.check_json(value)
        except codecs.CodecError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


class StoredValueSerializer(serializers.Serializer):
    """A stored value's entry: never its value."""

    id = serializers.UUIDField()
    key = serializers.CharField()
    type = serializers.ChoiceField(choices=ValueType.choices, source="value_type")
    size_bytes = serializers.IntegerField()
    is_encrypted = serializers.BooleanField()
    etag = serializers.CharField(help_text="The value's version, as in the ETag header: send it back in If-Match.")
    created_at = api_serializers.DateTimeField()
    updated_at = api_serializers.DateTimeField(help_text="When the value last changed.")
    last_accessed_at = api_serializers.DateTimeField(help_text="When it was last read or written (reads stamp it at most once a minute).")
    expires_at = api_serializers.DateTimeField(allow_null=True)


class StoredValueDetailSerializer(StoredValueSerializer):
    value = serializers.JSONField(
        help_text="As stored: JSON or text as is; a DataFrame as pandas' table schema; an image as "
        "{mime_type, base64}; a figure as {library, spec}."
    )


class DescribeSerializer(serializers.Serializer):
    source_key = api_serializers.CharField(max_length=255, trim_whitespace=False, validators=[storage_key_validator],
                                           help_text="The key of a stored DataFrame.")
    target_key = api_serializers.CharField(max_length=255, trim_whitespace=False, validators=[storage_key_validator],
                                           help_text="Where the result (a DataFrame) is stored.")

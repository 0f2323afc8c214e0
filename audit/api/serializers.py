from rest_framework import serializers

from core.api.serializers import NO_NUL, CharField

TABLES = ["audit_logs", "audit_user_activities", "audit_file_uploads", "audit_analysis_runs", "audit_api_calls", "audit_data_storage"]


class ActivityQuerySerializer(serializers.Serializer):
    table = serializers.ChoiceField(choices=TABLES, required=False, help_text="Only this table (default: all six).")
    kind = CharField(required=False, max_length=100, allow_blank=False, help_text=(
        "Only this kind: the action (audit_logs), activity type, upload or run status, service (outbound calls) "
        "or storage operation."))
    session_id = serializers.UUIDField(required=False, help_text="Only rows about this analysis session.")
    created_after = serializers.DateTimeField(required=False, help_text="Inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="Exclusive.")
    cursor = CharField(required=False, max_length=200, allow_blank=False, help_text="The `next` link's cursor.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    def validate_kind(self, value):
        if "\x00" in value:
            raise serializers.ValidationError("May not contain NUL characters.")
        return value


class ActivityItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    table = serializers.ChoiceField(choices=TABLES)
    kind = serializers.CharField(help_text="See the `kind` filter.")
    summary = serializers.CharField(help_text="What it was about: resource, file, analysis, endpoint or key.")
    session_id = serializers.UUIDField(allow_null=True)
    request_id = serializers.CharField()
    details = serializers.DictField()
    created_at = serializers.DateTimeField()


class ActivityPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    results = ActivityItemSerializer(many=True)


__all__ = ["ActivityQuerySerializer", "ActivityItemSerializer", "ActivityPageSerializer", "NO_NUL"]

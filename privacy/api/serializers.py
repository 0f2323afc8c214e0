from datetime import datetime

from rest_framework import serializers

from core.api import serializers as api_serializers
from privacy.models import (
    AllowedApp,
    DeviceToken,
    FileEvent,
    Pattern,
    PrivacyExport,
    PrivacyPrefs,
    Relationship,
    SignalToggle,
    TelemetryEvent,
    TransparencyLogEntry,
)


class PrefsSerializer(api_serializers.ModelSerializer):
    updated_at = serializers.SerializerMethodField(help_text="Null until the preferences are first changed.")

    class Meta:
        model = PrivacyPrefs
        fields = ["consent_given", "monitoring_enabled", "data_retention_days", "mfa_required", "last_reviewed_at", "updated_at"]
        read_only_fields = ["last_reviewed_at", "updated_at"]

    def get_updated_at(self, prefs) -> datetime | None:
        return None if prefs._state.adding else prefs.updated_at


class AllowedAppSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = AllowedApp
        fields = ["id", "app_id", "app_name", "enabled", "scope", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # (user, app_id) is unique: a repeat answers 409 (views)


class SignalToggleSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = SignalToggle
        fields = ["id", "signal_key", "enabled", "sampling_rate", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []


class DeviceTokenSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = DeviceToken
        fields = ["id", "name", "token_prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "token_prefix", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"name": {"allow_blank": False}}


class NewDeviceTokenSerializer(DeviceTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself: shown this once, never again.")

    class Meta(DeviceTokenSerializer.Meta):
        fields = ["token", *DeviceTokenSerializer.Meta.fields]


class TelemetryEventSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = TelemetryEvent
        fields = ["id", "client_event_id", "timestamp", "app_id", "event_type", "duration_ms", "metadata_redacted_json", "created_at"]
        read_only_fields = fields


class FileEventSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = FileEvent
        fields = ["id", "client_event_id", "timestamp", "file_path", "event_type", "tool", "metadata", "created_at"]
        read_only_fields = fields


class PatternSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = Pattern
        fields = ["id", "file_extension", "count", "last_used", "tools", "updated_at"]
        read_only_fields = fields


class RelationshipSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = Relationship
        fields = ["id", "source_file", "target_file", "relation_type", "weight", "last_seen", "updated_at"]
        read_only_fields = fields


class TransparencyLogSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = TransparencyLogEntry
        fields = ["id", "position", "timestamp", "action", "resource", "resource_id", "old_value_hash", "new_value_hash",
                  "metadata", "prev_hash", "row_hash"]
        read_only_fields = fields


class ChainStatusSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    entries = serializers.IntegerField()
    broken_at = serializers.IntegerField(allow_null=True, help_text="The position of the first entry that breaks the chain.")
    reason = serializers.CharField(allow_blank=True)


class GateCountsSerializer(serializers.Serializer):
    allowlist = serializers.IntegerField()
    signal = serializers.IntegerField()
    sampling = serializers.IntegerField()


class StoredCountsSerializer(serializers.Serializer):
    telemetry = serializers.IntegerField()
    file_events = serializers.IntegerField()


class IngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    stored = StoredCountsSerializer()
    dropped = GateCountsSerializer()
    duplicates = serializers.ListField(child=serializers.UUIDField(), help_text="Ids already stored (or repeated in the batch): skipped.")


class DeletedCountsSerializer(serializers.Serializer):
    telemetry_events = serializers.IntegerField()
    file_events = serializers.IntegerField()


class HealthSerializer(serializers.Serializer):
    redaction_trigger = serializers.DictField()
    tables = serializers.DictField()
    last_retention_run = serializers.DictField(allow_null=True)
    dropped_last_24h = GateCountsSerializer()
    scope = serializers.CharField()
    checked_at = serializers.DateTimeField()


class ExportSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = PrivacyExport
        fields = ["id", "status", "size_bytes", "created_at", "ready_at", "downloaded_at"]
        read_only_fields = fields

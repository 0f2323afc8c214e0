from datetime import datetime

from django.db import models
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


class StrictBooleanField(serializers.BooleanField):
    """JSON's true and false only: not 0, 1, "yes" or "on" (the schema says boolean)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictFloatField(serializers.FloatField):
    """A JSON number: not true or false (Python's bool is an int)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(api_serializers.ModelSerializer):
    serializer_field_mapping = {**api_serializers.ModelSerializer.serializer_field_mapping,
                                models.BooleanField: StrictBooleanField, models.FloatField: StrictFloatField}


class PrivacyPrefsSerializer(ModelSerializer):
    updated_at = serializers.SerializerMethodField(help_text="Null until the preferences are first changed.")

    class Meta:
        model = PrivacyPrefs
        fields = ["consent_given", "monitoring_enabled", "data_retention_days", "mfa_required", "last_reviewed_at", "updated_at"]
        read_only_fields = ["last_reviewed_at", "updated_at"]

    def get_updated_at(self, prefs) -> datetime | None:
        return None if prefs._state.adding else prefs.updated_at


class PrivacyAllowedAppSerializer(ModelSerializer):
    class Meta:
        model = AllowedApp
        fields = ["id", "app_id", "app_name", "enabled", "scope", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # (user, app_id) is unique: a repeat answers 409 (views)


class PrivacySignalToggleSerializer(ModelSerializer):
    class Meta:
        model = SignalToggle
        fields = ["id", "signal_key", "enabled", "sampling_rate", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []


class PrivacyDeviceTokenSerializer(ModelSerializer):
    class Meta:
        model = DeviceToken
        fields = ["id", "name", "token_prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "token_prefix", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"name": {"allow_blank": False}}


class PrivacyNewDeviceTokenSerializer(PrivacyDeviceTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself: shown this once, never again.")

    class Meta(PrivacyDeviceTokenSerializer.Meta):
        fields = ["token", *PrivacyDeviceTokenSerializer.Meta.fields]


class PrivacyTelemetryEventSerializer(ModelSerializer):
    class Meta:
        model = TelemetryEvent
        fields = ["id", "client_event_id", "timestamp", "app_id", "event_type", "duration_ms", "metadata_redacted_json", "created_at"]
        read_only_fields = fields


class PrivacyFileEventSerializer(ModelSerializer):
    class Meta:
        model = FileEvent
        fields = ["id", "client_event_id", "timestamp", "file_path", "event_type", "tool", "metadata", "created_at"]
        read_only_fields = fields


class PrivacyPatternSerializer(ModelSerializer):
    class Meta:
        model = Pattern
        fields = ["id", "file_extension", "count", "last_used", "tools", "updated_at"]
        read_only_fields = fields


class PrivacyRelationshipSerializer(ModelSerializer):
    class Meta:
        model = Relationship
        fields = ["id", "source_file", "target_file", "relation_type", "weight", "last_seen", "updated_at"]
        read_only_fields = fields


class PrivacyTransparencyLogSerializer(ModelSerializer):
    class Meta:
        model = TransparencyLogEntry
        fields = ["id", "position", "timestamp", "action", "resource", "resource_id", "old_value_hash", "new_value_hash",
                  "metadata", "prev_hash", "row_hash"]
        read_only_fields = fields


class PrivacyChainStatusSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    entries = serializers.IntegerField()
    broken_at = serializers.IntegerField(allow_null=True, help_text="The position of the first entry that breaks the chain.")
    reason = serializers.CharField(allow_blank=True)


class PrivacyGateCountsSerializer(serializers.Serializer):
    allowlist = serializers.IntegerField()
    signal = serializers.IntegerField()
    sampling = serializers.IntegerField()


class PrivacyStoredCountsSerializer(serializers.Serializer):
    telemetry = serializers.IntegerField()
    file_events = serializers.IntegerField()


class PrivacyIngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    stored = PrivacyStoredCountsSerializer()
    dropped = PrivacyGateCountsSerializer()
    duplicates = serializers.ListField(child=serializers.UUIDField(), help_text="Ids already stored (or repeated in the batch): skipped.")


class PrivacyDeletedCountsSerializer(serializers.Serializer):
    telemetry_events = serializers.IntegerField()
    file_events = serializers.IntegerField()


class PrivacyHealthSerializer(serializers.Serializer):
    redaction_trigger = serializers.DictField()
    tables = serializers.DictField()
    last_retention_run = serializers.DictField(allow_null=True)
    dropped_last_24h = PrivacyGateCountsSerializer()
    scope = serializers.CharField()
    checked_at = serializers.DateTimeField()


class PrivacyExportSerializer(ModelSerializer):
    class Meta:
        model = PrivacyExport
        fields = ["id", "status", "size_bytes", "created_at", "ready_at", "downloaded_at"]
        read_only_fields = fields

from rest_framework import serializers

from core.api import serializers as api_serializers
from partners.insights import REGISTRY
from partners.models import ApiKey, IngestionEvent, Insight, Partner, PredictionModel, RequestLog
from partners.services import key_status


class PartnerSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "email", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"name": {"allow_blank": False}}


class ApiKeySerializer(serializers.ModelSerializer):
    """What the seed's get_api_key_for_partner returns, and the key's state; never the hash."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["id", "key_prefix", "status", "created_at", "updated_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = fields

    def get_status(self, api_key) -> str:
        return key_status(api_key)


class NewApiKeySerializer(ApiKeySerializer):
    api_key = serializers.CharField(help_text="The key itself: shown this once, never again.")

    class Meta(ApiKeySerializer.Meta):
        fields = ["api_key", *ApiKeySerializer.Meta.fields]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    client_event_id = serializers.UUIDField(allow_null=True, help_text="The `id` the client sent, if any.")

    class Meta:
        model = IngestionEvent
        fields = ["id", "client_event_id", "event_type", "data", "source", "version", "metadata", "created_at"]
        read_only_fields = fields


class IngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    stored = serializers.IntegerField()
    duplicates = serializers.ListField(child=serializers.UUIDField(), help_text="Client ids already stored: not stored again.")


class ModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = PredictionModel
        fields = ["id", "name", "description", "version", "status", "metadata", "created_at", "updated_at"]
        read_only_fields = fields


class InsightSerializer(serializers.ModelSerializer):
    model = ModelSerializer(read_only=True)

    class Meta:
        model = Insight
        fields = ["id", "model", "content", "metadata", "created_at"]
        read_only_fields = fields


class GenerateInsightsSerializer(serializers.Serializer):
    models = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(REGISTRY)), required=False, min_length=1,
        help_text="Names of built-in models to run (all when absent).",
    )


class LogSerializer(serializers.ModelSerializer):
    """A row of the seed's get_logs_for_partner."""

    class Meta:
        model = RequestLog
        fields = ["id", "endpoint", "method", "status", "duration", "created_at"]
        read_only_fields = fields


class UsageDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    event_count = serializers.IntegerField()
    insight_count = serializers.IntegerField()


class UsageQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, default=30, help_text="How many days up to today.")

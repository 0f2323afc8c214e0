from rest_framework import serializers

from business.models import Offer, Subscription
from core.api import serializers as api_serializers


class SubscriptionSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["id", "plan", "status", "current_period_start", "current_period_end", "cancel_at_period_end",
                  "amount_cents", "currency", "interval", "interval_count", "created_at", "updated_at"]
        read_only_fields = fields


class OfferSerializer(api_serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = ["key", "name", "description", "plan_type", "discount", "valid_from", "valid_to", "metadata"]
        read_only_fields = fields


class FlagsSerializer(serializers.Serializer):
    flags = serializers.DictField(child=serializers.BooleanField(), help_text="every flag's key: on for the caller?")


class WebhookResultSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="the event's id")
    type = serializers.CharField()
    result = serializers.ChoiceField(["applied", "stale", "duplicate"],
                                     help_text="stale: a newer event had been applied; duplicate: delivered before")

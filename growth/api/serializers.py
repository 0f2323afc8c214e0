from rest_framework import serializers

from growth.models import AnalyticsEvent


class AnalyticsEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnalyticsEvent
        fields = ["id", "event_id", "occurred_at", "event_name", "props", "created_at", "updated_at"]
        read_only_fields = fields


class UpsertResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Events stored before under the same event_id, now changed.")
    unchanged = serializers.IntegerField(help_text="Events stored before exactly as sent: nothing written.")

"""The product's own front end records its events here (an end user's token; the events are theirs,
under row-level security) and reads back what was recorded about them."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response

from core.api.views import UUID_PATTERN, OwnedMixin, RLSMixin, RowListMixin
from growth import services
from growth.api import serializers
from growth.models import AnalyticsEvent

BATCH_SCHEMA = {
    "type": "object",
    "properties": {"rows": {"type": "array", "items": services.EVENT_SCHEMA, "minItems": 1, "maxItems": services.MAX_ROWS}},
    "required": ["rows"],
    "additionalProperties": False,
}


class AnalyticsEventViewSet(RLSMixin, OwnedMixin, RowListMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My analytics events, newest first; POST a batch of up to 1000 (seed: upsert_events)."""

    serializer_class = serializers.AnalyticsEventSerializer
    queryset = AnalyticsEvent.objects.all()
    lookup_value_regex = UUID_PATTERN
    filter_backends = []

    def get_queryset(self):
        return super().get_queryset().order_by("-occurred_at", "-id")

    @extend_schema(
        request={"application/json": BATCH_SCHEMA},
        responses={200: serializers.UpsertResultSerializer},
        description="Insert or update my events by their event_id, all or nothing: one bad row refuses the "
        "batch with a 400 naming every bad row by its index.",
    )
    def create(self, request):
        body = request.data
        if not isinstance(body, dict) or set(body) != {"rows"}:
            raise exceptions.ValidationError({"non_field_errors": ["The body is {\"rows\": [event, ...]}."]})
        try:
            result = services.upsert_events(body["rows"])
        except services.BatchInvalid as exc:
            raise exceptions.ValidationError(exc.fields or {"rows": [exc.message]}) from exc
        return Response(result)

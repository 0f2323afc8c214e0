from core.api.filters import CreatedRangeFilterSet
from partners.models import IngestionEvent


class EventFilter(CreatedRangeFilterSet):
    class Meta:
        model = IngestionEvent
        fields = ["event_type", "source"]

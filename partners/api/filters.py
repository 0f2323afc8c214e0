import django_filters

from core.api.filters import FilterSet
from partners.models import IngestionEvent


class EventFilter(FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = IngestionEvent
        fields = ["event_type", "source"]

import django_filters

from core.api.filters import FilterSet
from sessions_app.models import ResearchSession


class ResearchSessionFilter(FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ResearchSession
        fields = ["status", "stage"]

from core.api.filters import CreatedRangeFilterSet
from sessions_app.models import ResearchSession


class ResearchSessionFilter(CreatedRangeFilterSet):
    class Meta:
        model = ResearchSession
        fields = ["status", "stage"]

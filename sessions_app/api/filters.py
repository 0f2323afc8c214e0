from core.api.filters import CreatedRangeFilterSet
from sessions_app.models import AnalysisSession, ResearchSession


class ResearchSessionFilter(CreatedRangeFilterSet):
    class Meta:
        model = ResearchSession
        fields = ["status", "stage"]


class AnalysisSessionFilter(CreatedRangeFilterSet):
    class Meta:
        model = AnalysisSession
        fields = ["status", "analysis_type"]

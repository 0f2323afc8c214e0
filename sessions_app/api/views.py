from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from core.api.filters import SearchFilter
from core.api.views import OwnedModelViewSet
from core.parents import ParentFromURLMixin
from sessions_app.api.filters import AnalysisSessionFilter, ResearchSessionFilter
from sessions_app.api.serializers import AnalysisSessionSerializer, DraftFileSerializer, ResearchSessionSerializer
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession


class ResearchSessionViewSet(OwnedModelViewSet):
    """My research sessions (seed 004)."""

    queryset = ResearchSession.objects.all()
    serializer_class = ResearchSessionSerializer
    filterset_class = ResearchSessionFilter
    filter_backends = OwnedModelViewSet.filter_backends + [SearchFilter]
    search_fields = ["title"]
    ordering_fields = ["created_at", "updated_at", "title"]


SESSION_ID = OpenApiParameter("session_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Research session id")


@extend_schema_view(
    **{action: extend_schema(parameters=[SESSION_ID]) for action in ["list", "create", "retrieve", "update", "partial_update", "destroy"]}
)
class DraftFileViewSet(ParentFromURLMixin, OwnedModelViewSet):
    """Draft files of one of my research sessions."""

    queryset = DraftFile.objects.all()
    serializer_class = DraftFileSerializer
    ordering_fields = ["file_name", "created_at", "updated_at"]
    parent_model = ResearchSession

    def get_queryset(self):
        return super().get_queryset().filter(session=self.get_parent())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if "session_pk" in self.kwargs:  # absent when drf-spectacular inspects the view
            context["session"] = self.get_parent()
        return context

    def perform_create(self, serializer):
        serializer.save(session=self.get_parent())


class AnalysisSessionViewSet(OwnedModelViewSet):
    """My analysis sessions (seed 000): containers of typed values (`.../storage/`). A session
    expires after `ANALYSIS_SESSION_IDLE_TTL` seconds without a write; setting `status` back to
    `active` reopens an expired one."""

    queryset = AnalysisSession.objects.all()
    serializer_class = AnalysisSessionSerializer
    filterset_class = AnalysisSessionFilter
    filter_backends = OwnedModelViewSet.filter_backends + [SearchFilter]
    search_fields = ["name"]
    ordering_fields = ["created_at", "updated_at", "last_activity_at", "name"]

    def perform_update(self, serializer):
        session = serializer.instance
        if session.status == AnalysisSession.Status.EXPIRED and serializer.validated_data.get("status") == AnalysisSession.Status.ACTIVE:
            session.reopen()
            serializer.save(last_activity_at=session.last_activity_at, expires_at=session.expires_at)
        else:
            serializer.save()

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from core.api.views import UUID_PATTERN
from sessions_app.api import storage_views, views

router = SimpleRouter()
router.register("research-sessions", views.ResearchSessionViewSet, basename="research-session")
router.register(
    rf"research-sessions/(?P<session_pk>{UUID_PATTERN})/draft-files", views.DraftFileViewSet, basename="draft-file"
)
router.register("analysis-sessions", views.AnalysisSessionViewSet, basename="analysis-session")

ANALYSIS_SESSION = rf"^analysis-sessions/(?P<session_pk>{UUID_PATTERN})"
urlpatterns = router.urls + [
    re_path(rf"{ANALYSIS_SESSION}/storage/$", storage_views.StoredValueListView.as_view(), name="stored-value-list"),
    # Any key without "/": 1 to 255 characters (checked by the view, which answers 400 otherwise).
    re_path(rf"{ANALYSIS_SESSION}/storage/(?P<key>[^/]+)$", storage_views.StoredValueView.as_view(), name="stored-value"),
    re_path(rf"{ANALYSIS_SESSION}/analyses/describe$", storage_views.DescribeView.as_view(), name="analysis-describe"),
]

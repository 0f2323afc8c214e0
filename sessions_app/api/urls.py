from rest_framework.routers import SimpleRouter

from core.api.views import UUID_PATTERN
from sessions_app.api import views

router = SimpleRouter()
router.register("research-sessions", views.ResearchSessionViewSet, basename="research-session")
router.register(
    rf"research-sessions/(?P<session_pk>{UUID_PATTERN})/draft-files", views.DraftFileViewSet, basename="draft-file"
)

urlpatterns = router.urls

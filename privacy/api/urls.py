from django.urls import path
from rest_framework.routers import SimpleRouter

from privacy.api import views

router = SimpleRouter(trailing_slash=False)
router.register("privacy/apps", views.AllowedAppViewSet, basename="privacy-apps")
router.register("privacy/signals", views.SignalToggleViewSet, basename="privacy-signals")
router.register("privacy/device-tokens", views.DeviceTokenViewSet, basename="privacy-device-tokens")

urlpatterns = [
    path("privacy/prefs", views.PrefsView.as_view(), name="privacy-prefs"),
    path("privacy/telemetry", views.TelemetryView.as_view(), name="privacy-telemetry"),
    path("privacy/file-events", views.FileEventListView.as_view(), name="privacy-file-events"),
    path("privacy/patterns", views.PatternListView.as_view(), name="privacy-patterns"),
    path("privacy/relationships", views.RelationshipListView.as_view(), name="privacy-relationships"),
    path("privacy/log", views.TransparencyLogView.as_view(), name="privacy-log"),
    path("privacy/log/verify", views.VerifyLogView.as_view(), name="privacy-log-verify"),
    path("privacy/health", views.HealthView.as_view(), name="privacy-health"),
    path("privacy/exports", views.ExportListView.as_view(), name="privacy-exports"),
    path("privacy/exports/<uuid:pk>/download", views.ExportDownloadView.as_view(), name="privacy-export-download"),
    path("privacy/ingest", views.IngestView.as_view(), name="privacy-ingest"),
    *router.urls,
]

from django.urls import path

from partners.api import views

urlpatterns = [
    path("partner/profile", views.ProfileView.as_view(), name="partner-profile"),
    path("partner/api-key", views.ApiKeyView.as_view(), name="partner-api-key"),
    path("partner/api-key/regenerate", views.RegenerateApiKeyView.as_view(), name="partner-api-key-regenerate"),
    path("partner/events", views.EventListView.as_view(), name="partner-events"),
    path("partner/insights", views.InsightListView.as_view(), name="partner-insights"),
    path("partner/insights/generate", views.GenerateInsightsView.as_view(), name="partner-insights-generate"),
    path("partner/logs", views.LogListView.as_view(), name="partner-logs"),
    path("partner/usage", views.UsageView.as_view(), name="partner-usage"),
    path("ingest/events", views.IngestView.as_view(), name="ingest-events"),
    path("models", views.ModelListView.as_view(), name="models"),
]

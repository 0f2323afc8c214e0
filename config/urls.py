from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api import errors

admin.site.site_header = "Supa monolith administration"
admin.site.site_title = "Supa monolith admin"
admin.site.index_title = "Operations"

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("sessions_app.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("chat.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("organizations.api.urls")),
    path("", include("workflows.api.urls")),
    path("", include("privacy.api.urls")),
    path("", include("growth.api.urls")),
    path("", include("business.api.urls")),
]

urlpatterns = [
    path("admin/growth/", include("growth.urls")),  # staff only (growth/views.py)
    path("admin/system/", include("business.urls")),  # staff: the System page (business/views.py)
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline: no CSP nonce needed.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # Any other /api/ path answers the JSON error shape, with DEBUG on too (Django's debug 404 page is
    # HTML) and without APPEND_SLASH's redirect (which would drop a POST's body).
    re_path(r"^api/", errors.not_found),
    path("auth/v1/", include("accounts.gotrue.urls")),  # Supabase Auth's API (GoTrue), docs/auth.md
    path("accounts/", include("accounts.urls")),
    path("partner/", include("partners.urls")),
    path("activity/", include("audit.urls")),
    path("chat/", include("chat.urls")),
    path("organizations/", include("organizations.urls")),
    path("workflows/", include("workflows.urls")),
    path("privacy/", include("privacy.urls")),
    path("", include("sessions_app.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"

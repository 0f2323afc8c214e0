from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "Supa monolith administration"
admin.site.site_title = "Supa monolith admin"
admin.site.index_title = "Operations"

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("sessions_app.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("chat.api.urls")),
    path("", include("audit.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("accounts/", include("accounts.urls")),
    path("partner/", include("partners.urls")),
    path("activity/", include("audit.urls")),
    path("chat/", include("chat.urls")),
    path("", include("sessions_app.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"

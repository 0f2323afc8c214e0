from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("profile/", views.edit_profile, name="profile"),
    path("key/regenerate/", views.regenerate_key, name="regenerate-key"),
    path("key/revoke/", views.revoke_key, name="revoke-key"),
    path("insights/generate/", views.generate_insights, name="generate-insights"),
]

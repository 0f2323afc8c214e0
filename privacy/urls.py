from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("prefs/", views.save_prefs, name="prefs"),
    path("apps/", views.add_app, name="add-app"),
    path("apps/<uuid:pk>/toggle/", views.toggle_app, name="toggle-app"),
    path("apps/<uuid:pk>/remove/", views.remove_app, name="remove-app"),
    path("signals/", views.save_signal, name="save-signal"),
    path("signals/<uuid:pk>/remove/", views.remove_signal, name="remove-signal"),
    path("tokens/", views.create_token, name="create-token"),
    path("tokens/<uuid:pk>/revoke/", views.revoke_token, name="revoke-token"),
    path("exports/", views.request_export, name="request-export"),
    path("exports/<uuid:pk>/download/", views.download_export, name="download-export"),
    path("telemetry/delete/", views.delete_telemetry, name="delete-telemetry"),
]

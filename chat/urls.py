from django.urls import path

from chat.views import credentials

app_name = "chat"

urlpatterns = [
    # Google Analytics credentials
    path("ga4/", credentials.CredentialList.as_view(), name="ga4-list"),
    path("ga4/connect/", credentials.Connect.as_view(), name="ga4-connect"),
    path("ga4/callback/", credentials.callback, name="ga4-callback"),
    path("ga4/<uuid:pk>/reconnect/", credentials.Reconnect.as_view(), name="ga4-reconnect"),
    path("ga4/<uuid:pk>/revoke/", credentials.Revoke.as_view(), name="ga4-revoke"),
]

from django.urls import path

from chat.api import credentials

urlpatterns = [
    path("ga4/credentials", credentials.CredentialListCreate.as_view(), name="ga4-credentials"),
    path("ga4/credentials/<uuid:pk>", credentials.CredentialDetail.as_view(), name="ga4-credential"),
]

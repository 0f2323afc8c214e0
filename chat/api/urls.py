from django.urls import path
from rest_framework.routers import SimpleRouter

from chat.api import credentials, views
from core.api.views import UUID_PATTERN

router = SimpleRouter()
router.register("chat/sessions", views.ChatSessionViewSet, basename="chat-session")
router.register(rf"chat/sessions/(?P<session_pk>{UUID_PATTERN})/messages", views.ChatMessageViewSet, basename="chat-message")

urlpatterns = [
    path("ga4/credentials", credentials.CredentialListCreate.as_view(), name="ga4-credentials"),
    path("ga4/credentials/<uuid:pk>", credentials.CredentialDetail.as_view(), name="ga4-credential"),
    path("chat/messages/<uuid:id>/stream", views.MessageStreamView.as_view(), name="chat-message-stream"),
    path("chat/messages/<uuid:id>/retry", views.MessageRetryView.as_view(), name="chat-message-retry"),
    *router.urls,
]

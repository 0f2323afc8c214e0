from django.urls import path

from chat.views import chat, credentials

app_name = "chat"

urlpatterns = [
    # Google Analytics credentials
    path("ga4/", credentials.CredentialList.as_view(), name="ga4-list"),
    path("ga4/connect/", credentials.Connect.as_view(), name="ga4-connect"),
    path("ga4/callback/", credentials.callback, name="ga4-callback"),
    path("ga4/<uuid:pk>/reconnect/", credentials.Reconnect.as_view(), name="ga4-reconnect"),
    path("ga4/<uuid:pk>/revoke/", credentials.Revoke.as_view(), name="ga4-revoke"),
    # Chats
    path("", chat.ChatList.as_view(), name="chat-list"),
    path("new/", chat.ChatCreate.as_view(), name="chat-create"),
    path("<uuid:pk>/", chat.ChatDetail.as_view(), name="chat-detail"),
    path("<uuid:pk>/edit/", chat.ChatUpdate.as_view(), name="chat-update"),
    path("<uuid:pk>/delete/", chat.ChatDelete.as_view(), name="chat-delete"),
    path("<uuid:pk>/ask/", chat.Ask.as_view(), name="chat-ask"),
    path("messages/<uuid:pk>/stream/", chat.message_stream, name="message-stream"),
    path("messages/<uuid:pk>/retry/", chat.message_retry, name="message-retry"),
]

"""The chat's SQL statement counts (tests/query_counts.py; recorded in query_counts.json)."""

from chat.models import ChatMessage, ChatSession, GA4Credential
from tests.query_counts import Count, api_crud, contract


def _chat(owner):
    return ChatSession.objects.create(user=owner, title="A chat", persona="po")


def _message(owner):
    return ChatMessage.objects.create(session=_chat(owner), role="user", content={"type": "user", "text": "Hello?"})


def _message_beside(obj):
    ChatMessage.objects.create(session=obj.session, role="user", content={"type": "user", "text": "More?"})


def _credential(owner):
    property_id = str(100000000 + GA4Credential.objects.count())  # one credential per property and user
    return GA4Credential.objects.create(user=owner, property_id=property_id, property_name="Shop", refresh_token="1//r")


COUNTS = [
    *api_crud("chat-sessions", _chat, "/api/v1/chat/sessions/", create={"title": "New"},
              update={"title": "Changed"}, more=lambda obj: _chat(obj.user)),
    Count("api messages list", _message, "get", lambda obj: f"/api/v1/chat/sessions/{obj.session_id}/messages/",
          more=_message_beside),
    Count("api message detail", _message, "get", lambda obj: f"/api/v1/chat/sessions/{obj.session_id}/messages/{obj.pk}/"),
    Count("api ga4 credentials list", _credential, "get", lambda obj: "/api/v1/ga4/credentials",
          more=lambda obj: _credential(obj.user)),
    Count("api ga4 credential detail", _credential, "get", lambda obj: f"/api/v1/ga4/credentials/{obj.pk}"),
    Count("page chat list", _chat, "get", lambda obj: "/chat/", page=True, more=lambda obj: _chat(obj.user)),
    Count("page chat detail", _message, "get", lambda obj: f"/chat/{obj.session_id}/", page=True, more=_message_beside),
    Count("page ga4 list", _credential, "get", lambda obj: "/chat/ga4/", page=True, more=lambda obj: _credential(obj.user)),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

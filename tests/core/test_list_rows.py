"""Lists read as rows (core.api.views.RowListMixin): every user-owned collection whose serializer
writes out plain columns lists them without a model instance per row, and writes each row out
exactly as its detail endpoint writes the instance."""

import pytest
from django.db.models.signals import post_init
from django.urls import resolve

from core.api.views import RowListMixin
from tests.isolation.resources import RESOURCES

pytestmark = pytest.mark.django_db

# The collections read as rows. One that falls back to instances (a field that is not a plain
# column, a cursor paginator) is listed in INSTANCES with its reason, so the choice is deliberate.
ROWS = {"research-session", "draft-file", "analysis-session", "chat-session", "privacy-app", "privacy-signal",
        "workflow-execution"}
INSTANCES = {
    "stored-value": "its own list view (typed values, not a ModelViewSet)",
    "ga4-credential": "its own list view (generics.ListCreateAPIView)",
    "workflow": "`webhook_enabled` is a method field (whether a webhook secret is set)",
    "user-integration": "`config_summary` is computed from the decrypted config (django-cryptography), per instance",
    "chat-message": "cursor pagination reads its position from instances; `content` is computed",
}


def test_every_resource_is_classified():
    assert {r.name for r in RESOURCES} == ROWS | set(INSTANCES)


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r.name in ROWS], ids=lambda r: r.name)
def test_list_rows_are_the_detail_and_build_no_instance(resource, user_a, api):
    obj = resource.make(user_a)
    client = api(user_a)
    view = resolve(resource.api_collection(obj)).func.cls
    assert issubclass(view, RowListMixin)

    built = []
    def count(sender, instance, **kwargs):
        built.append(instance)

    post_init.connect(count, sender=type(obj))
    try:
        listed = client.get(resource.api_collection(obj))
    finally:
        post_init.disconnect(count, sender=type(obj))
    assert listed.status_code == 200, listed.content[:300]
    assert built == []
    [row] = [row for row in listed.json()["results"] if row["id"] == str(obj.pk)]
    assert row == client.get(resource.api_detail(obj)).json()


def test_rows_and_instances_give_the_same_json(user_a, api):
    """Foreign keys as ids, nulls, JSON and time stamps: a chat session with and without a credential."""
    from chat.models import ChatSession, GA4Credential

    credential = GA4Credential.objects.create(user=user_a, property_id="1", refresh_token="1//r")
    with_credential = ChatSession.objects.create(user=user_a, title="with", persona="po", credential=credential)
    without = ChatSession.objects.create(user=user_a, title="without", persona="po")
    client = api(user_a)
    listed = {row["id"]: row for row in client.get("/api/v1/chat/sessions/").json()["results"]}
    for session in (with_credential, without):
        assert listed[str(session.pk)] == client.get(f"/api/v1/chat/sessions/{session.pk}/").json()
    assert listed[str(with_credential.pk)]["credential"] == str(credential.pk)
    assert listed[str(without.pk)]["credential"] is None

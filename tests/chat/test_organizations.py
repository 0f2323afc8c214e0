"""Chats in organizations: a chat is created in the organization its owner acts in (pages: the header
switcher's choice; API: `X-Organization-Id`), each list shows that organization's chats (still only
the caller's own), a message lands in its chat's tenant whichever organization is active, GA4
credentials stay in the personal organization, and the database holds to the same rules (RLS on the
tenant, chats going home when their owner leaves)."""

import uuid

import pytest
from django.db import ProgrammingError, connection, transaction

from accounts.tenancy import tenant_for
from chat.models import ChatMessage, ChatSession, GA4Credential
from core import rls
from organizations import services as organization_services
from organizations.models import Membership
from tests.organizations.conftest import make_org  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]

SESSIONS = "/api/v1/chat/sessions/"
HEADER = "HTTP_X_ORGANIZATION_ID"


@pytest.fixture
def acme(make_org, user_b, user_a):
    return make_org(user_b, "Acme", member=[user_a])


@pytest.fixture
def globex(make_org, user_b, user_a):
    return make_org(user_b, "Globex", viewer=[user_a])


def titles(response) -> set[str]:
    return {row["title"] for row in response.json()["results"]}


# --- pages: the header switcher -----------------------------------------------------------------------


def test_pages_create_and_list_in_the_organization_picked_in_the_switcher(pages, user_a, user_b, acme):
    ChatSession.objects.create(user=user_b, tenant_id=acme.pk, title="Bob in Acme")  # a colleague's: never listed
    client = pages(user_a)
    assert client.post("/chat/new/", {"title": "Mine", "persona": "general"}).status_code == 302

    assert client.post("/organizations/switch/", {"organization_id": str(acme.pk), "next": "/chat/"}).status_code == 302
    assert client.post("/chat/new/", {"title": "For Acme", "persona": "general"}).status_code == 302
    in_acme = client.get("/chat/").content
    assert b"For Acme" in in_acme and b"Mine</a>" not in in_acme and b"Bob in Acme" not in in_acme

    client.post("/organizations/switch/", {"organization_id": str(user_a.pk), "next": "/chat/"})
    personal = client.get("/chat/").content
    assert b"Mine</a>" in personal and b"For Acme" not in personal
    tenants = dict(ChatSession.objects.filter(user=user_a).values_list("title", "tenant_id"))
    assert tenants == {"Mine": user_a.pk, "For Acme": acme.pk}


def test_a_page_naming_an_organization_of_others_is_404_and_creates_nothing(pages, make_org, user_a, user_b):
    theirs = make_org(user_b, "Initech")
    client = pages(user_a)
    assert client.post("/chat/new/", {"title": "x", "persona": "general"}, **{HEADER: str(theirs.pk)}).status_code == 404
    assert client.get("/chat/", **{HEADER: str(theirs.pk)}).status_code == 404
    assert not ChatSession.objects.exists()


def test_a_switcher_pick_of_an_organization_one_has_left_falls_back_to_the_personal_one(pages, user_a, acme):
    client = pages(user_a)
    client.post("/organizations/switch/", {"organization_id": str(acme.pk)})
    Membership.objects.filter(organization=acme, user=user_a).delete()
    assert client.post("/chat/new/", {"title": "After", "persona": "general"}).status_code == 302
    assert ChatSession.objects.get(title="After").tenant_id == user_a.pk


# --- API: X-Organization-Id -------------------------------------------------------------------------


def test_api_creates_and_lists_in_the_organization_of_the_header(api, user_a, user_b, acme, globex):
    client = api(user_a)
    ChatSession.objects.create(user=user_b, tenant_id=acme.pk, title="Bob in Acme")
    for organization, title in ((None, "Mine"), (acme, "For Acme"), (globex, "For Globex")):  # a viewer too: the chat is private
        header = {HEADER: str(organization.pk)} if organization else {}
        created = client.post(SESSIONS, {"title": title, "tenant_id": str(user_b.pk)}, format="json", **header)
        assert created.status_code == 201, created.json()
        assert created.json()["tenant_id"] == str(organization.pk if organization else user_a.pk)

    assert titles(client.get(SESSIONS)) == {"Mine"}
    assert titles(client.get(SESSIONS, **{HEADER: ""})) == {"Mine"}  # an empty header: the default
    assert titles(client.get(SESSIONS, **{HEADER: str(user_a.pk)})) == {"Mine"}
    assert titles(client.get(SESSIONS, **{HEADER: str(acme.pk)})) == {"For Acme"}
    assert titles(client.get(SESSIONS, **{HEADER: str(globex.pk)})) == {"For Globex"}
    assert titles(api(user_b).get(SESSIONS, **{HEADER: str(acme.pk)})) == {"Bob in Acme"}  # owner-only, also in Acme

    # A chat is reached by its id whichever organization is active.
    for_acme = ChatSession.objects.get(title="For Acme")
    assert client.get(f"{SESSIONS}{for_acme.pk}/").status_code == 200
    assert client.patch(f"{SESSIONS}{for_acme.pk}/", {"title": "Renamed"}, format="json", **{HEADER: str(globex.pk)}).status_code == 200
    assert ChatSession.objects.get(pk=for_acme.pk).tenant_id == acme.pk


def test_api_header_of_a_non_member_is_404_and_a_malformed_one_400_and_both_create_nothing(api, make_org, user_a, user_b):
    theirs = make_org(user_b, "Initech")
    client = api(user_a)
    for value, status in ((str(theirs.pk), 404), (str(uuid.uuid4()), 404), ("not-an-id", 400)):
        created = client.post(SESSIONS, {"title": "x"}, format="json", **{HEADER: value})
        assert created.status_code == status, created.json()
        assert client.get(SESSIONS, **{HEADER: value}).status_code == status
        assert set(created.json()["error"]) == {"code", "message", "fields"}
    # Refused before the body is read: an invalid body changes nothing about the answer.
    assert client.post(SESSIONS, {"persona": "nope"}, format="json", **{HEADER: str(theirs.pk)}).status_code == 404
    assert client.post(SESSIONS, {"title": "x"}, format="json", **{HEADER: "not-an-id"}).json()["error"]["fields"] == {
        "X-Organization-Id": ["X-Organization-Id must be an organization id (a UUID)."]
    }
    assert not ChatSession.objects.exists()


# --- messages follow their chat -----------------------------------------------------------------------


def test_a_message_lands_in_its_chats_tenant_whichever_organization_is_active(api, pages, user_a, acme, globex):
    chat = ChatSession.objects.create(user=user_a, tenant_id=acme.pk, title="Acme numbers")
    asked = api(user_a).post(f"{SESSIONS}{chat.pk}/messages/", {"content": {"type": "user", "text": "sessions last 7 days"}},
                             format="json", **{HEADER: str(globex.pk)})
    assert asked.status_code == 201, asked.json()

    client = pages(user_a)  # the page, with the personal organization active
    assert client.post(f"/chat/{chat.pk}/ask/", {"text": "and last 30 days?"}).status_code == 302

    messages = ChatMessage.objects.filter(session=chat)
    assert messages.count() == 4 and set(messages.values_list("tenant_id", flat=True)) == {acme.pk}
    listed = api(user_a).get(f"{SESSIONS}{chat.pk}/messages/", **{HEADER: str(user_a.pk)})
    assert len(listed.json()["results"]) == 4


# --- GA4 credentials: the user's own, in the personal organization ----------------------------------


def test_a_credential_stays_in_the_personal_organization_and_serves_chats_of_every_organization(api, user_a, acme):
    client = api(user_a)
    body = {"property_id": "123456789", "property_name": "Shop", "refresh_token": "1//r", "access_token": "ya29.a",
            "token_expiry": "2030-01-01T00:00:00Z", "scopes": ["https://www.googleapis.com/auth/analytics.readonly"]}
    connected = client.post("/api/v1/ga4/credentials", body, format="json", **{HEADER: str(acme.pk)})
    assert connected.status_code == 201 and connected.json()["tenant_id"] == str(user_a.pk)
    again = client.post("/api/v1/ga4/credentials", body, format="json")  # the same connection, from the personal one
    assert again.status_code == 200 and again.json()["id"] == connected.json()["id"]
    for header in ({}, {HEADER: str(acme.pk)}):  # switching organizations neither moves nor hides it
        assert [row["id"] for row in client.get("/api/v1/ga4/credentials", **header).json()["results"]] == [connected.json()["id"]]

    chat = client.post(SESSIONS, {"title": "Acme shop", "credential": connected.json()["id"]}, format="json", **{HEADER: str(acme.pk)})
    assert chat.status_code == 201 and chat.json()["tenant_id"] == str(acme.pk)
    assert GA4Credential.objects.get().tenant_id == user_a.pk


def test_the_database_keeps_a_credential_in_the_personal_organization(user_a, acme):
    credential = GA4Credential.objects.create(user=user_a, property_id="1")
    with pytest.raises(Exception, match="ga4_credentials_tenant_personal"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ga4_credentials SET tenant_id = %s WHERE id = %s", [acme.pk, credential.pk])


# --- the database: RLS on the tenant, going home on leaving ----------------------------------------


def _insert_as(user, tenant_id):
    with rls.end_user(rls.claims_for(user)), connection.cursor() as cursor:
        cursor.execute("INSERT INTO chat_sessions (user_id, tenant_id, title) VALUES (%s, %s, 'sql') RETURNING id", [user.pk, tenant_id])
        return cursor.fetchone()[0]


def test_rls_writes_a_chat_only_into_an_organization_of_its_owner(make_org, user_a, user_b, acme):
    theirs = make_org(user_b, "Initech")
    assert _insert_as(user_a, user_a.pk) and _insert_as(user_a, acme.pk)
    for tenant in (theirs.pk, uuid.uuid4()):
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            _insert_as(user_a, tenant)
    mine = ChatSession.objects.create(user=user_a, title="x")
    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        with rls.end_user(rls.claims_for(user_a)), connection.cursor() as cursor:
            cursor.execute("UPDATE chat_sessions SET tenant_id = %s WHERE id = %s", [theirs.pk, mine.pk])
    assert ChatSession.objects.filter(tenant_id=theirs.pk).count() == 0


@pytest.mark.parametrize("how", ["leave", "removed", "organization deleted"])
def test_a_member_who_leaves_takes_their_chats_home_with_their_messages(user_a, user_b, acme, how):
    chat = ChatSession.objects.create(user=user_a, tenant_id=acme.pk, title="Acme numbers")
    ChatMessage.objects.create(session=chat, role="user", content={"type": "user", "text": "hi"})
    colleagues = ChatSession.objects.create(user=user_b, tenant_id=acme.pk, title="Bob's")
    owner = Membership.objects.get(organization=acme, user=user_b)
    member = Membership.objects.get(organization=acme, user=user_a)
    if how == "organization deleted":
        with rls.end_user(rls.claims_for(user_b)):
            organization_services.delete_organization(owner)
    else:
        actor, claims = (member, user_a) if how == "leave" else (owner, user_b)
        with rls.end_user(rls.claims_for(claims)):  # an admin removing a member sees none of their chats
            organization_services.remove(actor, member)
    chat.refresh_from_db()
    assert chat.tenant_id == user_a.pk
    assert set(ChatMessage.objects.filter(session=chat).values_list("tenant_id", flat=True)) == {user_a.pk}
    expected_colleague = user_b.pk if how == "organization deleted" else acme.pk
    assert ChatSession.objects.get(pk=colleagues.pk).tenant_id == expected_colleague


def test_without_a_request_the_tenant_is_the_personal_organization(user_a, acme):
    assert tenant_for(user_a) == tenant_for(str(user_a.pk)) == user_a.pk
    assert ChatSession.objects.create(user=user_a, title="job's").tenant_id == user_a.pk
    assert ChatSession.objects.create(user=user_a, tenant_id=acme.pk, title="named").tenant_id == acme.pk


def test_deleting_a_member_deletes_their_chats_in_every_organization(user_a, acme):
    chat = ChatSession.objects.create(user=user_a, tenant_id=acme.pk, title="Acme numbers")
    ChatMessage.objects.create(session=chat, role="user", content={"type": "user", "text": "hi"})
    with connection.cursor() as cursor:  # the database's own cascade (as Supabase Auth deletes a user)
        cursor.execute("DELETE FROM auth.users WHERE id = %s", [user_a.pk])
    assert not ChatSession.objects.exists() and not ChatMessage.objects.exists()

"""Chat sessions and messages over the API: tenant derivation, the credential rule, asking a
question, content validation, the message list (oldest first, cursor pages, `?after=`), and the
database's own guarantees (composite foreign key, credential trigger, row-level security)."""

import uuid

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction

from accounts.tenancy import tenant_for
from chat.models import ChatMessage, ChatSession
from chat.services import DEFAULT_TITLE
from core import rls

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/chat/sessions/"


def messages_url(session):
    return f"{SESSIONS}{session.pk if hasattr(session, 'pk') else session}/messages/"


def ask(client, session, text="sessions by device category last 7 days"):
    return client.post(messages_url(session), {"content": {"type": "user", "text": text}}, format="json")


# --- sessions ----------------------------------------------------------------------------------------


def test_tenant_is_derived_from_the_caller_not_the_body(api, user_a, user_b):
    response = api(user_a).post(SESSIONS, {"title": "Q3", "persona": "po", "tenant_id": str(user_b.pk)}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tenant_id"] == str(tenant_for(user_a)) != str(user_b.pk)
    session = ChatSession.objects.get(pk=body["id"])
    assert session.tenant_id == tenant_for(user_a) and session.user_id == user_a.pk

    changed = api(user_a).patch(f"{SESSIONS}{session.pk}/", {"tenant_id": str(uuid.uuid4()), "title": "Q4"}, format="json")
    assert changed.status_code == 200
    session.refresh_from_db()
    assert session.tenant_id == tenant_for(user_a) and session.title == "Q4"


def test_session_defaults(api, user_a):
    body = api(user_a).post(SESSIONS, {}, format="json").json()
    assert body["title"] == DEFAULT_TITLE and body["persona"] == "general" and body["credential"] is None
    assert body["archived"] is False and body["last_message_at"] is None


def test_persona_must_be_known(api, user_a):
    response = api(user_a).post(SESSIONS, {"persona": "ceo"}, format="json")
    assert response.status_code == 400
    assert "persona" in response.json()["error"]["fields"]


def test_credential_must_be_the_callers(api, user_a, user_b, make_credential):
    mine, theirs = make_credential(user_a, "111"), make_credential(user_b, "222")
    refused = api(user_a).post(SESSIONS, {"title": "x", "credential": str(theirs.pk)}, format="json")
    assert refused.status_code == 404  # as for every object of another user (or none at all)
    assert refused.json()["error"]["code"] == "credential_not_found"
    assert api(user_a).post(SESSIONS, {"credential": str(uuid.uuid4())}, format="json").status_code == 404
    malformed = api(user_a).post(SESSIONS, {"credential": "not-a-uuid"}, format="json")
    assert malformed.status_code == 400 and "credential" in malformed.json()["error"]["fields"]
    assert api(user_a).post(SESSIONS, {"credential": ""}, format="json").status_code == 400
    accepted = api(user_a).post(SESSIONS, {"title": "x", "credential": str(mine.pk)}, format="json")
    assert accepted.status_code == 201 and accepted.json()["credential"] == str(mine.pk)
    session = ChatSession.objects.get(pk=accepted.json()["id"])
    assert api(user_a).patch(f"{SESSIONS}{session.pk}/", {"credential": str(theirs.pk)}, format="json").status_code == 404
    session.refresh_from_db()
    assert session.credential_id == mine.pk


def test_database_refuses_another_users_credential(user_a, user_b, make_credential):
    theirs = make_credential(user_b, "222")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatSession.objects.create(user=user_a, title="x", credential=theirs)
    session = ChatSession.objects.create(user=user_a, title="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE chat_sessions SET credential_id = %s WHERE id = %s", [theirs.pk, session.pk])


def test_deleting_a_credential_unlinks_its_sessions(user_a, make_credential):
    credential = make_credential(user_a)
    session = ChatSession.objects.create(user=user_a, title="x", credential=credential)
    credential.delete()
    session.refresh_from_db()
    assert session.credential_id is None


def test_sessions_list_most_recent_conversation_first(api, user_a):
    old = ChatSession.objects.create(user=user_a, title="old")
    new = ChatSession.objects.create(user=user_a, title="new")
    silent = ChatSession.objects.create(user=user_a, title="silent")
    client = api(user_a)
    ask(client, new)
    ask(client, old)  # the latest conversation
    ids = [row["id"] for row in client.get(SESSIONS).json()["results"]]
    assert ids == [str(old.pk), str(new.pk), str(silent.pk)]
    archived = client.patch(f"{SESSIONS}{silent.pk}/", {"archived": True}, format="json")
    assert archived.status_code == 200
    assert [row["id"] for row in client.get(SESSIONS + "?archived=false").json()["results"]] == [str(old.pk), str(new.pk)]
    assert [row["id"] for row in client.get(SESSIONS + "?archived=true").json()["results"]] == [str(silent.pk)]
    for bad in ("null", "1", "True", ""):
        assert client.get(SESSIONS, {"archived": bad}).status_code == 400


# --- asking ------------------------------------------------------------------------------------------


def test_ask_stores_the_question_and_a_pending_answer(api, user_a):
    session = ChatSession.objects.create(user=user_a, title=DEFAULT_TITLE, persona="mgr")
    response = ask(api(user_a), session, "  top pages this month  ")
    assert response.status_code == 201, response.json()
    body = response.json()
    question, answer = body["user_message"], body["assistant_message"]
    assert question["role"] == "user" and question["status"] == "complete"
    assert question["content"] == {"type": "user", "text": "top pages this month"}
    assert answer["role"] == "assistant" and answer["status"] == "pending" and answer["content"] == {}
    assert body["stream_url"] == f"/api/v1/chat/messages/{answer['id']}/stream"
    assert question["created_at"] < answer["created_at"]
    rows = list(ChatMessage.objects.filter(session=session).values_list("role", "tenant_id"))
    assert rows == [("user", session.tenant_id), ("assistant", session.tenant_id)]
    session.refresh_from_db()
    assert session.title == "top pages this month"  # an untitled chat takes its first question
    assert session.last_message_at is not None


@pytest.mark.parametrize(
    "content, fields",
    [
        ({"type": "user"}, {"content": {"text": ["This field is required."]}}),
        ({"type": "user", "text": "   "}, {"content": {"text": ["May not be blank or contain NUL characters."]}}),
        ({"type": "user", "text": "x" * 4001}, {"content": {"text": ["Must be shorter than or equal to 4000 characters."]}}),
        ({"type": "user", "text": "hi", "tenant_id": "x"}, {"content": {"tenant_id": ["Unknown field."]}}),
        ({"type": "ai", "answer": "I am the assistant"}, {"content": {"type": ["Must be one of: user."]}}),
        ({"text": "no type"}, {"content": {"type": ["Must be one of: user."]}}),
        ("just text", {"content": {"non_field_errors": ["Content must be a JSON object."]}}),
    ],
)
def test_bad_content_is_400_with_field_errors(api, user_a, content, fields):
    session = ChatSession.objects.create(user=user_a, title="x")
    response = api(user_a).post(messages_url(session), {"content": content}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert not ChatMessage.objects.filter(session=session).exists()


def test_missing_content_is_400(api, user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    response = api(user_a).post(messages_url(session), {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"content": ["This field is required."]}


def test_editing_a_question_makes_its_answer_again(api, user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    client = api(user_a)
    exchange = ask(client, session, "sessions last 7 days").json()
    question, answer = exchange["user_message"], exchange["assistant_message"]
    ChatMessage.objects.filter(pk=answer["id"]).update(status="complete", content={"type": "ai", "answer": "old"}, chunks=["a"])
    url = f"{messages_url(session)}{question['id']}/"
    edited = client.patch(url, {"content": {"type": "user", "text": " sessions last 30 days "}}, format="json")
    assert edited.status_code == 200, edited.json()
    assert edited.json()["content"] == {"type": "user", "text": "sessions last 30 days"}
    again = ChatMessage.objects.get(pk=answer["id"])
    assert (again.status, again.content, again.chunks) == ("pending", {}, [])
    assert client.put(url, {"content": {"type": "user", "text": ""}}, format="json").status_code == 400
    answer_url = f"{messages_url(session)}{answer['id']}/"
    refused = client.patch(answer_url, {"content": {"type": "user", "text": "I am the answer now"}}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_editable"
    ChatMessage.objects.filter(pk=answer["id"]).update(status="streaming")
    assert client.patch(url, {"content": {"type": "user", "text": "again"}}, format="json").status_code == 409


def test_deleting_a_message(api, user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    client = api(user_a)
    question = ask(client, session).json()["user_message"]
    assert client.delete(f"{messages_url(session)}{question['id']}/").status_code == 204
    assert list(ChatMessage.objects.filter(session=session).values_list("role", flat=True)) == ["assistant"]


def test_undeclared_methods_are_405_on_my_session_and_404_on_any_other(api, user_a, user_b):
    """The session is looked up before the method (core.parents), as for every nested route."""
    mine, theirs = ChatSession.objects.create(user=user_a, title="x"), ChatSession.objects.create(user=user_b, title="y")
    client = api(user_a)
    assert client.generic("TRACE", messages_url(mine)).status_code == 405
    assert client.generic("TRACE", messages_url(theirs)).status_code == 404
    assert client.generic("TRACE", messages_url(uuid.uuid4())).status_code == 404


# --- the list ----------------------------------------------------------------------------------------


def test_list_is_oldest_first_in_cursor_pages(api, user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    client = api(user_a)
    for i in range(3):
        ask(client, session, f"question {i}")
    first = client.get(messages_url(session) + "?page_size=4").json()
    texts = [row["content"].get("text") for row in first["results"]]
    assert texts == ["question 0", None, "question 1", None]
    assert first["previous"] is None and first["next"]
    second = client.get(first["next"]).json()
    assert [row["content"].get("text") for row in second["results"]] == ["question 2", None]
    assert second["next"] is None


def test_newest_first(api, user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    client = api(user_a)
    for i in range(3):
        ask(client, session, f"q{i}")
    page = client.get(messages_url(session), {"ordering": "-created_at", "page_size": 3}).json()
    assert [(row["role"], row["content"].get("text")) for row in page["results"]] == [("assistant", None), ("user", "q2"), ("assistant", None)]
    rest = client.get(page["next"]).json()["results"]
    assert [row["content"].get("text") for row in rest] == ["q1", None, "q0"]


def test_after_a_message_or_a_time(api, user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    client = api(user_a)
    exchanges = [ask(client, session, f"q{i}").json() for i in range(3)]
    anchor = exchanges[1]["assistant_message"]
    after_id = client.get(messages_url(session) + f"?after={anchor['id']}").json()["results"]
    assert [row["id"] for row in after_id] == [exchanges[2]["user_message"]["id"], exchanges[2]["assistant_message"]["id"]]
    after_time = client.get(messages_url(session), {"after": exchanges[1]["user_message"]["created_at"]}).json()["results"]
    assert [row["id"] for row in after_time] == [anchor["id"], *[row["id"] for row in after_id]]


@pytest.mark.parametrize("after", ["yesterday", "2026-01-01T00:00:00", str(uuid.uuid4())])
def test_bad_after_is_400(api, user_a, after):
    session = ChatSession.objects.create(user=user_a, title="x")
    response = api(user_a).get(messages_url(session), {"after": after})
    assert response.status_code == 400
    assert "after" in response.json()["error"]["fields"]


def test_after_names_a_message_of_this_session_only(api, user_a):
    one, other = ChatSession.objects.create(user=user_a, title="1"), ChatSession.objects.create(user=user_a, title="2")
    client = api(user_a)
    foreign = ask(client, other).json()["user_message"]["id"]
    assert client.get(messages_url(one), {"after": foreign}).status_code == 400


def test_list_query_count_does_not_grow_with_the_page(api, user_a, django_assert_max_num_queries):
    session = ChatSession.objects.create(user=user_a, title="x")
    client = api(user_a)
    for i in range(30):
        ask(client, session, f"q{i}")
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 50):
        with CaptureQueriesContext(conn) as captured:
            assert client.get(messages_url(session), {"page_size": size}).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- the database's own guarantees -------------------------------------------------------------------


def test_a_message_cannot_point_at_another_tenants_session(user_a, user_b):
    """Even by raw SQL as the table owner (RLS does not apply): the composite foreign key refuses."""
    theirs = ChatSession.objects.create(user=user_b, title="bob's")
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO chat_messages (session_id, tenant_id, role, content) VALUES (%s, %s, 'user', %s::jsonb)",
                [theirs.pk, tenant_for(user_a), '{"type": "user", "text": "planted"}'],
            )
    mine = ChatSession.objects.create(user=user_a, title="alice's")
    message = ChatMessage.objects.create(session=mine, role="user", content={"type": "user", "text": "hi"})
    with pytest.raises(IntegrityError), transaction.atomic():  # moving it into another tenant's session
        with connection.cursor() as cursor:
            cursor.execute("UPDATE chat_messages SET session_id = %s WHERE id = %s", [theirs.pk, message.pk])
    with pytest.raises(IntegrityError), transaction.atomic():  # or relabelling its tenant
        with connection.cursor() as cursor:
            cursor.execute("UPDATE chat_messages SET tenant_id = %s WHERE id = %s", [tenant_for(user_b), message.pk])
    assert ChatMessage.objects.filter(session=theirs).count() == 0


def test_the_session_tenant_cannot_drift_from_its_messages(user_a, user_b):
    """A session that moves (raw SQL as the table owner here) takes its messages along: the composite
    foreign key cascades the update (ON UPDATE CASCADE, migration 0006)."""
    session = ChatSession.objects.create(user=user_a, title="x")
    message = ChatMessage.objects.create(session=session, role="user", content={"type": "user", "text": "hi"})
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_sessions SET tenant_id = %s WHERE id = %s", [tenant_for(user_b), session.pk])
    message.refresh_from_db()
    assert message.tenant_id == tenant_for(user_b)


def test_deleting_a_session_deletes_its_messages(user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    ChatMessage.objects.create(session=session, role="user", content={"type": "user", "text": "hi"})
    session.delete()
    assert ChatMessage.objects.count() == 0


def test_complete_messages_hold_typed_content(user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatMessage.objects.create(session=session, role="assistant", content={}, status="complete")


def test_rls_alone_hides_other_users_rows(user_a, user_b):
    session = ChatSession.objects.create(user=user_a, title="alice's")
    ChatMessage.objects.create(session=session, role="user", content={"type": "user", "text": "secret"})
    with rls.end_user(rls.claims_for(user_b)):
        assert ChatSession.objects.count() == 0 and ChatMessage.objects.count() == 0
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():  # inserting into alice's session: WITH CHECK
            ChatMessage.objects.create(session=session, tenant_id=session.tenant_id, role="user", content={"type": "user", "text": "planted"})
    with rls.end_user(rls.claims_for(user_a)):
        assert ChatSession.objects.count() == 1 and ChatMessage.objects.count() == 1

"""The Server-Sent Events stream of an answer: order and numbering, resuming with Last-Event-ID, one
driver per message (others follow), a client that leaves mid-answer, failures, retry, and who may
read a stream."""

from contextlib import contextmanager

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from chat import stream
from chat.models import ChatMessage, ChatSession
from chat.responders import Answer, Chunk, ResponderError
from config.wsgi import application
from tests.chat.scripted import ANSWER, DEFAULT_STEPS
from tests.chat.sse import ask_and_stream, parse, read
from tests.conftest import token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]


@pytest.fixture
def session(user_a):
    return ChatSession.objects.create(user=user_a, title="x", persona="po")


@pytest.fixture
def client(api, user_a):
    return api(user_a)


def pending_answer(client, session, text="how are we doing?"):
    response = client.post(f"/api/v1/chat/sessions/{session.pk}/messages/", {"content": {"type": "user", "text": text}}, format="json")
    return response.json()["assistant_message"]["id"]


def stream_url(message_id):
    return f"/api/v1/chat/messages/{message_id}/stream"


def test_events_in_order_then_the_final_content(client, session, scripted):
    posted, events = ask_and_stream(client, session, "how are we doing?")
    assert [(e["id"], e["event"]) for e in events] == [(1, "streaming"), (2, "streaming"), (3, "streaming"), (4, "complete")]
    assert [e["data"]["text"] for e in events[:3]] == ["one", "two", "three"]
    assert all(e["data"]["message"] == posted["assistant_message"]["id"] for e in events)
    assert events[3]["data"] == {"message": posted["assistant_message"]["id"], "status": "complete", "content": ANSWER}
    message = ChatMessage.objects.get(pk=posted["assistant_message"]["id"])
    assert (message.status, message.content, message.chunks, message.error) == ("complete", ANSWER, ["one", "two", "three"], "")
    (turn,) = scripted.turns
    assert (turn.question, turn.persona, turn.credential_id, turn.user_id) == ("how are we doing?", "po", None, session.user_id)
    session.refresh_from_db()
    assert session.last_message_at >= message.created_at


def test_the_response_is_an_event_stream(client, session):
    response = client.get(stream_url(pending_answer(client, session)))
    assert response["Content-Type"] == "text/event-stream" and response["Cache-Control"] == "no-cache"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"retry: 3000\n\n")
    assert b"id: 4\nevent: complete\ndata: {" in body


def test_resume_after_last_event_id(client, session):
    message_id = pending_answer(client, session)
    read(client.get(stream_url(message_id)))  # the answer is made
    assert [e["id"] for e in read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="2"))] == [3, 4]
    assert [e["id"] for e in read(client.get(stream_url(message_id) + "?last_event_id=1"))] == [2, 3, 4]
    # A finished message always ends with its final event, even for a client that had it.
    replayed = read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="4"))
    assert [(e["id"], e["event"]) for e in replayed] == [(4, "complete")] and replayed[0]["data"]["content"] == ANSWER
    assert [e["id"] for e in read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="99"))] == [4]


@contextmanager
def served_by_wsgi():
    """Requests sent straight to the WSGI application, as a server does (which closes the response
    when the client is gone). The request signals must not close the connection: it holds the test's
    transaction."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield application
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


def test_a_client_that_leaves_mid_answer_resumes_where_it_left(client, session, scripted, user_a):
    message_id = pending_answer(client, session)
    environ = RequestFactory().get(stream_url(message_id), HTTP_AUTHORIZATION=f"Bearer {token_for(user_a)}").environ
    statuses = []
    with served_by_wsgi() as app:
        body = app(environ, lambda status, headers: statuses.append(status))
        chunks = iter(body)
        received = parse(next(chunks) + next(chunks) + next(chunks))  # retry, event 1, event 2
        body.close()  # the client went away after event 2
    assert statuses == ["200 OK"] and [e["id"] for e in received] == [1, 2]
    message = ChatMessage.objects.get(pk=message_id)  # the answer was still finished and stored
    assert message.status == "complete" and message.chunks == ["one", "two", "three"]
    assert len(scripted.turns) == 1
    resumed = read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="2"))
    assert [(e["id"], e["event"]) for e in resumed] == [(3, "streaming"), (4, "complete")]
    assert len(scripted.turns) == 1  # made once


def test_one_driver_per_message(client, session, scripted, monkeypatch):
    message_id = pending_answer(client, session)
    assert stream._claim(message_id) is True
    assert stream._claim(message_id) is False  # the second caller follows instead
    ChatMessage.objects.filter(pk=message_id).update(chunks=["working on it"])
    monkeypatch.setattr(stream, "FOLLOW_FOR", 0.2)
    monkeypatch.setattr(stream, "FOLLOW_POLL", 0.05)
    followed = read(client.get(stream_url(message_id)))
    assert [(e["id"], e["event"], e["data"]["text"]) for e in followed] == [(1, "streaming", "working on it")]
    assert scripted.turns == []  # the follower ran nothing
    ChatMessage.objects.filter(pk=message_id).update(status="complete", content=ANSWER)
    assert [(e["id"], e["event"]) for e in read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="1"))] == [(2, "complete")]


def test_an_abandoned_stream_is_taken_over(client, session, scripted, monkeypatch):
    message_id = pending_answer(client, session)
    ChatMessage.objects.filter(pk=message_id).update(status="streaming", chunks=["from the dead worker"])
    monkeypatch.setattr(stream, "STALE_AFTER", 0)
    events = read(client.get(stream_url(message_id)))
    assert [(e["id"], e["event"]) for e in events] == [(1, "streaming"), (2, "streaming"), (3, "streaming"), (4, "streaming"), (5, "complete")]
    assert events[0]["data"]["text"] == "from the dead worker"
    assert ChatMessage.objects.get(pk=message_id).chunks == ["from the dead worker", "one", "two", "three"]


@pytest.mark.parametrize(
    "steps, error",
    [
        ([Chunk("one"), ResponderError("Google Analytics answered HTTP 503. Try again later.")], "Google Analytics answered HTTP 503. Try again later."),
        ([Chunk("one"), RuntimeError("a bug")], stream.UNEXPECTED),
        ([Chunk("one"), Answer({"type": "ai", "answer": ""})], stream.UNEXPECTED),  # content the schema refuses
        ([Chunk("one")], "The assistant gave no answer. Ask again."),
    ],
)
def test_failures_end_with_an_error_event(client, session, scripted, steps, error):
    scripted.steps = steps
    posted, events = ask_and_stream(client, session, "q")
    assert [(e["id"], e["event"]) for e in events] == [(1, "streaming"), (2, "error")]
    assert events[1]["data"] == {"message": posted["assistant_message"]["id"], "status": "error", "error": error}
    message = ChatMessage.objects.get(pk=posted["assistant_message"]["id"])
    assert (message.status, message.error, message.content) == ("error", error, {})
    # replayed the same way
    assert read(client.get(posted["stream_url"], HTTP_LAST_EVENT_ID="1")) == events[1:]


def test_retry_makes_a_failed_answer_again(client, session, scripted):
    scripted.steps = [ResponderError("Try again later.")]
    posted, events = ask_and_stream(client, session, "q")
    message_id = posted["assistant_message"]["id"]
    assert events[-1]["event"] == "error"
    scripted.steps = list(DEFAULT_STEPS)
    retried = client.post(f"/api/v1/chat/messages/{message_id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "pending" and retried.json()["error"] == ""
    assert read(client.get(stream_url(message_id)))[-1]["event"] == "complete"
    again = client.post(f"/api/v1/chat/messages/{message_id}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_failed"


def test_a_question_replays_as_one_complete_event(client, session):
    posted = client.post(f"/api/v1/chat/sessions/{session.pk}/messages/", {"content": {"type": "user", "text": "hi"}}, format="json").json()
    events = read(client.get(stream_url(posted["user_message"]["id"])))
    assert events == [{"id": 1, "event": "complete", "data": {"message": posted["user_message"]["id"], "status": "complete", "content": {"type": "user", "text": "hi"}}}]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_bad_last_event_id_is_400(client, session, value):
    message_id = pending_answer(client, session)
    response = client.get(stream_url(message_id), HTTP_LAST_EVENT_ID=value)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert ChatMessage.objects.get(pk=message_id).status == "pending"


def test_an_event_source_gets_json_errors(api, user_b, client, session):
    message_id = pending_answer(client, session)
    response = api(user_b).get(stream_url(message_id), HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_only_the_owner_may_read_or_retry_a_stream(api, user_b, client, session, scripted):
    message_id = pending_answer(client, session)
    assert api(user_b).get(stream_url(message_id)).status_code == 404
    assert api(user_b).post(f"/api/v1/chat/messages/{message_id}/retry").status_code == 404
    assert api().get(stream_url(message_id)).status_code == 401
    assert ChatMessage.objects.get(pk=message_id).status == "pending" and scripted.turns == []


def test_rls_alone_keeps_another_users_stream_closed(api, user_b, client, session, scripted, monkeypatch):
    from core.models import OwnedQuerySet

    monkeypatch.setattr(OwnedQuerySet, "for_user", lambda self, user: self.all())  # a forgotten filter
    message_id = pending_answer(client, session)
    assert api(user_b).get(stream_url(message_id)).status_code == 404
    assert ChatMessage.objects.get(pk=message_id).status == "pending" and scripted.turns == []

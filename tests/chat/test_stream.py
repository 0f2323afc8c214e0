"""The answer of a question, made by its job and followed by the Server-Sent Events stream: order and
numbering, resuming with Last-Event-ID, the stream doing no work, one job per answer, a job taking
over from a dead worker, RLS inside the job, a rolled-back request, failures, retry, and who may read
a stream."""

import pytest
from django.db import ProgrammingError, connection, transaction

from chat import services, stream
from chat import tasks as chat_tasks
from chat.models import ChatMessage, ChatSession
from chat.responders import Answer, Chunk, ResponderError
from chat.responders.runner import UNEXPECTED
from core import rls
from tests.chat.scripted import ANSWER, DEFAULT_STEPS
from tests.chat.sse import ask_and_stream, parse, read
from tests.jobs import deferred, run_deferred

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
    message_id = pending_answer(client, session)
    run_deferred()
    response = client.get(stream_url(message_id))
    assert response["Content-Type"] == "text/event-stream" and response["Cache-Control"] == "no-cache"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"retry: 3000\n\n")
    assert b"id: 4\nevent: complete\ndata: {" in body


def test_resume_after_last_event_id(client, session):
    message_id = pending_answer(client, session)
    run_deferred()
    assert [e["id"] for e in read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="2"))] == [3, 4]
    assert [e["id"] for e in read(client.get(stream_url(message_id) + "?last_event_id=1"))] == [2, 3, 4]
    # A finished message always ends with its final event, even for a client that had it.
    replayed = read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="4"))
    assert [(e["id"], e["event"]) for e in replayed] == [(4, "complete")] and replayed[0]["data"]["content"] == ANSWER
    assert [e["id"] for e in read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="99"))] == [4]


def test_the_stream_only_follows(client, session, scripted, monkeypatch):
    """Reading the stream of an answer no worker has made yet does no work: it sends what is stored
    and ends after FOLLOW_FOR (the client reconnects and resumes)."""
    monkeypatch.setattr(stream, "FOLLOW_FOR", 0.2)
    message_id = pending_answer(client, session)
    assert parse(b"".join(client.get(stream_url(message_id)).streaming_content)) == []
    assert ChatMessage.objects.get(pk=message_id).status == "pending" and scripted.turns == []
    ChatMessage.objects.filter(pk=message_id).update(status="streaming", chunks=["working on it"])
    followed = read(client.get(stream_url(message_id)))
    assert [(e["id"], e["event"], e["data"]["text"]) for e in followed] == [(1, "streaming", "working on it")]
    assert scripted.turns == []
    ChatMessage.objects.filter(pk=message_id).update(status="complete", content=ANSWER)
    assert [(e["id"], e["event"]) for e in read(client.get(stream_url(message_id), HTTP_LAST_EVENT_ID="1"))] == [(2, "complete")]


def test_asking_queues_one_job_per_answer(client, session, user_a):
    message_id = pending_answer(client, session)
    assert deferred() == [("chat.answer", {"message_id": message_id, "user_id": str(user_a.pk), "aal": "aal1"})]
    # Edited while its job still waits: no second job (the waiting one reads the new question).
    question = ChatMessage.objects.filter(session=session, role="user").get()
    edited = client.put(f"/api/v1/chat/sessions/{session.pk}/messages/{question.pk}/", {"content": {"type": "user", "text": "and now?"}}, format="json")
    assert edited.status_code == 200 and len(deferred()) == 1


def test_a_job_taking_over_goes_on_after_the_dead_workers_chunks(client, session, scripted):
    message_id = pending_answer(client, session)
    ChatMessage.objects.filter(pk=message_id).update(status="streaming", chunks=["from the dead worker"])
    run_deferred()
    events = read(client.get(stream_url(message_id)))
    assert [(e["id"], e["event"]) for e in events] == [(1, "streaming"), (2, "streaming"), (3, "streaming"), (4, "streaming"), (5, "complete")]
    assert events[0]["data"]["text"] == "from the dead worker"
    assert ChatMessage.objects.get(pk=message_id).chunks == ["from the dead worker", "one", "two", "three"]


def test_a_finished_answer_is_not_made_again(client, session, scripted, user_a):
    message_id = pending_answer(client, session)
    run_deferred()
    chat_tasks.answer(message_id=message_id, user_id=str(user_a.pk))  # a job run twice (retried after a crash)
    assert len(scripted.turns) == 1
    assert ChatMessage.objects.get(pk=message_id).chunks == ["one", "two", "three"]


def test_a_job_for_another_user_reads_nothing(client, session, scripted, user_b):
    """RLS inside the job: run for user B, the job cannot see user A's message."""
    message_id = pending_answer(client, session)
    chat_tasks.answer(message_id=message_id, user_id=str(user_b.pk))
    assert ChatMessage.objects.get(pk=message_id).status == "pending" and scripted.turns == []


def test_a_rolled_back_request_queues_nothing(session, user_a):
    with pytest.raises(RuntimeError), rls.end_user(rls.claims_for(user_a)):
        services.ask(session, "rolled back")
        with connection.cursor() as cursor:  # the job row is in the request's transaction...
            cursor.execute("SET LOCAL ROLE NONE")
            cursor.execute("SELECT count(*) FROM procrastinate_jobs")
            assert cursor.fetchone()[0] == 1
        raise RuntimeError("the view failed")
    assert deferred() == [] and not ChatMessage.objects.filter(session=session).exists()  # ...and went with it


def test_end_users_cannot_reach_the_job_queue(session, user_a):
    """Deferring steps out of the `authenticated` role for its one statement; the queue itself is
    never granted to end users (nor to Supabase's PostgREST)."""
    with rls.end_user(rls.claims_for(user_a)):
        services.ask(session, "queued")
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM procrastinate_jobs")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == "authenticated"  # the role is back after deferring
    assert len(deferred()) == 1


@pytest.mark.parametrize(
    "steps, error",
    [
        ([Chunk("one"), ResponderError("Google Analytics answered HTTP 503. Try again later.")], "Google Analytics answered HTTP 503. Try again later."),
        ([Chunk("one"), RuntimeError("a bug")], UNEXPECTED),
        ([Chunk("one"), Answer({"type": "ai", "answer": ""})], UNEXPECTED),  # content the schema refuses
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
    run_deferred()
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

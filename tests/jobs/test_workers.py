"""Jobs run by real worker processes (`manage.py procrastinate worker`) on the test database: a chat
answer against the loopback GA4 Data API, insights, a periodic job fired by the scheduler, a worker
killed mid-answer, a PostgreSQL restart, and a rolled-back request."""

import json
import time

import pytest

from chat import services as chat_services
from chat.models import ChatMessage, ChatSession
from core import rls
from partners.models import Insight, Partner
from tests.chat.conftest import FAST_RETRIES, google, make_credential  # noqa: F401 (fixtures)
from tests.chat.ga4_reports import KnownReports
from tests.chat.loopback import Reply
from tests.chat.sse import read
from tests.jobs.workers import connect, wait_for

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def chat(user_a, make_credential, google):
    google.report_handler = KnownReports()
    return ChatSession.objects.create(user=user_a, title="Analytics", credential=make_credential(user_a))


def google_env(google) -> dict:
    return {**google.settings(), **FAST_RETRIES}


def message_state(message_id):
    with connect() as conn:
        return conn.execute("SELECT status, chunks FROM chat_messages WHERE id = %s", [message_id]).fetchone()


def test_a_chat_answer_is_made_by_a_worker(api, user_a, chat, google, workers):
    workers(env=google_env(google))
    client = api(user_a)
    posted = client.post(f"/api/v1/chat/sessions/{chat.pk}/messages/", {"content": {"type": "user", "text": "sessions by device category last 7 days"}}, format="json").json()
    events = read(client.get(posted["stream_url"]))  # follows what the worker stores, as it stores it
    assert [e["event"] for e in events] == ["streaming", "streaming", "streaming", "complete"]
    assert events[-1]["data"]["content"]["metrics"] == [{"name": "Sessions", "value": 3400, "unit": "count", "delta": 13.3}]
    assert google.calls["runReport"] == 1


def test_insights_are_generated_by_a_worker(pages, user_a, workers):
    partner = Partner.objects.create(user=user_a, name="Acme", email="a@acme.example")
    workers(queues=("partners",))
    pages(user_a).post("/partner/insights/generate/")
    wait_for(lambda: Insight.objects.filter(partner=partner).exists(), what="insights")
    wait_for(lambda: "<strong>done</strong>" in pages(user_a).get("/partner/").content.decode(), what="portal shows done")


def test_a_periodic_job_is_fired_by_the_scheduler(workers):
    workers(env={"SCHEDULE_CLEANUP_SESSIONS": "* * * * * */1"}, queues=("maintenance",))
    with connect() as conn:
        wait_for(lambda: conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'sessions_app.cleanup_sessions' "
                                      "AND status = 'succeeded'").fetchone()[0] >= 1, what="a scheduled cleanup_sessions")


def test_a_worker_killed_mid_answer_is_replaced(api, user_a, chat, google, workers):
    google.script("runReport", Reply(hang=True, hang_seconds=30))  # the first worker's call never returns
    first = workers(env=google_env(google), queues=("chat",))
    posted = api(user_a).post(f"/api/v1/chat/sessions/{chat.pk}/messages/", {"content": {"type": "user", "text": "sessions by device category last 7 days"}}, format="json").json()
    message_id = posted["assistant_message"]["id"]
    wait_for(lambda: google.calls["runReport"] == 1, what="the first worker calling GA4")
    first.kill()
    killed = time.monotonic()
    workers(env=google_env(google))  # chat and maintenance (the stalled-job rescue)
    wait_for(lambda: message_state(message_id)[0] == "complete", timeout=30, what="the answer finished by the second worker")
    recovery = time.monotonic() - killed
    status, chunks = message_state(message_id)
    assert ChatMessage.objects.filter(session=chat, role="assistant").count() == 1
    assert ChatMessage.objects.get(pk=message_id).content["metrics"][0]["value"] == 3400
    assert chunks[:2] == json.loads(json.dumps(chunks[:2])) and chunks[-1].startswith("Google Analytics returned")
    print(f"\nkilled-worker recovery: {recovery:.2f} s")


def test_a_rolled_back_request_gives_workers_nothing(user_a, workers):
    session = ChatSession.objects.create(user=user_a, title="x")
    workers(queues=("chat",))
    with pytest.raises(RuntimeError), rls.end_user(rls.claims_for(user_a)):
        chat_services.ask(session, "never asked")
        raise RuntimeError("the view failed")
    time.sleep(1.5)
    with connect() as conn:  # (the worker's scheduler may have deferred its periodic jobs meanwhile)
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'chat.answer'").fetchone()[0] == 0
    assert not ChatMessage.objects.filter(session=session).exists()


def test_a_worker_recovers_from_a_postgresql_restart(api, user_a, chat, google, workers):
    from tests.partners.test_database_restart import Postgres

    worker = workers(env=google_env(google))
    client = api(user_a)

    def ask(text):
        return client.post(f"/api/v1/chat/sessions/{chat.pk}/messages/", {"content": {"type": "user", "text": text}}, format="json").json()

    before = ask("sessions by device category last 7 days")["assistant_message"]["id"]
    wait_for(lambda: message_state(before)[0] == "complete", what="the answer before the restart")
    server = Postgres()
    server.stop()
    time.sleep(3)
    server.start()
    restarted = time.monotonic()
    after = wait_for(lambda: _try(ask, "sessions last 7 days"), timeout=30, what="the site serving again")["assistant_message"]["id"]
    try:
        wait_for(lambda: message_state(after)[0] == "complete", timeout=20, what="the answer after the restart")
    except AssertionError:
        print(worker.log())
        raise
    print(f"\nfirst answer after the restart: {time.monotonic() - restarted:.2f} s")
    assert worker.process.poll() is None  # the same worker, reconnected by itself
    assert google.calls["runReport"] == 2  # the answer committed before the restart was not made again


def _try(ask, text):
    """The answer to `ask(text)`, or None while the site answers 503 (its pool reconnecting)."""
    body = ask(text)
    return body if "assistant_message" in body else None

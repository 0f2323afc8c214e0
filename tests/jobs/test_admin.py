"""Staff see the background jobs: the admin index's block (queues, failures, workers), procrastinate's
job list with its filters, and its action to retry a failed job. Health checks read the last heartbeat."""

import pytest
from django.db import connection

from chat import services
from chat.models import ChatSession
from core import jobs

pytestmark = pytest.mark.django_db


def failed_job(session) -> int:
    services.ask(session, "q")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE status = 'todo' RETURNING id")
        (job_id,) = cursor.fetchone()
        cursor.execute("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = %s", [job_id])
    return job_id


def test_the_admin_index_shows_queues_failures_and_workers(admin_client, user_a):
    session = ChatSession.objects.create(user=user_a, title="x")
    failed_job(session)
    services.ask(session, "waiting")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
        (worker_id,) = cursor.fetchone()
    (chat,) = jobs.dashboard()["queues"]
    assert (chat["queue"], chat["waiting"], chat["running"], chat["failed_24h"]) == ("chat", 1, 0, 1)
    assert chat["oldest_waiting_seconds"] is not None
    page = admin_client.get("/admin/").content.decode()
    assert 'id="jobs-dashboard"' in page and f"#{worker_id}" in page and "status=failed" in page
    assert jobs.last_heartbeat() is not None


def test_no_worker_no_heartbeat(db):
    assert jobs.last_heartbeat() is None


def test_staff_filter_jobs_and_retry_a_failed_one(admin_client, user_a):
    job_id = failed_job(ChatSession.objects.create(user=user_a, title="x"))
    listed = admin_client.get("/admin/procrastinate/procrastinatejob/?status=failed&queue_name=chat")
    assert listed.status_code == 200 and "chat.answer" in listed.content.decode()
    retried = admin_client.post("/admin/procrastinate/procrastinatejob/", {"action": "retry", "_selected_action": [job_id]})
    assert retried.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job_id])
        assert cursor.fetchone()[0] == "todo"

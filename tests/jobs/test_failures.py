"""A job that raises leaves its error in `job_failures` (procrastinate keeps only the status), cut
short and with key material replaced, and the exception still reaches procrastinate (which marks the
job failed or retries it)."""

import pytest
from procrastinate import JobContext
from procrastinate.contrib.django import app
from procrastinate.jobs import Job

from core import jobs
from core.models import JobFailure

LEAK = "token Bearer eyJhbGciOi.eyJzdWIiOi.c2ln and key epai_AbCdEf0123456789 in the message"


def test_every_worker_wraps_its_tasks_with_around_task():
    assert app.worker_defaults["task_middleware"] == [jobs.around_task]


def test_a_failed_job_keeps_its_error_without_secrets(db):
    job = Job(id=41, queue="chat", lock=None, queueing_lock=None, task_name="chat.answer", task_kwargs={}, attempts=2)

    def task():
        raise ValueError(f"{LEAK} " + "x" * 5000)

    with pytest.raises(ValueError):
        jobs.around_task(task, JobContext(app=app, job=job, start_timestamp=0.0, abort_reason=lambda: None), None)
    failure = JobFailure.objects.get(job_id=41)
    assert (failure.task_name, failure.attempt, failure.error_type) == ("chat.answer", 3, "builtins.ValueError")
    assert failure.error.startswith("token [Filtered] and key [Filtered] in the message")
    assert "eyJ" not in failure.error and "epai_" not in failure.error and len(failure.error) == jobs.MAX_ERROR


def test_a_task_that_succeeds_leaves_nothing(db):
    job = Job(id=42, queue="chat", lock=None, queueing_lock=None, task_name="chat.answer", task_kwargs={})
    assert jobs.around_task(lambda: "done", JobContext(app=app, job=job, start_timestamp=0.0, abort_reason=lambda: None), None) == "done"
    assert not JobFailure.objects.exists()


def test_the_failure_record_is_staff_only(admin_client, db):
    from django.db import connection

    assert admin_client.get("/admin/core/jobfailure/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege('authenticated', 'job_failures', 'SELECT')")
        assert cursor.fetchone()[0] is False

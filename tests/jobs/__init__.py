"""Running background jobs in tests.

`run_deferred()` runs, in this process and in the test's own transaction, the jobs deferred so far
(the rows of `procrastinate_jobs` that transaction sees), one after another, marking them done: for
tests about what a job does. Tests about how jobs are run (a worker picking them up, dying,
reconnecting) start real workers instead (`tests/workers.py`)."""

import json

from django.db import connection
from procrastinate.contrib.django import app


def deferred(queue: str | None = None) -> list[tuple[str, dict]]:
    """(task name, arguments) of the jobs waiting, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT task_name, args FROM procrastinate_jobs WHERE status = 'todo' AND (%s::text IS NULL OR queue_name = %s) ORDER BY id",
            [queue, queue],
        )
        return [(name, json.loads(args)) for name, args in cursor.fetchall()]


def run_deferred(queue: str | None = None) -> list[str]:
    """Run the waiting jobs (of `queue`) until none is left; the names of the tasks run."""
    ran = []
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE procrastinate_jobs SET status = 'doing' WHERE id = (SELECT id FROM procrastinate_jobs WHERE status = 'todo' "
                "AND (%s::text IS NULL OR queue_name = %s) ORDER BY id LIMIT 1) RETURNING id, task_name, args",
                [queue, queue],
            )
            row = cursor.fetchone()
        if row is None:
            return ran
        job_id, task_name, args = row
        app.tasks[task_name](**json.loads(args))  # Django's cursor leaves jsonb as text
        with connection.cursor() as cursor:
            cursor.execute("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [job_id])
        ran.append(task_name)

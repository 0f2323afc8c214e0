"""Background jobs on procrastinate (docs/jobs.md): deferring a job from any transaction, and what
staff and health checks read about the queue.

**Deferring under RLS.** procrastinate's tables belong to the connection role and are not granted to
`authenticated`: an end user reaching the database through Supabase's PostgREST must never read or
write the job queue. A page or API request, though, runs its transaction as `authenticated`
(core.rls). So `defer()` steps out of that role for the one statement that inserts the job
(`SET LOCAL ROLE NONE`, back to the connection role) and steps back in at once, in the same
transaction: the job row commits with the request's writes or, when the request rolls back, is
never seen by a worker. The role switch is fixed SQL in server code; nothing of the request picks
the role.

A job's arguments are ids (they are stored in plain text in `procrastinate_jobs`), never secrets.
"""

import logging
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate import psycopg_connector
from procrastinate.contrib.django import django_connector, utils

from core.redact import scrub_text

logger = logging.getLogger(__name__)


class Connector(django_connector.DjangoConnector):
    """procrastinate's Django connector (deferring through Django's connection, in its transaction),
    whose workers' pool gives up a lost connection after DB_POOL_TIMEOUT instead of psycopg's
    doubling delays of up to 5 minutes: after a PostgreSQL restart, a worker connects again as soon
    as the server is back."""

    def get_worker_connector(self):
        pool = settings.DATABASES[self.alias]["OPTIONS"]["pool"]
        return psycopg_connector.PsycopgConnector(
            kwargs=utils.connector_params(self.alias), reconnect_timeout=pool["reconnect_timeout"], timeout=pool["timeout"],
        )


def on_app_ready(app) -> None:
    """PROCRASTINATE_ON_APP_READY: the app uses `Connector`, and every task is wrapped by
    `around_task`."""
    app.connector = app.job_manager.connector = Connector(alias=app.connector.alias)
    app.worker_defaults = {**app.worker_defaults, "task_middleware": [around_task]}


MAX_ERROR = 2000  # characters of an error message kept


def around_task(call_next, context, worker):
    """procrastinate task middleware, around every task a worker runs:

    - the task starts and ends on a checked database connection, as a request does (Django's
      request_started/finished close what is unusable): a worker thread's connection broken by a
      PostgreSQL restart is replaced, not handed to the next job;
    - a task that raises leaves a `job_failures` row (task, attempt, error type and message: cut to
      MAX_ERROR, key material replaced, no traceback or local values), written in a transaction of
      its own, before procrastinate marks the job failed or retries it."""
    _fresh_connection()
    try:
        return call_next()
    except Exception as exc:
        _record_failure(context.job, exc)
        raise
    finally:
        _fresh_connection()


def _fresh_connection() -> None:
    if not connection.in_atomic_block:  # never inside a transaction (a task run in-process by a test)
        close_old_connections()


def _record_failure(job, exc: Exception) -> None:
    from core.models import JobFailure

    try:
        with transaction.atomic():
            JobFailure.objects.create(
                job_id=job.id, task_name=job.task_name[:255], attempt=job.attempts + 1,
                error_type=f"{type(exc).__module__}.{type(exc).__qualname__}"[:255],
                error=scrub_text(str(exc))[:MAX_ERROR].replace("\x00", ""),
            )
    except DatabaseError:  # the database is what failed: the worker's log still has it
        logger.warning("could not record the failure of job %s", job.id, exc_info=True)


@contextmanager
def _connection_role():
    """The block runs as the connection's own role, in a savepoint of the current transaction; the
    role the transaction had (an end user's `authenticated`) is back after it. Rolling back to the
    savepoint (an error) undoes the SET LOCAL too."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('role')")
        role = cursor.fetchone()[0]
        if role != "none":
            cursor.execute("SET LOCAL ROLE NONE")
        yield
        if role != "none":
            cursor.execute("SELECT set_config('role', %s, true)", [role])


def defer(task, *, lock: str | None = None, queueing_lock: str | None = None, schedule_at: datetime | None = None,
          **kwargs) -> int | None:
    """Queue `task(**kwargs)` in the current transaction (committed with it, gone with its rollback)
    and return the job id; None when a job with this `queueing_lock` is already waiting (it will do
    the same work). `schedule_at`: not before then."""
    options = {key: value for key, value in {"lock": lock, "queueing_lock": queueing_lock, "schedule_at": schedule_at}.items()
               if value is not None}
    try:
        with _connection_role():
            return task.configure(**options).defer(**kwargs)
    except procrastinate_exceptions.AlreadyEnqueued:
        return None


def latest_status(lock: str) -> str | None:
    """The status of the newest job deferred with this `lock` (todo, doing, succeeded, failed,
    cancelled, aborted), or None; for pages that show "queued / running / done"."""
    with _connection_role(), connection.cursor() as cursor:
        cursor.execute("SELECT status FROM procrastinate_jobs WHERE lock = %s ORDER BY id DESC LIMIT 1", [lock])
        row = cursor.fetchone()
    return row[0] if row else None


# --- what staff and health checks read ---------------------------------------------------------------

QUEUES = """
SELECT queue_name,
       count(*) FILTER (WHERE status = 'todo') AS waiting,
       count(*) FILTER (WHERE status = 'doing') AS running,
       extract(epoch FROM now() - min(COALESCE(scheduled_at, created.at)) FILTER (WHERE status = 'todo'
           AND (scheduled_at IS NULL OR scheduled_at <= now()))) AS oldest_waiting_seconds
  FROM procrastinate_jobs job
  LEFT JOIN LATERAL (
       SELECT min(at) AS at FROM procrastinate_events e WHERE e.job_id = job.id AND e.type = 'deferred'
  ) created ON true
 WHERE status IN ('todo', 'doing')
 GROUP BY queue_name ORDER BY queue_name
"""
FAILED_SINCE = """
SELECT job.queue_name, count(DISTINCT job.id)
  FROM procrastinate_jobs job JOIN procrastinate_events e ON e.job_id = job.id AND e.type = 'failed'
 WHERE job.status = 'failed' AND e.at > now() - interval '24 hours'
 GROUP BY job.queue_name
"""


def last_heartbeat() -> datetime | None:
    """When a worker was last heard from (its heartbeat), or None when no worker is registered.
    For health checks ("workers heard from recently")."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(last_heartbeat) FROM procrastinate_workers")
        return cursor.fetchone()[0]


def workers_heard() -> None:
    """Readiness check (`settings.READINESS_CHECKS`): once workers have registered, one of them was
    heard from within JOBS_STALLED_AFTER. Before any worker ever registered (a deployment whose
    workers start after the web) it passes."""
    from core.health import NotReady

    heard = last_heartbeat()
    if heard is not None and (timezone.now() - heard).total_seconds() > settings.JOBS_STALLED_AFTER:
        raise NotReady(f"no background worker heard from since {heard.isoformat(timespec='seconds')}")


def dashboard() -> dict:
    """Per queue: jobs waiting and running, the age of the oldest waiting job (s), jobs failed in
    the last 24 h; and each registered worker's last heartbeat."""
    with connection.cursor() as cursor:
        cursor.execute(QUEUES)
        queues = {name: {"queue": name, "waiting": waiting, "running": running, "oldest_waiting_seconds": oldest, "failed_24h": 0}
                  for name, waiting, running, oldest in cursor.fetchall()}
        cursor.execute(FAILED_SINCE)
        for name, failed in cursor.fetchall():
            queues.setdefault(name, {"queue": name, "waiting": 0, "running": 0, "oldest_waiting_seconds": None})["failed_24h"] = failed
        cursor.execute("SELECT id, last_heartbeat, now() - last_heartbeat FROM procrastinate_workers ORDER BY id")
        workers = [{"id": pk, "last_heartbeat": beat, "silent_seconds": age.total_seconds()} for pk, beat, age in cursor.fetchall()]
    return {"queues": sorted(queues.values(), key=lambda q: q["queue"]), "workers": workers}

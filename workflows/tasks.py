"""Background jobs of the workflows (procrastinate; docs/jobs.md, docs/workflows.md): walking an
execution, and the periodic scheduler of cron-triggered workflows."""

from django.conf import settings
from procrastinate.contrib.django import app

from core import jobs
from workflows import engine, scheduler


def advance_lock(execution_id) -> str:
    return f"workflows.execution:{execution_id}"


# No procrastinate retry: the walker keeps each step's retries itself (per-step policy and backoff,
# by deferring the next walk at a time). A worker that dies mid-walk leaves the job `doing`;
# core.retry_stalled_jobs hands it on and the next walker goes on from the stored step states.
@app.task(queue="workflows", name="workflows.advance")
def advance(execution_id: str) -> None:
    engine.advance(execution_id)


def defer_advance(execution_id, schedule_at=None) -> int | None:
    """Queue a walk of the execution (in the current transaction): one walker at a time (lock), one
    waiting at most (queueing lock)."""
    lock = advance_lock(execution_id)
    return jobs.defer(advance, lock=lock, queueing_lock=lock, schedule_at=schedule_at, execution_id=str(execution_id))


# The cron expressions of every active workflow, checked each minute as the connection role; each
# execution it starts belongs to (and runs as) its workflow's owner.
@app.periodic(cron=settings.JOBS_SCHEDULES["workflow_schedules"])
@app.task(queue="maintenance", name="workflows.run_schedules", queueing_lock="workflows.run_schedules", lock="workflows.run_schedules")
def run_schedules(timestamp: int | None = None) -> int:
    return scheduler.run_due(timestamp)

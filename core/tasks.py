"""The job queue's own upkeep (procrastinate; docs/jobs.md). Both run as the connection role."""

from django.conf import settings
from procrastinate.contrib.django import app


# A worker that dies (killed, its machine lost) leaves its jobs `doing`. Once its heartbeat is older
# than JOBS_STALLED_AFTER, its jobs go back to the queue for another worker; each job's `lock` keeps
# two runs of one job from overlapping, and the jobs are written to go on from where they stopped.
@app.periodic(cron=settings.JOBS_SCHEDULES["retry_stalled_jobs"])
@app.task(queue="maintenance", name="core.retry_stalled_jobs", queueing_lock="core.retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context, timestamp: int | None = None) -> int:
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=settings.JOBS_STALLED_AFTER)
    for job in stalled:
        await manager.retry_job(job)
    return len(stalled)


@app.periodic(cron=settings.JOBS_SCHEDULES["delete_old_jobs"])
@app.task(queue="maintenance", name="core.delete_old_jobs", queueing_lock="core.delete_old_jobs", pass_context=True)
async def delete_old_jobs(context, timestamp: int | None = None) -> None:
    """Finished jobs older than JOBS_KEEP_FINISHED_HOURS go (failed ones stay for staff to see)."""
    await context.app.job_manager.delete_old_jobs(nb_hours=settings.JOBS_KEEP_FINISHED_HOURS)


@app.task(queue="maintenance", name="core.noop")
async def noop() -> None:
    """Does nothing (on the worker's event loop): measures the queue itself (bench/jobs), or shows
    that workers pick jobs up."""

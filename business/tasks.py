"""Background jobs of the business app (procrastinate; docs/jobs.md). Maintenance: runs as the
connection role (the monitoring functions are staff-only)."""

from django.conf import settings
from django.db import transaction
from procrastinate.contrib.django import app

from business import ops


@app.periodic(cron=settings.JOBS_SCHEDULES["record_metrics"])
@app.task(queue="maintenance", name="business.record_metrics", queueing_lock="business.record_metrics", lock="business.record_metrics")
def record_metrics(timestamp: int | None = None) -> int:
    """Queue depth, table sizes and the ingest rate, one metrics_log row each."""
    with transaction.atomic():
        return ops.record()

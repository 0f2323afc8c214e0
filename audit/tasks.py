"""Background jobs of the audit trail (procrastinate; docs/jobs.md)."""

import logging

from django.conf import settings
from procrastinate.contrib.django import app

from audit import retention

logger = logging.getLogger("audit")


# Maintenance as the connection role (retention.cleanup switches the audit tables' guard on for its
# own batches). Batched and idempotent: a run cut short is finished by the next one; one at a time.
@app.periodic(cron=settings.JOBS_SCHEDULES["cleanup_retention"])
@app.task(queue="maintenance", name="audit.cleanup_retention", queueing_lock="audit.cleanup_retention", lock="audit.cleanup_retention")
def cleanup_retention(timestamp: int | None = None) -> int:
    run = retention.cleanup()
    deleted = sum(result.deleted for result in run.tables)
    logger.info("cleanup_retention: deleted %s rows from %s tables", deleted, len(run.tables))
    return deleted

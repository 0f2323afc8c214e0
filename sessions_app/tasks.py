"""Background jobs of the analysis sessions (procrastinate; docs/jobs.md)."""

import io
import logging

from django.conf import settings
from django.core.management import call_command
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


# Maintenance over every user's values, as the connection role. Batched and idempotent: a run cut
# short is finished by the next one, so no retry; one run at a time.
@app.periodic(cron=settings.JOBS_SCHEDULES["cleanup_sessions"])
@app.task(queue="maintenance", name="sessions_app.cleanup_sessions", queueing_lock="sessions_app.cleanup_sessions",
          lock="sessions_app.cleanup_sessions")
def cleanup_sessions(timestamp: int | None = None) -> None:
    out = io.StringIO()
    call_command("cleanup_sessions", no_progress=True, stdout=out)  # the operators' command is the implementation
    logger.info(out.getvalue().strip())

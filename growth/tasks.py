"""Background jobs of growth analytics (procrastinate; docs/jobs.md). Maintenance over every user's
events, so it runs as the connection role (the table owner), not under any end user's RLS."""

from django.conf import settings
from procrastinate.contrib.django import app

from growth import services


@app.periodic(cron=settings.JOBS_SCHEDULES["growth_rollups"])
@app.task(queue="maintenance", name="growth.refresh_rollups", queueing_lock="growth.refresh_rollups", lock="growth.refresh_rollups")
def refresh_rollups(timestamp: int | None = None) -> dict:
    """metrics_daily for the days that received events or spend since the last run, and the
    UTM touches and cohorts of the users who sent events. Idempotent; one at a time."""
    return services.refresh_pending()

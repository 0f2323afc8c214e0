"""Background jobs of the privacy guardian (procrastinate; docs/jobs.md, docs/privacy.md)."""

import logging

from django.conf import settings
from django.db import connection
from procrastinate.contrib.django import app

from accounts.models import AuthUser
from core import jobs, rls
from privacy import exports, patterns
from privacy.models import PrivacyExport

logger = logging.getLogger("privacy")


# As the connection role: the function is the one narrow way to delete telemetry for every user.
@app.periodic(cron=settings.JOBS_SCHEDULES["privacy_retention"])
@app.task(queue="maintenance", name="privacy.cleanup_telemetry", queueing_lock="privacy.cleanup_telemetry", lock="privacy.cleanup_telemetry")
def cleanup_telemetry(timestamp: int | None = None) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT users, telemetry_deleted, file_events_deleted FROM public.cleanup_telemetry_by_retention()")
        users, telemetry, files = cursor.fetchone()
    logger.info("cleanup_telemetry: %s telemetry and %s file events of %s users", telemetry, files, users)
    return {"users": users, "telemetry_deleted": telemetry, "file_events_deleted": files}


# For the user, under RLS as them (their file events, their patterns).
@app.task(queue="privacy", name="privacy.rebuild_patterns")
def rebuild_patterns(user_id: str) -> None:
    user = AuthUser.objects.filter(pk=user_id).first()
    if user is None:  # deleted since: their rows went with them
        return
    with rls.end_user(rls.claims_for(user)):
        patterns.rebuild(user.pk)


def defer_rebuild(user_id) -> None:
    """Queue one rebuild of the user's patterns (one waiting at a time: it reads every event)."""
    jobs.defer(rebuild_patterns, queueing_lock=f"privacy.rebuild_patterns:{user_id}", user_id=str(user_id))


# Weights decay with age even when no event comes: every user with file activity, once a day.
@app.periodic(cron=settings.JOBS_SCHEDULES["privacy_patterns"])
@app.task(queue="maintenance", name="privacy.refresh_patterns", queueing_lock="privacy.refresh_patterns")
def refresh_patterns(timestamp: int | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT user_id FROM file_events UNION SELECT DISTINCT user_id FROM relationships")
        users = [row[0] for row in cursor.fetchall()]
    for user_id in users:
        defer_rebuild(user_id)
    return len(users)


@app.task(queue="privacy", name="privacy.build_export")
def build_export(export_id: str, user_id: str) -> None:
    user = AuthUser.objects.filter(pk=user_id).first()
    if user is None:
        return
    with rls.end_user(rls.claims_for(user)):
        export = PrivacyExport.objects.for_user(user).filter(pk=export_id, status="pending").first()
        if export is not None:
            exports.build(export, user)


def defer_export(export) -> None:
    jobs.defer(build_export, export_id=str(export.pk), user_id=str(export.user_id))

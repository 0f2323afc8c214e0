"""Cron triggers: `run_due()` starts an execution of every active scheduled workflow whose cron
expression (UTC, croniter — procrastinate's own) fired since it was last checked. Run by the periodic
task `workflows.run_schedules` each minute, as the connection role; a workflow checked for the first
time starts counting from then (no back-filling)."""

from datetime import UTC, datetime

from croniter import croniter
from django.db import transaction
from django.utils import timezone

from workflows.models import Trigger, Workflow


def is_valid(expression: str) -> bool:
    return croniter.is_valid(expression) and len(expression.split()) == 5


def run_due(timestamp: int | None = None, batch: int = 500) -> int:
    from workflows import services

    now = datetime.fromtimestamp(timestamp, UTC) if timestamp else timezone.now()
    started = 0
    with transaction.atomic():
        due = (Workflow.objects.filter(is_active=True).exclude(schedule="")
               .select_for_update(skip_locked=True).order_by("schedule_checked_at")[:batch])
        for workflow in due:
            since = workflow.schedule_checked_at
            if since is not None and is_valid(workflow.schedule) and croniter(workflow.schedule, since).get_next(datetime) <= now:
                services.start(workflow, {"scheduled_at": now.isoformat()}, trigger=Trigger.SCHEDULE)
                started += 1
            Workflow.objects.filter(pk=workflow.pk).update(schedule_checked_at=now)
    return started

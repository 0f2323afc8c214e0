"""Shared by the growth tests: rows as the API and the SQL functions take them, and SQL calls as an
end user or as the connection role."""

import json
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime

from django.db import connection

from core import rls


def event(name="page_view", at="2026-03-01T12:00:00Z", props=None, event_id=None, **extra) -> dict:
    row = {"event_id": event_id or str(uuid.uuid4()), "occurred_at": at, "event_name": name, **extra}
    if props is not None:
        row["props"] = props
    return row


def spend(platform="google", campaign="c1", day="2026-03-01", cents=1000, **extra) -> dict:
    return {"platform": platform, "campaign_id": campaign, "date": day, "spend_cents": cents, **extra}


def sql_call(function: str, rows, user=None):
    """`SELECT * FROM function(rows)`, as `user` (authenticated, under RLS) or the connection role."""
    with rls.end_user(rls.claims_for(user)) if user is not None else nullcontext(), connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {function}(%s::jsonb)", [json.dumps(rows)])
        return cursor.fetchone()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)

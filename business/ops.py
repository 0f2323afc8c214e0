"""What the System page and the metrics job read: seed 002's monitoring functions
(`get_table_sizes()`, `get_index_usage()`, `system_healthcheck()`: SQL, executable by staff only —
the connection role) and the samples of `metrics_log`."""

import json
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

QUEUE_DEPTH = """
SELECT queue_name, status, count(*) FROM procrastinate_jobs
 WHERE status IN ('todo', 'doing') GROUP BY 1, 2 ORDER BY 1, 2
"""
# partner_usage_daily is kept by the ingestion's triggers: today's events without reading them.
EVENTS_TODAY = "SELECT coalesce(sum(event_count), 0)::bigint FROM partner_usage_daily WHERE day = (now() AT TIME ZONE 'UTC')::date"


def _rows(sql: str, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def table_sizes() -> list[dict]:
    return _rows("SELECT * FROM get_table_sizes()")


def index_usage() -> list[dict]:
    return _rows("SELECT * FROM get_index_usage()")


def healthcheck() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT system_healthcheck()")
        return json.loads(cursor.fetchone()[0])  # Django reads jsonb as text


def queue_depth() -> dict:
    depth: dict[str, dict[str, int]] = {}
    for row in _rows(QUEUE_DEPTH):
        depth.setdefault(row["queue_name"], {"todo": 0, "doing": 0})[row["status"]] = row["count"]
    return depth


def ingest_sample(now: datetime) -> dict:
    """Events ingested today (UTC) and the rate since the previous sample (events/minute; None for
    the first sample of a day)."""
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_TODAY)
        today = cursor.fetchone()[0]
        cursor.execute("SELECT ts, metric FROM metrics_log WHERE source = 'ingest' ORDER BY ts DESC LIMIT 1")
        previous = cursor.fetchone()
    rate = None
    if previous is not None:
        ts, metric = previous
        metric = json.loads(metric) if isinstance(metric, str) else metric
        minutes = (now - ts).total_seconds() / 60
        if ts.date() == now.date() and minutes > 0 and today >= metric.get("events_today", 0):
            rate = round((today - metric["events_today"]) / minutes, 2)
    return {"events_today": today, "events_per_minute": rate}


def record() -> int:
    """One sample of each source into metrics_log, in one statement; returns the rows written."""
    now = timezone.now()
    sizes = table_sizes()[:20]
    samples = [
        ("queue", queue_depth()),
        ("table_sizes", {row["table_name"]: row["total_bytes"] for row in sizes}),
        ("ingest", ingest_sample(now)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO metrics_log (ts, source, metric) SELECT %s, s, m::jsonb FROM unnest(%s::text[], %s::text[]) AS t(s, m)",
            [now, [s for s, _ in samples], [json.dumps(m) for _, m in samples]],
        )
    return len(samples)


def series(source: str, days: int = 7) -> list[tuple[datetime, dict]]:
    since = timezone.now() - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute("SELECT ts, metric FROM metrics_log WHERE source = %s AND ts >= %s ORDER BY ts", [source, since])
        return [(ts, json.loads(m) if isinstance(m, str) else m) for ts, m in cursor.fetchall()]

"""The staff System page (`/admin/system/`): the database's health, table sizes and index usage
(seed 002's monitoring functions), the queue and ingest samples of metrics_log, MRR and churn."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from business import ops, services
from core.middleware import without_rls

VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"


def _bars(rows: list[dict], label: str, value: str, title: str) -> dict:
    return {
        "$schema": VEGA_LITE, "width": "container", "height": {"step": 18},
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#0172ad", "tooltip": True},
        "encoding": {
            "y": {"field": label, "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": value, "type": "quantitative", "title": title, "axis": {"format": "~s"}},
        },
        "config": {"view": {"stroke": None}},
    }


def _lines(points: list[dict], title: str) -> dict:
    return {
        "$schema": VEGA_LITE, "width": "container", "height": 160,
        "data": {"values": points},
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {
            "x": {"field": "ts", "type": "temporal", "title": None},
            "y": {"field": "value", "type": "quantitative", "title": title},
            "color": {"field": "series", "type": "nominal", "title": None},
        },
        "config": {"view": {"stroke": None}},
    }


def charts() -> dict:
    sizes = ops.table_sizes()[:15]
    queue = [{"ts": ts.isoformat(), "series": name, "value": counts.get("todo", 0)}
             for ts, metric in ops.series("queue") for name, counts in metric.items()]
    ingest = [{"ts": ts.isoformat(), "series": "events/min", "value": metric["events_per_minute"]}
              for ts, metric in ops.series("ingest") if metric.get("events_per_minute") is not None]
    return {
        "table_sizes": _bars([{"table": r["table_name"], "bytes": r["total_bytes"]} for r in sizes], "table", "bytes", "Total size (bytes)"),
        "queue": _lines(queue, "Jobs waiting"),
        "ingest": _lines(ingest, "Events per minute"),
    }


@without_rls  # the monitoring functions are the connection role's (staff), never an end user's
@staff_member_required
def system(request):
    indexes = ops.index_usage()
    context = {
        **admin.site.each_context(request),
        "title": "System",
        "health": ops.healthcheck(),
        "tables": ops.table_sizes(),
        "unused_indexes": [row for row in indexes if not row["idx_scan"] and not row["is_unique"]],
        "indexes": indexes[:30],
        "charts": charts(),
        "revenue": services.revenue_summary(),
    }
    return render(request, "business/system.html", context)

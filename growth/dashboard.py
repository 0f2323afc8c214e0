"""What the staff Growth page shows (growth/views.py): metrics over a range, spend by platform, the
cohort retention matrix and first-touch UTM sources, each as rows plus a Vega-Lite spec drawn by
static/js/charts.js. Read as the connection role: the page is staff-only."""

from datetime import date

from django.db import connection
from django.db.models import Count, Sum

from growth.models import MetricsDaily, Spend, UtmTrack

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
COHORT_MONTHS = 12  # cohorts shown: the last twelve months of acquisition
DAY = {"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate"}

# (field, title, d3 format of the axis, scale the stored value by)
METRIC_CHARTS = [
    ("revenue", "Revenue", "$,.0f", 0.01, "revenue_cents"),
    ("orders", "Orders", ",d", 1, "orders"),
    ("aov", "Average order value", "$,.2f", 0.01, "aov_cents"),
    ("cac", "Customer acquisition cost", "$,.2f", 0.01, "cac_cents"),
    ("conversion", "Conversion rate (orders / sessions)", ".1%", 1, "conversion_rate"),
]


def _spec(values, mark, encoding, height=160) -> dict:
    return {
        "$schema": SCHEMA, "width": "container", "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": values}, "mark": mark, "encoding": encoding,
        "config": {"view": {"stroke": None}},
    }


def _day_axis():
    return {**DAY, "title": "Day (UTC)", "axis": {"format": "%b %d", "labelAngle": 0}}


def metrics(start: date, end: date) -> dict:
    rows = list(MetricsDaily.objects.filter(day__range=(start, end)).order_by("day").values())
    charts = []
    for name, title, fmt, scale, column in METRIC_CHARTS:
        values = [{"day": row["day"].isoformat(), "value": None if row[column] is None else float(row[column]) * scale} for row in rows]
        charts.append({"name": name, "title": title, "spec_id": f"chart-{name}-spec", "spec": _spec(
            values, {"type": "line", "point": True, "tooltip": True, "color": "#0172ad"},
            {"x": _day_axis(), "y": {"field": "value", "type": "quantitative", "title": title, "axis": {"format": fmt}},
             "tooltip": [{**DAY, "title": "Day", "format": "%a %b %d, %Y"},
                         {"field": "value", "type": "quantitative", "title": title, "format": fmt}]})})
    totals = {key: sum(row[key] for row in rows) for key in ("sessions", "orders", "revenue_cents", "refunds_cents", "spend_cents", "new_customers")}
    totals["aov_cents"] = round(totals["revenue_cents"] / totals["orders"]) if totals["orders"] else None
    totals["cac_cents"] = round(totals["spend_cents"] / totals["new_customers"]) if totals["new_customers"] else None
    totals["conversion_rate"] = totals["orders"] / totals["sessions"] if totals["sessions"] else None
    shown = [("Sessions", f"{totals['sessions']:,}"), ("Orders", f"{totals['orders']:,}"),
             ("Revenue", money(totals["revenue_cents"])), ("Refunds", money(totals["refunds_cents"])),
             ("AOV", money(totals["aov_cents"])), ("Spend", money(totals["spend_cents"])),
             ("New customers", f"{totals['new_customers']:,}"), ("CAC", money(totals["cac_cents"])),
             ("Conversion", "—" if totals["conversion_rate"] is None else f"{totals['conversion_rate']:.2%}")]
    return {"rows": rows, "charts": charts, "totals": totals, "shown": shown}


def money(cents: int | None) -> str:
    return "—" if cents is None else f"${cents / 100:,.2f}"


def spend(start: date, end: date) -> dict:
    spent = Spend.objects.filter(date__range=(start, end))
    platforms = list(spent.values("platform").annotate(
        spend_cents=Sum("spend_cents"), clicks=Sum("clicks"), impressions=Sum("impressions"), conv=Sum("conv")).order_by("-spend_cents"))
    for row in platforms:
        row["spend"] = money(row["spend_cents"])
    daily = [{"day": row["date"].isoformat(), "platform": row["platform"], "spend": row["cents"] / 100}
             for row in spent.values("date", "platform").annotate(cents=Sum("spend_cents")).order_by("date", "platform")]
    chart = _spec(daily, {"type": "line", "tooltip": True}, {
        "x": _day_axis(),
        "y": {"field": "spend", "type": "quantitative", "title": "Spend", "axis": {"format": "$,.0f"}},
        "color": {"field": "platform", "type": "nominal", "title": "Platform"},
    }, height=200)
    return {"platforms": platforms, "chart": chart}


RETENTION = """
WITH sizes AS (
  SELECT cohort_month, count(*) AS users FROM cohorts WHERE cohort_month >= %(since)s GROUP BY 1
), active AS (
  SELECT c.cohort_month, date_trunc('month', e.occurred_at AT TIME ZONE 'UTC')::date AS month, count(DISTINCT e.user_id) AS users
  FROM cohorts c JOIN analytics_events e ON e.user_id = c.user_id
  WHERE c.cohort_month >= %(since)s AND e.occurred_at >= %(since)s::timestamp AT TIME ZONE 'UTC'
  GROUP BY 1, 2
)
SELECT s.cohort_month, s.users,
       (extract(year FROM a.month) * 12 + extract(month FROM a.month)
        - extract(year FROM s.cohort_month) * 12 - extract(month FROM s.cohort_month))::int AS age, a.users
FROM sizes s JOIN active a ON a.cohort_month = s.cohort_month
WHERE a.month >= s.cohort_month
ORDER BY 1, 3
"""


def cohorts(today: date) -> dict:
    """Share of each monthly cohort active (any event) in each month since its acquisition."""
    months = today.year * 12 + today.month - 1 - (COHORT_MONTHS - 1)
    since = date(months // 12, months % 12 + 1, 1)
    with connection.cursor() as cursor:
        cursor.execute(RETENTION, {"since": since})
        cells = [{"cohort": month.strftime("%Y-%m"), "size": size, "age": age, "active": active, "retention": active / size}
                 for month, size, age, active in cursor.fetchall()]
    chart = _spec(cells, {"type": "rect", "tooltip": True}, {
        "x": {"field": "age", "type": "ordinal", "title": "Months since acquisition", "axis": {"labelAngle": 0}},
        "y": {"field": "cohort", "type": "ordinal", "title": "Cohort (month acquired)"},
        "color": {"field": "retention", "type": "quantitative", "title": "Active", "scale": {"scheme": "blues", "domain": [0, 1]},
                  "legend": {"format": ".0%"}},
        "tooltip": [{"field": "cohort", "title": "Cohort"}, {"field": "size", "title": "Users"},
                    {"field": "age", "title": "Month"}, {"field": "retention", "title": "Active", "format": ".1%"}],
    }, height=max(60, 28 * len({cell["cohort"] for cell in cells})))
    return {"cells": cells, "chart": chart}


def first_touch() -> dict:
    rows = list(UtmTrack.objects.filter(first_touch=True).values("source", "medium")
                .annotate(users=Count("id")).order_by("-users", "source", "medium")[:20])
    chart = _spec([{"source": f"{row['source']} / {row['medium'] or '(none)'}", "users": row["users"]} for row in rows],
                  {"type": "bar", "tooltip": True, "color": "#0172ad"},
                  {"y": {"field": "source", "type": "nominal", "sort": "-x", "title": "Source / medium"},
                   "x": {"field": "users", "type": "quantitative", "title": "Users (first touch)", "axis": {"tickMinStep": 1}}},
                  height=max(60, 22 * len(rows)))
    return {"rows": rows, "chart": chart}

"""The report of a plan: the GA4 `runReport` request that asks for it, and the `Report` read from
Google's answer. Knows GA4's request and response shapes, nothing of wording or charts.

Both periods go in one request (GA4 adds a `dateRange` dimension to each row); totals come per
period (GA4's, or summed from the rows for summable metrics).
"""

from dataclasses import dataclass, field

from chat.responders.base import ResponderError
from chat.responders.grammar import Plan


def request_body(plan: Plan) -> dict:
    """The runReport body: both periods, the dimension, the metrics, totals per period, an order."""
    body = {
        "dateRanges": [
            {"startDate": plan.period.start.isoformat(), "endDate": plan.period.end.isoformat(), "name": "current"},
            {"startDate": plan.previous.start.isoformat(), "endDate": plan.previous.end.isoformat(), "name": "previous"},
        ],
        "metrics": [{"name": name} for name in plan.metrics],
        "metricAggregations": ["TOTAL"],
    }
    if plan.dimension:
        body["dimensions"] = [{"name": plan.dimension}]
        if plan.dimension == "date":
            body["orderBys"] = [{"dimension": {"dimensionName": "date"}}]
            body["limit"] = plan.period.days + plan.previous.days
        else:
            body["orderBys"] = [{"metric": {"metricName": plan.metrics[0]}, "desc": True}]
            # Rows of both periods share the limit: room for the top `limit` of each.
            body["limit"] = plan.limit * 2
    else:
        body["limit"] = 2
    return body


@dataclass
class Report:
    """A runReport answer, per period: rows (dimension value → metric values, in the plan's order)
    and totals ("current"/"previous" → values; None where a total cannot be summed)."""

    current: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)
    row_count: int = 0
    currency: str = ""


def read(body: dict, plan: Plan) -> Report:
    """The Report in Google's answer to `request_body(plan)`; ResponderError when it answers
    something else than was asked."""
    dimensions = [h.get("name") for h in body.get("dimensionHeaders") or [] if isinstance(h, dict)]
    metrics = [h.get("name") for h in body.get("metricHeaders") or [] if isinstance(h, dict)]
    if metrics and metrics != plan.metrics:
        raise ResponderError("Google Analytics answered with other metrics than the report asked for.")
    range_at = dimensions.index("dateRange") if "dateRange" in dimensions else None
    value_at = dimensions.index(plan.dimension) if plan.dimension in dimensions else None
    if plan.dimension and value_at is None and body.get("rows"):
        raise ResponderError("Google Analytics answered without the dimension the report asked for.")
    report = Report(currency=str((body.get("metadata") or {}).get("currencyCode") or ""))
    for row in body.get("rows") or []:
        values = [v.get("value") for v in row.get("dimensionValues") or []]
        numbers = [_number(v.get("value")) for v in row.get("metricValues") or []]
        which = _range(values[range_at] if range_at is not None and range_at < len(values) else "current")
        key = values[value_at] if value_at is not None and value_at < len(values) else ""
        if plan.dimension == "date":
            key = _iso_date(key)
        (report.current if which == "current" else report.previous)[key] = numbers
        report.row_count += 1
    for total in body.get("totals") or []:
        values = [v.get("value") for v in total.get("dimensionValues") or []]
        which = _range(next((v for v in values if v and v.startswith(("date_range", "current", "previous"))), "current"))
        report.totals[which] = [_number(v.get("value")) for v in total.get("metricValues") or []]
    for which, rows in (("current", report.current), ("previous", report.previous)):
        if which not in report.totals:
            report.totals[which] = [
                (sum(values[i] for values in rows.values() if i < len(values)) if metric.summable or len(rows) == 1 else None)
                if rows else 0.0
                for i, metric in enumerate(plan.metric_objects)
            ]
    return report


def _range(value: str) -> str:
    return "previous" if value in ("previous", "date_range_1") else "current"


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _iso_date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 and value.isdigit() else value

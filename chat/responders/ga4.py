"""The built-in responder: answers questions about a GA4 property from its reports.

The question is read by `chat.responders.grammar` into a report (metrics, at most one dimension, a
period). One `runReport` call, made through the credential's report source (`chat.ga4.reports`: the
GA4 Data API, or the built-in demo property), asks for that period and the previous one together;
the answer is a sentence or two, a chart (line over dates, bar for a breakdown, pie when a share is
asked for, table when there are many rows or no dimension), headline metrics with their change
against the previous period, and a citation of the report run.

The session's credential gives the property and its report source. No credential: the answer says
how to connect one. A grant Google no longer honours: the answer says to reconnect. Anything else
that fails (Google unreachable, slow, refusing) fails the message with a clear error (`ResponderError`).
"""

from dataclasses import dataclass, field

from chat.content import MAX_ANSWER
from chat.ga4 import reports
from chat.responders import grammar
from chat.responders.base import Answer, Chunk, Responder, ResponderError, Turn

CONNECT_URL = reports.CONNECT_URL
MAX_BAR_ROWS = 12  # more categories than this: a table
MAX_PIE_ROWS = 8
HELP = (
    "Ask for metrics (sessions, active users, new users, views, conversions, revenue, engagement rate, "
    "average session duration, bounce rate, events), optionally by one dimension (device category, "
    "country, city, page, source, channel, browser, or per day) and a period (today, yesterday, last N days, "
    "this or last week, this or last month) — e.g. “sessions by device category last 7 days” or “top pages this month”."
)
NO_PROPERTY = (
    "This chat is not connected to a Google Analytics 4 property yet, so I have no data to answer from. "
    f"Connect one at {CONNECT_URL}, choose it for this chat, then ask again. {HELP}"
)
RECONNECT = (
    "Google no longer accepts this chat's connection to Google Analytics (it was revoked or has expired). "
    f"Reconnect the property at {CONNECT_URL}, then ask again."
)


def ai(answer: str, *, charts=(), metrics=(), citations=()) -> dict:
    return {"type": "ai", "answer": answer[:MAX_ANSWER], "charts": list(charts), "metrics": list(metrics), "citations": list(citations)}


class GA4Responder(Responder):
    name = "ga4"

    def respond(self, turn: Turn):
        try:
            plan = grammar.parse(turn.question, persona=turn.persona, today=turn.today)
        except grammar.QuestionNotUnderstood as exc:
            yield Answer(ai(f"{exc} {HELP}"))
            return
        yield Chunk(f"Reading your question as: {plan.describe()}.")

        credential, problem = self._credential(turn)
        if problem is not None:
            yield Answer(ai(problem))
            return
        yield Chunk(f"Running a GA4 report on property {credential.property_name or credential.property_id}…")
        try:
            body = reports.source_for(credential, user_id=turn.user_id, as_user=turn.as_user).run_report(plan.request_body())
        except reports.NeedsReconnect:
            yield Answer(ai(RECONNECT))
            return
        except reports.ReportError as exc:
            raise ResponderError(str(exc)) from exc
        report = Report.parse(body, plan)
        yield Chunk(f"Google Analytics returned {report.row_count} rows; writing the answer…")
        yield Answer(compose(plan, report, credential))

    # --- the credential -----------------------------------------------------------------------------

    def _credential(self, turn: Turn):
        """(credential, None), or (None, the answer to give instead)."""
        from chat.models import GA4Credential

        if turn.credential_id is None:
            return None, NO_PROPERTY
        with turn.as_user():
            credential = GA4Credential.objects.filter(pk=turn.credential_id, user=turn.user_id).first()
        if credential is None:
            return None, NO_PROPERTY
        if credential.status != GA4Credential.Status.ACTIVE:
            return None, RECONNECT
        return credential, None


# --- reading the report ------------------------------------------------------------------------------


@dataclass
class Report:
    """A runReport answer, per period: rows (dimension value → metric values, in GA4's order) and
    totals (GA4's, or summed from the rows for summable metrics)."""

    current: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)  # "current"/"previous" -> [values]
    row_count: int = 0
    currency: str = ""

    @classmethod
    def parse(cls, body: dict, plan: grammar.Plan) -> "Report":
        dimensions = [h.get("name") for h in body.get("dimensionHeaders") or [] if isinstance(h, dict)]
        metrics = [h.get("name") for h in body.get("metricHeaders") or [] if isinstance(h, dict)]
        if metrics and metrics != plan.metrics:
            raise ResponderError("Google Analytics answered with other metrics than the report asked for.")
        range_at = dimensions.index("dateRange") if "dateRange" in dimensions else None
        value_at = dimensions.index(plan.dimension) if plan.dimension in dimensions else None
        if plan.dimension and value_at is None and body.get("rows"):
            raise ResponderError("Google Analytics answered without the dimension the report asked for.")
        report = cls(currency=str((body.get("metadata") or {}).get("currencyCode") or ""))
        for row in body.get("rows") or []:
            values = [v.get("value") for v in row.get("dimensionValues") or []]
            numbers = [_number(v.get("value")) for v in row.get("metricValues") or []]
            which = _range(values[range_at] if range_at is not None and range_at < len(values) else "current")
            key = values[value_at] if value_at is not None and value_at < len(values) else ""
            if plan.dimension == "date":
                key = _iso_date(key)
            target = report.current if which == "current" else report.previous
            target[key] = numbers
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


# --- writing the answer ------------------------------------------------------------------------------


def _display(metric: grammar.Metric, value: float | None) -> float | None:
    """GA4 gives rates as fractions (0.52): shown as percentages (52.0)."""
    if value is None:
        return None
    return round(value * 100, 2) if metric.unit == "percent" else round(value, 2)


def _format(metric: grammar.Metric, value: float | None, currency: str = "") -> str:
    if value is None:
        return "n/a"
    if metric.unit == "percent":
        return f"{value:.1f}%"
    if metric.unit == "seconds":
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
    if metric.unit == "currency":
        return f"{currency + ' ' if currency else ''}{value:,.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def delta(current: float | None, previous: float | None) -> float | None:
    """Relative change in percent, one decimal; None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return round((current - previous) / abs(previous) * 100, 1)


def compose(plan: grammar.Plan, report: Report, credential) -> dict:
    metrics = plan.metric_objects
    current = [_display(m, v) for m, v in zip(metrics, report.totals.get("current", []))]
    previous = [_display(m, v) for m, v in zip(metrics, report.totals.get("previous", []))]
    headline = [
        {"name": m.label, "value": cur if cur is not None else 0, "unit": m.unit, "delta": delta(cur, prev)}
        for m, cur, prev in zip(metrics, current, previous)
        if cur is not None
    ]

    sentences = []
    if not report.current:
        sentences.append(f"Google Analytics has no data for {plan.period.label} ({plan.period}).")
    else:
        parts = []
        for m, cur, prev in zip(metrics, current, previous):
            change = delta(cur, prev)
            text = f"{m.label.lower()} {_format(m, cur, report.currency)}"
            if change is None:
                text += " (nothing to compare with in the previous period)" if cur is not None else ""
            elif change == 0:
                text += ", unchanged on the previous period"
            else:
                text += f", {'up' if change > 0 else 'down'} {abs(change):.1f}% on the previous period ({_format(m, prev, report.currency)})"
            parts.append(text)
        lead = f"{plan.period.label[0].upper()}{plan.period.label[1:]} ({plan.period})"
        sentences.append(f"{lead}: {'; '.join(parts)}.")
        sentences.extend(_highlights(plan, report))
    sentences.extend(plan.notes)
    chart = _chart(plan, report)
    source = reports.citation_for(credential)
    name = credential.property_name or credential.property_id
    citation = {
        "title": f"GA4 runReport, property {name}: {plan.describe()}, compared with {plan.previous}",
        "source": source,
    }
    return ai(" ".join(sentences), charts=[chart] if chart else [], metrics=headline, citations=[citation])


def _highlights(plan: grammar.Plan, report: Report) -> list[str]:
    if not plan.dimension or not report.current:
        return []
    metric = plan.metric_objects[0]
    rows = [(key, values[0]) for key, values in report.current.items() if values]
    if not rows:
        return []
    key, best = max(rows, key=lambda kv: kv[1])
    shown = _format(metric, _display(metric, best), report.currency)
    if plan.dimension == "date":
        return [f"The highest {metric.label.lower()} was on {key} ({shown})."]
    total = report.totals.get("current", [None])[0]
    share = f", {best / total * 100:.1f}% of the total" if metric.summable and total else ""
    label = grammar.DIMENSIONS[plan.dimension].label.lower()
    return [f"By {label}, {key or '(not set)'} leads with {shown} {metric.label.lower()}{share}."]


def _chart(plan: grammar.Plan, report: Report) -> dict | None:
    metrics = plan.metric_objects
    title = plan.describe()
    title = title[0].upper() + title[1:]
    if not plan.dimension:
        rows = []
        for i, m in enumerate(metrics):
            cur = _display(m, (report.totals.get("current") or [None] * len(metrics))[i])
            prev = _display(m, (report.totals.get("previous") or [None] * len(metrics))[i])
            rows.append([m.label, cur, prev, delta(cur, prev)])
        return {"kind": "table", "title": title, "columns": ["Metric", "This period", "Previous period", "Change %"], "rows": rows}
    if not report.current:
        return None
    if plan.dimension == "date":
        days = [d.isoformat() for d in plan.period.dates()]
        return {
            "kind": "line",
            "title": title,
            "x": "date",
            "series": [
                {"name": m.label, "points": [{"x": day, "y": _display(m, (report.current.get(day) or [0.0] * len(metrics))[i]) or 0} for day in days]}
                for i, m in enumerate(metrics)
            ],
        }
    top = sorted(report.current.items(), key=lambda kv: -(kv[1][0] if kv[1] else 0))[: plan.limit]
    label = grammar.DIMENSIONS[plan.dimension].label
    if plan.pie and len(top) <= MAX_PIE_ROWS:
        m = metrics[0]
        return {"kind": "pie", "title": title, "x": plan.dimension,
                "series": [{"name": m.label, "points": [{"x": key or "(not set)", "y": _display(m, values[0]) or 0} for key, values in top]}]}
    if len(top) > MAX_BAR_ROWS:
        # This period only: the rows of both periods share runReport's limit, so the previous
        # period's value of a row may be missing (the totals compare the periods).
        columns = [label, *(m.label for m in metrics)]
        rows = [[key or "(not set)", *(_display(m, values[i]) for i, m in enumerate(metrics))] for key, values in top]
        return {"kind": "table", "title": title, "columns": columns, "rows": rows}
    return {
        "kind": "bar",
        "title": title,
        "x": plan.dimension,
        "series": [
            {"name": m.label, "points": [{"x": key or "(not set)", "y": _display(m, values[i]) or 0} for key, values in top]}
            for i, m in enumerate(metrics)
        ],
    }

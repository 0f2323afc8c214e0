"""The answer to a question, from its plan and the report run for it: a sentence or two, a chart
(line over dates, bar for a breakdown, pie when a share is asked for, table when there are many rows
or no dimension), headline metrics with their change against the previous period, and a citation of
the report. Every display rule (units, rounding, wording) is here.
"""

from chat.content import MAX_ANSWER
from chat.responders.grammar import DIMENSIONS, Metric, Plan
from chat.responders.report import Report

MAX_BAR_ROWS = 12  # more categories than this: a table
MAX_PIE_ROWS = 8


def ai(answer: str, *, charts=(), metrics=(), citations=()) -> dict:
    return {"type": "ai", "answer": answer[:MAX_ANSWER], "charts": list(charts), "metrics": list(metrics), "citations": list(citations)}


def describe(plan: Plan) -> str:
    """How the question was read, in words."""
    metrics = _join([m.label.lower() for m in plan.metric_objects])
    by = f" by {DIMENSIONS[plan.dimension].label.lower()}" if plan.dimension else ""
    top = f" (top {plan.limit})" if plan.dimension and plan.dimension != "date" else ""
    return f"{metrics}{by}{top}, {plan.period.label} ({plan.period})"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _display(metric: Metric, value: float | None) -> float | None:
    """GA4 gives rates as fractions (0.52): shown as percentages (52.0)."""
    if value is None:
        return None
    return round(value * 100, 2) if metric.unit == "percent" else round(value, 2)


def _format(metric: Metric, value: float | None, currency: str = "") -> str:
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


def compose(plan: Plan, report: Report, *, source: str, property_name: str) -> dict:
    """The answer: sentences, a chart, headline metrics with their change, and the citation of the
    report (`source`, the URL it was run at, of the property called `property_name`)."""
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
    citation = {
        "title": f"GA4 runReport, property {property_name}: {describe(plan)}, compared with {plan.previous}",
        "source": source,
    }
    return ai(" ".join(sentences), charts=[chart] if chart else [], metrics=headline, citations=[citation])


def _highlights(plan: Plan, report: Report) -> list[str]:
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
    label = DIMENSIONS[plan.dimension].label.lower()
    return [f"By {label}, {key or '(not set)'} leads with {shown} {metric.label.lower()}{share}."]


def _chart(plan: Plan, report: Report) -> dict | None:
    metrics = plan.metric_objects
    title = describe(plan)
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
    label = DIMENSIONS[plan.dimension].label
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

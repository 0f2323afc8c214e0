"""Built-in insight models: each a real computation over a partner's events, registered in `models`
(name + version) and producing `insights` rows with structured `content`.

Add a model with `@register(name, version, description)` on a function `(partner, now) -> content`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from partners.models import DailyUsage, Insight, ModelStatus, Partner, PredictionModel


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    version: str
    description: str
    compute: Callable[[Partner, datetime], dict]


REGISTRY: dict[str, BuiltinModel] = {}


def register(name: str, version: str, description: str):
    def decorator(compute):
        REGISTRY[name] = BuiltinModel(name, version, description, compute)
        return compute

    return decorator


def ensure_registered() -> dict[str, PredictionModel]:
    """Registry rows for every built-in model (run as the connection role: `models` is staff-written)."""
    rows = {}
    for model in REGISTRY.values():
        rows[model.name], _ = PredictionModel.objects.get_or_create(
            name=model.name, version=model.version,
            defaults={"description": model.description, "status": ModelStatus.ACTIVE, "metadata": {"builtin": True}},
        )
    return rows


def generate(partner: Partner, names: list[str] | None = None, now: datetime | None = None) -> list[Insight]:
    """Run the named built-in models (all by default) for `partner` as of `now` and store one
    insight each, made at `now`."""
    now = now or timezone.now()
    unknown = set(names or []) - set(REGISTRY)
    if unknown:
        raise KeyError(f"Unknown model(s): {', '.join(sorted(unknown))}")
    chosen = [REGISTRY[n] for n in (names or sorted(REGISTRY))]
    registry = {(m.name, m.version): m for m in PredictionModel.objects.filter(name__in=[c.name for c in chosen])}
    insights = []
    for model in chosen:
        row = registry.get((model.name, model.version))
        if row is None:
            raise LookupError(f"{model.name} {model.version} is not registered: run `manage.py generate_insights` once.")
        insights.append(Insight(partner=partner, model=row, content=model.compute(partner, now), created_at=now,
                                metadata={"model": model.name, "version": model.version, "generated_at": now.isoformat()}))
    return Insight.objects.bulk_create(insights)


def generate_all(partner_id=None, names: list[str] | None = None, *, progress=iter) -> tuple[int, int]:
    """Every partner's insights (or one partner's), each partner in its own transaction, as the
    connection role: (insights stored, partners). `manage.py generate_insights` and the nightly job."""
    ensure_registered()
    partners = Partner.objects.order_by("created_at")
    if partner_id is not None:
        partners = partners.filter(pk=partner_id)
    created = count = 0
    for partner in progress(partners.iterator()):
        with transaction.atomic():
            created += len(generate(partner, names))
        count += 1
    return created, count


def _days(end: date, count: int) -> list[date]:
    return [end - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


@register(
    "daily_volume_anomaly", "1.0",
    "Flags days whose event count lies more than `threshold` standard deviations from the mean of the "
    "trailing window (z-score), over the last `days` days.",
)
def daily_volume_anomaly(partner: Partner, now: datetime, days: int = 30, window: int = 14, threshold: float = 3.0) -> dict:
    today = now.astimezone(UTC).date()
    span = _days(today, days + window)
    counts = dict(DailyUsage.objects.filter(partner=partner, day__gte=span[0], day__lte=today).values_list("day", "event_count"))
    series = [counts.get(day, 0) for day in span]
    rows = []
    for i in range(window, len(span)):
        trailing = series[i - window : i]
        mean = sum(trailing) / window
        std = math.sqrt(sum((x - mean) ** 2 for x in trailing) / window)
        z = None if std == 0 else (series[i] - mean) / std
        anomaly = (z is not None and abs(z) >= threshold) or (std == 0 and series[i] != mean)
        rows.append({"day": span[i].isoformat(), "count": series[i], "mean": round(mean, 3), "std": round(std, 3),
                     "z": None if z is None else round(z, 3), "anomaly": anomaly})
    return {
        "kind": "daily_volume_anomaly",
        "window_days": window,
        "threshold": threshold,
        "days": rows,
        "anomalies": [r for r in rows if r["anomaly"]],
    }


@register(
    "top_event_types_trend", "1.0",
    "The most frequent event types of the last `period_days` days: count, share of all events, and "
    "change versus the previous period.",
)
def top_event_types_trend(partner: Partner, now: datetime, period_days: int = 7, top: int = 5) -> dict:
    current_start = now - timedelta(days=period_days)
    previous_start = current_start - timedelta(days=period_days)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT event_type,
                   count(*) FILTER (WHERE created_at >= %(current)s) AS current,
                   count(*) FILTER (WHERE created_at < %(current)s) AS previous
            FROM ingestion_events
            WHERE partner_id = %(partner)s AND created_at >= %(previous)s AND created_at < %(now)s
            GROUP BY event_type
            """,
            {"partner": partner.pk, "current": current_start, "previous": previous_start, "now": now},
        )
        rows = cursor.fetchall()
    current_total = sum(r[1] for r in rows)
    previous_total = sum(r[2] for r in rows)
    ranked = sorted((r for r in rows if r[1]), key=lambda r: (-r[1], r[0]))[:top]
    return {
        "kind": "top_event_types_trend",
        "period_days": period_days,
        "current_total": current_total,
        "previous_total": previous_total,
        "types": [
            {
                "event_type": event_type,
                "count": current,
                "share": round(current / current_total, 4),
                "previous_count": previous,
                "change": None if previous == 0 else round((current - previous) / previous, 4),
            }
            for event_type, current, previous in ranked
        ],
    }

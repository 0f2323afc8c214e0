"""Demo data of the partner portal (`manage.py load_demo`, `core.demo`): a partner with a live API
key, an hourly stream of events over the last weeks and an insight run per day, so the usage
chart, the event list and the insights have something to show.

The events are a deterministic function of the day: each day's volume follows a weekly rhythm, a
slow quarterly wave and a little noise, with a burst every 23rd day (which the anomaly model flags).
Every event carries a client id derived from the partner, the day and its place in the day, and
goes through `partners.ingest.store`, the API's own ingestion (the rollup's triggers included), so a
second run stores nothing twice. Each run adds the days that have passed since the last one, drops
what has slid out of the window, and replaces a key that is missing, revoked or due to expire.
"""

import math
import random
import uuid
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from core import demo
from partners import ingest, insights, services
from partners.models import ApiKey, IngestionEvent, Insight, Partner

SHOWN_DAYS = 30  # the portal's usage chart
HISTORY_DAYS = SHOWN_DAYS + 14  # and the anomaly model's trailing window before its first day
KEY_RENEWAL = timedelta(days=30)  # a key expiring sooner is replaced
DAILY_EVENTS = 140  # on an average weekday
WEEKDAY = (1.10, 1.15, 1.12, 1.06, 0.96, 0.62, 0.55)  # Monday first
HOURLY = tuple(0.25 + math.exp(-((hour - 14) ** 2) / 18) for hour in range(24))  # a daytime hump
BURST_EVERY, BURST = 23, 2.6
EVENT_TYPES = {"page_view": 55, "search": 15, "add_to_cart": 12, "error": 7, "signup": 6, "purchase": 5}
SOURCES = {"web": 70, "ios": 18, "android": 12}
VERSIONS = {"web": "2026.3", "ios": "4.12.0", "android": "4.11.2"}
PAGES = ["/", "/pricing", "/products", "/products/analytics-suite", "/docs", "/blog/ga4-migration-guide", "/signup"]
QUERIES = ["dashboards", "ga4 export", "pricing", "api key", "retention", "funnels"]
NAMESPACE = uuid.UUID("5f0c6a52-8f1e-4c55-9a0e-6d2b1c3e7a10")  # of the demo events' client ids


def day_volume(day) -> int:
    wave = 1 + 0.15 * math.sin(2 * math.pi * day.toordinal() / 90)
    noise = random.Random(f"volume/{day.isoformat()}").uniform(0.9, 1.1)
    burst = BURST if day.toordinal() % BURST_EVERY == 0 else 1.0
    return round(DAILY_EVENTS * WEEKDAY[day.weekday()] * wave * noise * burst)


def hourly_counts(day) -> list[int]:
    """The day's volume spread over its 24 hours (largest remainders: the hours add up to it)."""
    total, weight = day_volume(day), sum(HOURLY)
    shares = [total * w / weight for w in HOURLY]
    counts = [math.floor(s) for s in shares]
    for hour in sorted(range(24), key=lambda h: counts[h] - shares[h])[: total - sum(counts)]:
        counts[hour] += 1
    return counts


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_event(partner_id, day, hour: int, index: int) -> dict:
    rng = random.Random(f"event/{day.isoformat()}/{hour}/{index}")
    event_type, source = _pick(rng, EVENT_TYPES), _pick(rng, SOURCES)
    data = {
        "page_view": lambda: {"path": rng.choice(PAGES)},
        "search": lambda: {"query": rng.choice(QUERIES), "results": rng.randint(0, 40)},
        "add_to_cart": lambda: {"sku": f"PLAN-{rng.choice(['STARTER', 'TEAM', 'ENTERPRISE'])}", "quantity": rng.randint(1, 3)},
        "error": lambda: {"code": rng.choice(["timeout", "validation", "payment_declined"])},
        "signup": lambda: {"plan": rng.choice(["free", "team"])},
        "purchase": lambda: {"amount": round(rng.uniform(19, 490), 2), "currency": "EUR"},
    }[event_type]()
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"{partner_id}/{day.isoformat()}/{hour}/{index}")),
        "event_type": event_type,
        "data": data,
        "source": source,
        "version": VERSIONS[source],
        "metadata": {"demo": True},
    }


def _start_of(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@demo.provider("the partner portal")
def load(user, say):
    now = timezone.now()
    today = now.astimezone(UTC).date()
    partner, _ = Partner.objects.get_or_create(user=user, defaults={"name": "Demo Analytics Ltd", "email": user.email})
    ensure_key(partner, now, say)
    stored = load_events(partner, today, now)
    made = load_insights(partner, today, now)
    total = sum(row["event_count"] for row in services.usage(partner, SHOWN_DAYS, today))
    say(f"Partner “{partner.name}”: {total} events in the last {SHOWN_DAYS} days ({stored} new), "
        f"{Insight.objects.filter(partner=partner).count()} insights ({made} new).")


def ensure_key(partner: Partner, now: datetime, say) -> None:
    api_key = ApiKey.objects.filter(partner=partner).first()
    if services.key_status(api_key) == "active" and api_key.expires_at > now + KEY_RENEWAL:
        say(f"API key {api_key.key_prefix}… (expires {api_key.expires_at:%Y-%m-%d}).")
        return
    api_key, plaintext = services.regenerate_key(partner)
    say(f"New API key (shown this once, not stored): {plaintext}")


def load_events(partner: Partner, today, now: datetime) -> int:
    """The last HISTORY_DAYS days of hourly batches, today's squeezed into the hours gone by; the
    events before them deleted (the rollup follows by its triggers). Returns how many were stored."""
    first = today - timedelta(days=HISTORY_DAYS - 1)
    IngestionEvent.objects.filter(partner=partner, created_at__lt=_start_of(first)).delete()
    present = {
        value.hex
        for value in IngestionEvent.objects.filter(partner=partner, client_event_id__isnull=False).values_list("client_event_id", flat=True)
    }
    stored = 0
    for offset in range(HISTORY_DAYS):
        day = first + timedelta(days=offset)
        start = _start_of(day)
        hour_length = timedelta(hours=1) if day < today else (now - start) / 24
        for hour, count in enumerate(hourly_counts(day)):
            batch = [make_event(partner.pk, day, hour, index) for index in range(count)]
            batch = [event for event in batch if uuid.UUID(event["id"]).hex not in present]
            if batch:
                stored += ingest.store(partner.pk, ingest.parse({"batch": batch}), received_at=start + hour * hour_length)["stored"]
    return stored


def load_insights(partner: Partner, today, now: datetime) -> int:
    """Both built-in models run once for each of the last SHOWN_DAYS days (late in the day; today:
    now) that has no insight yet; older insights deleted. Returns how many were made."""
    first = today - timedelta(days=SHOWN_DAYS - 1)
    Insight.objects.filter(partner=partner, created_at__lt=_start_of(first)).delete()
    insights.ensure_registered()
    done = {moment.date() for moment in Insight.objects.filter(partner=partner).datetimes("created_at", "day", tzinfo=UTC)}
    made = 0
    for offset in range(SHOWN_DAYS):
        day = first + timedelta(days=offset)
        if day not in done:
            made += len(insights.generate(partner, now=now if day == today else _start_of(day) + timedelta(hours=23, minutes=50)))
    return made

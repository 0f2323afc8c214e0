"""recompute_metrics_daily against a straightforward computation in Python over random data; the
periodic job (pending days and users), UTM touches and cohorts; every job run twice changes nothing."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DataError, connection, transaction

from growth import services, tasks
from growth.models import AnalyticsEvent, Cohort, MetricsDaily, PendingDay, PendingUser, Spend, UtmTrack
from tests.growth.helpers import event, spend

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)
DAYS = 12
NAMES = ["session_start", "page_view", "add_to_cart", "order_completed", "refund", "signup"]


def random_data(rng: random.Random, users) -> None:
    for user in users:
        rows = []
        for _ in range(rng.randint(5, 60)):
            at = datetime.combine(START - timedelta(days=3), datetime.min.time(), UTC) + timedelta(seconds=rng.randint(0, (DAYS + 5) * 86400))
            name = rng.choice(NAMES)
            props = {}
            if name == "order_completed":
                props = {"revenue_cents": rng.randint(100, 50000)}
                if rng.random() < 0.7:
                    props["cost_cents"] = rng.randint(0, 20000)
                if rng.random() < 0.1:
                    props["revenue_cents"] = "not a number"  # counted as nothing, never fails the day
            elif name == "refund":
                props = {"amount_cents": rng.choice([rng.randint(100, 5000), 12.6])}
            if rng.random() < 0.3:
                props |= {"utm_source": rng.choice(["google", "facebook", "mail"]), "utm_medium": rng.choice(["cpc", "email"])}
            rows.append(event(name, at=at.isoformat(), props=props))
        services.record_events(user.pk, rows)
    services.upsert_spend([spend(platform=p, campaign=c, day=(START + timedelta(days=d)).isoformat(), cents=rng.randint(0, 90000))
                           for p in ("google", "bing") for c in ("a", "b") for d in range(DAYS) if rng.random() < 0.8])


def cents(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return min(max(round(value), 0), 10**12)


def half_up(value: Decimal, places="1"):
    """PostgreSQL's round() of numeric: halves away from zero (Python's round() goes to even)."""
    rounded = value.quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return int(rounded) if places == "1" else rounded


def reference(start: date, end: date) -> dict:
    """metrics_daily as docs/growth.md defines it, counted row by row in Python."""
    days = {start + timedelta(days=i): defaultdict(int) for i in range((end - start).days + 1)}
    first_order = {}
    for e in AnalyticsEvent.objects.order_by("occurred_at"):
        if e.event_name == "order_completed":
            first_order.setdefault(e.user_id, e.occurred_at)
        day = e.occurred_at.astimezone(UTC).date()
        if day not in days:
            continue
        m = days[day]
        if e.event_name == "session_start":
            m["sessions"] += 1
        elif e.event_name == "page_view":
            m["traffic"] += 1
        elif e.event_name == "add_to_cart":
            m["add_to_carts"] += 1
        elif e.event_name == "order_completed":
            m["orders"] += 1
            m["revenue_cents"] += cents(e.props.get("revenue_cents"))
            m["cost"] += cents(e.props.get("cost_cents"))
        elif e.event_name == "refund":
            m["refunds_cents"] += cents(e.props.get("amount_cents"))
    for moment in first_order.values():
        if moment.astimezone(UTC).date() in days:
            days[moment.astimezone(UTC).date()]["new_customers"] += 1
    for s in Spend.objects.all():
        if s.date in days:
            days[s.date]["spend_cents"] += s.spend_cents
    out = {}
    for day, m in days.items():
        out[day] = {
            "sessions": m["sessions"], "add_to_carts": m["add_to_carts"], "orders": m["orders"],
            "revenue_cents": m["revenue_cents"], "refunds_cents": m["refunds_cents"], "traffic": m["traffic"],
            "aov_cents": half_up(Decimal(m["revenue_cents"]) / m["orders"]) if m["orders"] else None,
            "cac_cents": half_up(Decimal(m["spend_cents"]) / m["new_customers"]) if m["new_customers"] else None,
            "conversion_rate": half_up(Decimal(m["orders"]) / m["sessions"], "0.000001") if m["sessions"] else None,
            "gross_margin_cents": m["revenue_cents"] - m["refunds_cents"] - m["cost"],
            "spend_cents": m["spend_cents"], "new_customers": m["new_customers"],
        }
    return out


def stored_metrics(start, end) -> dict:
    fields = ["sessions", "add_to_carts", "orders", "revenue_cents", "refunds_cents", "traffic", "aov_cents", "cac_cents",
              "conversion_rate", "gross_margin_cents", "spend_cents", "new_customers"]
    return {row["day"]: {f: row[f] for f in fields} for row in MetricsDaily.objects.filter(day__range=(start, end)).values("day", *fields)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recompute_equals_the_reference(make_user, seed):
    rng = random.Random(seed)
    random_data(rng, [make_user() for _ in range(6)])
    end = START + timedelta(days=DAYS - 1)
    assert services.recompute(START, end) == DAYS
    assert stored_metrics(START, end) == reference(START, end)
    assert services.recompute(START, end) == 0  # idempotent: nothing changes the second time
    one = START + timedelta(days=4)
    MetricsDaily.objects.filter(day=one).update(orders=999, aov_cents=None)
    assert services.recompute(one, one) == 1
    assert stored_metrics(START, end) == reference(START, end)


def test_a_day_without_anything_gets_zeros(db):
    services.recompute(START, START)
    assert stored_metrics(START, START)[START] == {
        "sessions": 0, "add_to_carts": 0, "orders": 0, "revenue_cents": 0, "refunds_cents": 0, "traffic": 0, "aov_cents": None,
        "cac_cents": None, "conversion_rate": None, "gross_margin_cents": 0, "spend_cents": 0, "new_customers": 0}


@pytest.mark.parametrize(("start", "end", "message"), [
    (date(2026, 3, 2), date(2026, 3, 1), "is before"),
    (date(2025, 2, 28), date(2026, 3, 1), "(?i)at most 366 days"),
])
def test_bad_ranges_are_refused_clearly(db, start, end, message):
    with pytest.raises(ValueError, match=message):
        services.recompute(start, end)
    with pytest.raises(DataError, match=message), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT recompute_metrics_daily(%s, %s)", [start, end])
    with pytest.raises(CommandError, match=message):
        call_command("recompute_metrics_daily", "--start", start.isoformat(), "--end", end.isoformat())
    assert not MetricsDaily.objects.exists()


def test_writes_mark_days_and_users_and_the_job_takes_them(make_user):
    a, b = make_user(), make_user()
    services.record_events(a.pk, [event("order_completed", at="2026-03-01T23:30:00+00:00", props={"revenue_cents": 100}),
                                  event("session_start", at="2026-03-02T00:30:00+01:00", props={"utm_source": "google"})])
    services.record_events(b.pk, [event("session_start", at="2026-03-05T08:00:00Z")])
    services.upsert_spend([spend(day="2026-03-09")])
    assert set(PendingDay.objects.values_list("day", flat=True)) == {date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 9)}
    assert set(PendingUser.objects.values_list("user_id", flat=True)) == {a.pk, b.pk}
    assert tasks.refresh_rollups() == {"days": 3, "days_changed": 3, "users": 2}
    assert not PendingDay.objects.exists() and not PendingUser.objects.exists()
    assert MetricsDaily.objects.get(day=date(2026, 3, 1)).orders == 1
    assert MetricsDaily.objects.get(day=date(2026, 3, 1)).sessions == 1  # 00:30+01:00 is still March 1 in UTC
    assert MetricsDaily.objects.get(day=date(2026, 3, 9)).spend_cents == 1000
    assert tasks.refresh_rollups() == {"days": 0, "days_changed": 0, "users": 0}
    # An update and a delete mark their days too.
    AnalyticsEvent.objects.filter(user=b).delete()
    assert set(PendingDay.objects.values_list("day", flat=True)) == {date(2026, 3, 5)}
    tasks.refresh_rollups()
    assert MetricsDaily.objects.get(day=date(2026, 3, 5)).sessions == 0
    assert not Cohort.objects.filter(user=b).exists()


def test_the_job_equals_a_full_rebuild(make_user):
    rng = random.Random(7)
    random_data(rng, [make_user() for _ in range(5)])
    tasks.refresh_rollups()
    incremental = stored_metrics(START - timedelta(days=3), START + timedelta(days=DAYS + 2))
    MetricsDaily.objects.all().delete()
    services.recompute(START - timedelta(days=3), START + timedelta(days=DAYS + 2))
    rebuilt = stored_metrics(START - timedelta(days=3), START + timedelta(days=DAYS + 2))
    assert incremental == {day: row for day, row in rebuilt.items() if day in incremental}


def test_touches_and_cohorts(make_user):
    user = make_user()
    services.record_events(user.pk, [
        event("page_view", at="2026-01-30T10:00:00Z"),  # no UTM: acquires, does not touch
        event("session_start", at="2026-02-01T10:00:00Z", props={"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}),
        event("session_start", at="2026-02-03T10:00:00Z", props={"utm_source": "mail", "utm_medium": "email", "utm_term": "t", "utm_content": "c"}),
    ])
    tasks.refresh_rollups()
    first, last = UtmTrack.objects.get(user=user, first_touch=True), UtmTrack.objects.get(user=user, last_touch=True)
    assert (first.source, first.medium, first.campaign, first.timestamp.day) == ("google", "cpc", "spring", 1)
    assert (last.source, last.medium, last.term, last.content, last.timestamp.day) == ("mail", "email", "t", "c", 3)
    cohort = Cohort.objects.get(user=user)
    assert cohort.cohort_month == date(2026, 1, 1) and cohort.acquired_at.day == 30
    before = list(UtmTrack.objects.values()) + list(Cohort.objects.values())
    services.refresh_users([user.pk])  # idempotent
    assert list(UtmTrack.objects.values()) + list(Cohort.objects.values()) == before
    # One touch only: it is both the first and the last.
    AnalyticsEvent.objects.filter(user=user, props__utm_source="mail").delete()
    tasks.refresh_rollups()
    assert set(UtmTrack.objects.filter(user=user).values_list("source", "first_touch")) == {("google", True), ("google", False)}
    AnalyticsEvent.objects.filter(user=user).delete()
    tasks.refresh_rollups()
    assert not UtmTrack.objects.filter(user=user).exists() and not Cohort.objects.filter(user=user).exists()


def test_the_command_recomputes_a_range_or_the_pending_work(user_a, capsys):
    services.record_events(user_a.pk, [event("session_start", at="2026-03-03T10:00:00Z")])
    call_command("recompute_metrics_daily", "--start", "2026-03-01", "--end", "2026-03-04")
    assert MetricsDaily.objects.filter(day__range=(date(2026, 3, 1), date(2026, 3, 4))).count() == 4
    call_command("recompute_metrics_daily")
    assert "1 pending day(s), 0 changed; 1 user(s) refreshed." in capsys.readouterr().out


def test_ranges_split_runs_of_days():
    d = date(2026, 1, 1)
    assert services.ranges([]) == []
    assert services.ranges([d + timedelta(days=i) for i in (5, 0, 1, 2, 9)]) == [
        (d, d + timedelta(days=2)), (d + timedelta(days=5), d + timedelta(days=5)), (d + timedelta(days=9), d + timedelta(days=9))]
    long = [d + timedelta(days=i) for i in range(400)]
    assert services.ranges(long) == [(d, d + timedelta(days=365)), (d + timedelta(days=366), d + timedelta(days=399))]


def test_a_user_deleted_leaves_nothing_behind(make_user):
    user = make_user()
    services.record_events(user.pk, [event("session_start", props={"utm_source": "x"})])
    tasks.refresh_rollups()
    user.delete()
    tasks.refresh_rollups()
    assert not AnalyticsEvent.objects.exists() and not UtmTrack.objects.exists() and not Cohort.objects.exists()
    assert not PendingUser.objects.exists()  # the deleted user's mark was taken without error


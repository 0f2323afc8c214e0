from datetime import timedelta

import pytest
from django.utils import timezone

from business.models import Subscription
from business.services import revenue_summary

pytestmark = pytest.mark.django_db


def subscription(user, n, status, amount, *, interval="month", count=1, started_days=100, canceled_days=None, currency="usd"):
    now = timezone.now()
    return Subscription.objects.create(
        user=user, plan="p", status=status, stripe_id=f"sub_{n}", amount_cents=amount, interval=interval, interval_count=count,
        currency=currency, started_at=now - timedelta(days=started_days),
        canceled_at=None if canceled_days is None else now - timedelta(days=canceled_days),
        last_event_created=now, last_event_type="customer.subscription.updated",
    )


def test_mrr_normalises_intervals_and_churn_counts_subscriptions_live_at_the_start(user_a):
    subscription(user_a, 1, "active", 12000, interval="year")  # 1000 a month
    subscription(user_a, 2, "past_due", 3000, interval="month", count=3)  # 1000 a month
    subscription(user_a, 3, "trialing", 5000)  # not paying yet
    subscription(user_a, 4, "canceled", 2000, canceled_days=10)  # churned in the last 30 days
    subscription(user_a, 5, "canceled", 2000, canceled_days=60)  # before the period
    subscription(user_a, 6, "active", 700, started_days=5)  # new in the period
    subscription(user_a, 7, "active", 900, currency="eur")
    usd, eur = revenue_summary().currencies
    assert (usd.currency, usd.mrr_cents, usd.paying, usd.new) == ("usd", 2700, 3, 1)
    assert (usd.active_at_start, usd.churned, usd.churned_mrr_cents) == (4, 1, 2000)
    assert usd.churn_rate == 0.25
    assert (eur.currency, eur.mrr_cents, eur.churn_rate) == ("eur", 900, 0.0)


def test_an_empty_period_is_refused():
    now = timezone.now()
    with pytest.raises(ValueError):
        revenue_summary(now, now)

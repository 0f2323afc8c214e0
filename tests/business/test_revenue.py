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


def test_the_growth_dashboard_shows_mrr_and_churn(user_a, admin_client):
    subscription(user_a, 1, "active", 2900)
    subscription(user_a, 2, "canceled", 1000, canceled_days=3)
    html = admin_client.get("/admin/growth/").content.decode()
    assert 'data-testid="mrr-churn"' in html
    assert '<td data-testid="mrr">29</td>' in html and '<td data-testid="churn-rate">50 %</td>' in html


def test_an_end_user_page_carries_no_revenue(user_a, pages):
    subscription(user_a, 1, "active", 2900)
    assert 'data-testid="mrr-churn"' not in pages(user_a).get("/accounts/security/").content.decode()

import pytest

from business import demo, services
from business.models import FeatureFlag, Offer, Subscription

pytestmark = pytest.mark.django_db


def test_the_demo_fills_flags_offers_and_a_live_revenue(user_a):
    lines = []
    demo.load(user_a, lines.append)
    demo.load(user_a, lines.append)  # idempotent
    assert FeatureFlag.objects.count() == len(demo.FLAGS) and Offer.objects.count() == 3
    assert Subscription.objects.filter(user=user_a).count() == 3
    (usd,) = services.revenue_summary().currencies
    assert usd.mrr_cents == 2900 + 500 and usd.churned == 1 and usd.churn_rate == 0.5
    assert len(lines) == 2

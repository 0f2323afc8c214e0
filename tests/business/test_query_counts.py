"""The business app's SQL statement counts (tests/query_counts.py; recorded in query_counts.json)."""

import uuid

from django.utils import timezone

from business.models import FeatureFlag, Offer, Subscription
from tests.query_counts import Count, contract


def _flag(owner):
    return FeatureFlag.objects.create(key=f"flag-{uuid.uuid4().hex[:12]}", enabled=True, metadata={"rules": {"percentage": 50}})


def _offer(owner):
    return Offer.objects.create(key=f"offer-{uuid.uuid4().hex[:12]}", name="Offer", plan_type="pro", discount=10)


def _subscription(owner):
    return Subscription.objects.create(user=owner, plan="pro", status="active", stripe_id=f"sub_{uuid.uuid4().hex}",
                                       last_event_created=timezone.now(), last_event_type="customer.subscription.created")


COUNTS = [
    Count("api flags", _flag, "get", lambda obj: "/api/v1/flags", more=_flag),
    Count("api offers list", _offer, "get", lambda obj: "/api/v1/offers", more=_offer),
    Count("api subscriptions list", _subscription, "get", lambda obj: "/api/v1/subscriptions", more=lambda obj: _subscription(obj.user)),
    Count("page account with plan", _subscription, "get", lambda obj: "/accounts/security/", page=True),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

"""The business app's owned rows in the isolation matrix (test_owned_reads.py)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from business.models import Subscription


@dataclass(frozen=True)
class OwnedRead:
    """Owned rows an end user only reads (written by the system): user B's API list and page must
    not show user A's row."""

    name: str
    make: Callable  # make(owner) -> a row owned by owner
    api_list: str
    page: str
    shows: Callable  # shows(obj) -> text the page holds when it shows obj


def _subscription(owner) -> Subscription:
    return Subscription.objects.create(
        user=owner, plan=f"plan-of-{owner.email}", status="active", stripe_id=f"sub_{uuid.uuid4().hex}",
        last_event_created=timezone.now(), last_event_type="customer.subscription.created",
    )


OWNED_READS = [
    OwnedRead("subscription", _subscription, "/api/v1/subscriptions", "/accounts/security/", lambda obj: obj.plan),
]

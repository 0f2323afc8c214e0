import json
import time

import pytest
import stripe
from django.conf import settings
from rest_framework.test import APIClient

WEBHOOK = "/api/v1/billing/webhook"
_ids = iter(range(1, 10**9))


def subscription_event(kind, user, *, stripe_id="sub_1", created=None, status="active", plan="pro", amount=2900,
                       cancel_at_period_end=False, event_id=None, **extra) -> dict:
    """A Stripe event of `kind` about one subscription, in Stripe's shape (API 2025-03-31: the
    current period on the item)."""
    created = created or int(time.time())
    item = {"object": "subscription_item", "quantity": 1, "current_period_start": created - 3600,
            "current_period_end": created - 3600 + 30 * 86400,
            "price": {"id": "price_1", "object": "price", "lookup_key": plan, "unit_amount": amount, "currency": "usd",
                      "recurring": {"interval": "month", "interval_count": 1}}}
    return {
        "id": event_id or f"evt_{next(_ids)}", "object": "event", "type": kind, "created": created,
        "api_version": "2025-03-31.basil", "livemode": False,
        "data": {"object": {"id": stripe_id, "object": "subscription", "status": status,
                            "cancel_at_period_end": cancel_at_period_end, "start_date": created - 3600,
                            "canceled_at": created if status == "canceled" else None,
                            "ended_at": created if status == "canceled" else None,
                            "metadata": {"user_id": str(user.pk)}, "items": {"object": "list", "data": [item]}, **extra}},
    }


def sign(payload: str, *, secret=None, timestamp=None) -> str:
    """The Stripe-Signature header Stripe would send, made by the stripe library's own helper."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp)


def deliver(event: dict, **signing):
    payload = json.dumps(event)
    return APIClient().post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload, **signing))


@pytest.fixture
def send():
    return deliver

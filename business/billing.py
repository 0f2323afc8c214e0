"""The billing webhook: Stripe's subscription events keep `subscriptions` (docs/business.md).

Each delivery is verified with the `stripe` library's own check (`stripe.Webhook.construct_event`:
the HMAC-SHA256 `Stripe-Signature` over `<timestamp>.<body>` with the endpoint's secret, and a
timestamp no older than STRIPE_WEBHOOK_TOLERANCE), then applied in one transaction:

1. the event id goes into `billing_events` (ON CONFLICT DO NOTHING): a redelivered event stops here;
2. the subscription is upserted by its Stripe id, but only over a row last written by an *older*
   event — ordered by the event's `created` and, within one second, created < updated < deleted —
   so events arriving out of order leave the newest state.

Runs as the connection role (the only writer of `subscriptions`); nothing of the request picks a role.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import connection, transaction

from accounts.models import AuthUser
from business.models import Subscription

# The event types handled, with their order within one second of `created`.
RANK = {
    "customer.subscription.created": 0,
    "customer.subscription.updated": 1,
    "customer.subscription.paused": 1,
    "customer.subscription.resumed": 1,
    "customer.subscription.deleted": 2,
}
_RANK_SQL = "CASE {column} " + " ".join(f"WHEN '{t}' THEN {r}" for t, r in RANK.items()) + " END"


class WebhookError(Exception):
    """A delivery refused (400 unless `status` says otherwise); nothing was changed."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Outcome:
    event_id: str
    type: str
    result: str  # "applied", "stale" (a newer event was applied before) or "duplicate"


def construct(payload: bytes, signature: str | None) -> dict:
    """The verified event as a dict, or WebhookError."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookError("webhook_not_configured", "The billing webhook has no signing secret (STRIPE_WEBHOOK_SECRET).", 503)
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE)
    except stripe.SignatureVerificationError as exc:
        raise WebhookError("invalid_signature", f"The Stripe-Signature header does not verify: {exc.user_message or exc}") from exc
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError) as exc:  # signed, yet not an event object
        raise WebhookError("invalid_payload", "The body is not a Stripe event in JSON.") from exc
    return event.to_dict()


def handle(payload: bytes, signature: str | None) -> Outcome:
    event = construct(payload, signature)
    return apply(event)


def _timestamp(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise WebhookError("invalid_payload", "Timestamps must be Unix seconds.")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise WebhookError("invalid_payload", "A timestamp is out of range.") from exc


def _text(value, name: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise WebhookError("invalid_payload", f"`{name}` must be a string of 1 to {limit} characters.")
    return value


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def fields_of(subscription: dict) -> dict:
    """The columns of `subscriptions` from a Stripe Subscription object (API versions before and
    after 2025-03-31, which moved the current period onto the subscription's items)."""
    if not isinstance(subscription, dict) or subscription.get("object") != "subscription":
        raise WebhookError("invalid_payload", "The event's data.object is not a subscription.")
    items = _dict(subscription.get("items")).get("data")
    item = _dict(items[0] if isinstance(items, list) and items else None)
    price = _dict(item.get("price") or item.get("plan"))
    recurring = _dict(price.get("recurring")) or {"interval": price.get("interval"), "interval_count": price.get("interval_count")}
    metadata = _dict(subscription.get("metadata"))
    status = subscription.get("status")
    if status not in Subscription.Status.values:
        raise WebhookError("invalid_payload", f"Unknown subscription status {str(status)[:40]!r}.")
    interval = recurring.get("interval") or "month"
    if interval not in Subscription.Interval.values:
        raise WebhookError("invalid_payload", f"Unknown billing interval {str(interval)[:20]!r}.")
    unit, quantity = price.get("unit_amount") or 0, item.get("quantity") or 1
    count = recurring.get("interval_count") or 1
    for number in (unit, quantity, count):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0 or number > 10**12:
            raise WebhookError("invalid_payload", "Amounts, quantities and interval counts must be whole numbers.")
    plan = metadata.get("plan") or price.get("lookup_key") or price.get("nickname") or price.get("id") or "unknown"
    return {
        "stripe_id": _text(subscription.get("id"), "data.object.id", 255),
        "plan": _text(plan, "plan", 100),
        "status": status,
        "current_period_start": _timestamp(subscription.get("current_period_start") or item.get("current_period_start")),
        "current_period_end": _timestamp(subscription.get("current_period_end") or item.get("current_period_end")),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
        "amount_cents": unit * quantity,
        "currency": _text(price.get("currency") or subscription.get("currency") or "usd", "currency", 3).lower(),
        "interval": interval,
        "interval_count": max(count, 1),
        "started_at": _timestamp(subscription.get("start_date") or subscription.get("created")),
        "canceled_at": _timestamp(subscription.get("ended_at") or subscription.get("canceled_at")),
        "user_id": metadata.get("user_id"),
    }


UPSERT = f"""
INSERT INTO subscriptions AS s (user_id, plan, status, stripe_id, current_period_start, current_period_end,
       cancel_at_period_end, amount_cents, currency, interval, interval_count, started_at, canceled_at,
       last_event_created, last_event_type)
VALUES (%(user_id)s, %(plan)s, %(status)s, %(stripe_id)s, %(current_period_start)s, %(current_period_end)s,
        %(cancel_at_period_end)s, %(amount_cents)s, %(currency)s, %(interval)s, %(interval_count)s,
        %(started_at)s, %(canceled_at)s, %(created)s, %(type)s)
ON CONFLICT (stripe_id) DO UPDATE SET
       plan = EXCLUDED.plan, status = EXCLUDED.status,
       current_period_start = EXCLUDED.current_period_start, current_period_end = EXCLUDED.current_period_end,
       cancel_at_period_end = EXCLUDED.cancel_at_period_end, amount_cents = EXCLUDED.amount_cents,
       currency = EXCLUDED.currency, interval = EXCLUDED.interval, interval_count = EXCLUDED.interval_count,
       started_at = EXCLUDED.started_at, canceled_at = EXCLUDED.canceled_at,
       last_event_created = EXCLUDED.last_event_created, last_event_type = EXCLUDED.last_event_type
 WHERE (s.last_event_created, {_RANK_SQL.format(column="s.last_event_type")})
     < (EXCLUDED.last_event_created, {_RANK_SQL.format(column="EXCLUDED.last_event_type")})
RETURNING s.id
"""


def _owner(stripe_id: str, user_id) -> uuid.UUID:
    """The end user a subscription belongs to: its row's, once it has one (metadata cannot move
    it); else `metadata.user_id`, which must name a user."""
    known = Subscription.objects.filter(stripe_id=stripe_id).values_list("user_id", flat=True).first()
    if known is not None:
        return known
    try:
        owner = uuid.UUID(str(user_id)) if user_id else None
    except ValueError:
        owner = None
    if owner is None or not AuthUser.objects.filter(pk=owner).exists():
        raise WebhookError("unknown_user", "The subscription's metadata.user_id names no user of this product.")
    return owner


def apply(event: dict) -> Outcome:
    """Apply one verified event (idempotent per event id)."""
    event_id, kind = event.get("id"), event.get("type")
    if kind not in RANK:
        raise WebhookError("unknown_event_type", f"Event type {str(kind)[:100]!r} is not handled.")
    event_id = _text(event_id, "id", 255)
    created = _timestamp(event.get("created"))
    if created is None:
        raise WebhookError("invalid_payload", "The event has no `created` time.")
    row = fields_of((event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_events (event_id, type, created, stripe_id, applied) VALUES (%s, %s, %s, %s, false) "
            "ON CONFLICT (event_id) DO NOTHING RETURNING 1",
            [event_id, kind, created, row["stripe_id"]],
        )
        if cursor.fetchone() is None:
            return Outcome(event_id, kind, "duplicate")
        row["user_id"] = _owner(row["stripe_id"], row["user_id"])
        cursor.execute(UPSERT, {**row, "created": created, "type": kind})
        if cursor.fetchone() is None:
            return Outcome(event_id, kind, "stale")
        cursor.execute("UPDATE billing_events SET applied = true WHERE event_id = %s", [event_id])
    return Outcome(event_id, kind, "applied")

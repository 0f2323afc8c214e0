"""The billing webhook keeps `subscriptions` from Stripe's signed events: in order, out of order,
replayed; anything it cannot trust or does not handle is a 400 that changes nothing."""

import json
import time

import pytest
from rest_framework.test import APIClient

from business.models import BillingEvent, Subscription
from tests.business.conftest import WEBHOOK, sign, subscription_event

pytestmark = pytest.mark.django_db

CREATED, UPDATED, DELETED = "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"


def state():
    return (list(Subscription.objects.values_list("stripe_id", "plan", "status", "cancel_at_period_end", "updated_at")),
            list(BillingEvent.objects.values_list("event_id", "applied")))


def test_created_updated_cancelled(send, user_a):
    t = int(time.time()) - 60
    assert send(subscription_event(CREATED, user_a, created=t, plan="starter", amount=900)).json()["result"] == "applied"
    row = Subscription.objects.get()
    assert (row.user_id, row.plan, row.status, row.amount_cents) == (user_a.pk, "starter", "active", 900)
    assert row.current_period_end is not None
    send(subscription_event(UPDATED, user_a, created=t + 10, plan="pro", amount=2900, cancel_at_period_end=True))
    row.refresh_from_db()
    assert (row.plan, row.amount_cents, row.cancel_at_period_end) == ("pro", 2900, True)
    send(subscription_event(DELETED, user_a, created=t + 20, plan="pro", status="canceled"))
    row.refresh_from_db()
    assert row.status == "canceled" and row.canceled_at is not None
    assert Subscription.objects.count() == 1


def test_out_of_order_events_leave_the_newest_state(send, user_a):
    t = int(time.time()) - 60
    cancelled = subscription_event(DELETED, user_a, created=t + 20, status="canceled")
    updated = subscription_event(UPDATED, user_a, created=t + 10, plan="team")
    created = subscription_event(CREATED, user_a, created=t, plan="starter")
    assert send(cancelled).json()["result"] == "applied"
    assert send(updated).json()["result"] == "stale"
    assert send(created).json()["result"] == "stale"
    row = Subscription.objects.get()
    assert (row.status, row.plan) == ("canceled", "pro")
    assert dict(BillingEvent.objects.values_list("event_id", "applied")) == {
        cancelled["id"]: True, updated["id"]: False, created["id"]: False}


def test_within_one_second_deleted_wins_over_updated(send, user_a):
    t = int(time.time()) - 60
    send(subscription_event(DELETED, user_a, created=t, status="canceled"))
    assert send(subscription_event(UPDATED, user_a, created=t, plan="team")).json()["result"] == "stale"
    assert Subscription.objects.get().status == "canceled"


def test_a_replayed_event_changes_nothing(send, user_a):
    t = int(time.time()) - 60
    first = subscription_event(CREATED, user_a, created=t, plan="starter")
    send(first)
    send(subscription_event(UPDATED, user_a, created=t + 5, plan="pro"))
    before = state()
    response = send(first)
    assert response.status_code == 200 and response.json()["result"] == "duplicate"
    assert state() == before


def test_an_event_cannot_move_a_subscription_to_another_user(send, user_a, user_b):
    t = int(time.time()) - 60
    send(subscription_event(CREATED, user_a, created=t))
    send(subscription_event(UPDATED, user_b, created=t + 5, plan="team"))
    assert Subscription.objects.get().user_id == user_a.pk


@pytest.mark.parametrize("case", ["no header", "wrong secret", "tampered body", "stale timestamp", "garbage header"])
def test_untrusted_deliveries_are_400_and_change_nothing(case, send, user_a):
    send(subscription_event(CREATED, user_a, created=int(time.time()) - 60))
    before = state()
    event = subscription_event(UPDATED, user_a, plan="team")
    payload = json.dumps(event)
    header = {
        "no header": None,
        "wrong secret": sign(payload, secret="whsec_someone_else"),
        "tampered body": sign(payload.replace("team", "free")),
        "stale timestamp": sign(payload, timestamp=int(time.time()) - 3600),
        "garbage header": "t=abc,v1=",
    }[case]
    extra = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    response = APIClient().post(WEBHOOK, payload, content_type="application/json", **extra)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_signature"
    assert state() == before


def test_unknown_event_type_is_400_and_changes_nothing(send, user_a):
    response = send(subscription_event("invoice.paid", user_a))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_event_type"
    assert state() == ([], [])


@pytest.mark.parametrize("change", [
    {"status": "exploded"},
    {"metadata": {}},
    {"metadata": {"user_id": "00000000-0000-0000-0000-000000000000"}},
    {"object": "invoice"},
])
def test_unusable_subscriptions_are_400_and_change_nothing(change, send, user_a):
    event = subscription_event(CREATED, user_a)
    event["data"]["object"].update(change)
    response = send(event)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_payload", "unknown_user"}
    assert state() == ([], [])


def test_without_a_secret_the_webhook_is_unavailable(send, user_a, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = APIClient().post(WEBHOOK, "{}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=x")
    assert response.status_code == 503
    assert state() == ([], [])


def test_the_owner_reads_their_subscription_and_nobody_writes_it(send, user_a, user_b, api):
    send(subscription_event(CREATED, user_a, created=int(time.time()) - 60))
    rows = api(user_a).get("/api/v1/subscriptions").json()["results"]
    assert [row["plan"] for row in rows] == ["pro"]
    assert api(user_b).get("/api/v1/subscriptions").json()["results"] == []
    assert api(user_a).post("/api/v1/subscriptions", {"plan": "free"}, format="json").status_code == 405


def test_the_plan_shows_on_the_account_page(send, user_a, pages):
    page = pages(user_a).get("/accounts/security/").content.decode()
    assert "Free — no subscription." in page
    send(subscription_event(CREATED, user_a, created=int(time.time()) - 60, plan="pro"))
    page = pages(user_a).get("/accounts/security/").content.decode()
    assert 'data-testid="plan-name">pro<' in page and "Renews on" in page
    assert 'data-testid="plan-price">USD 29.00</span> per month' in page


@pytest.mark.parametrize("cents, currency, shown", [(2900, "usd", "29.00"), (5, "eur", "0.05"), (0, "usd", "0.00"), (2900, "jpy", "2900"), (2900, "JPY", "2900")])
def test_the_price_is_in_the_currencys_units(cents, currency, shown):
    assert Subscription(amount_cents=cents, currency=currency).price == shown


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "{not json", '{"id": "evt_1", "object": "event", "type": "customer.subscription.created", "created": 1, "data": {"object": {"object": "subscription", "items": {"data": {"x": 1}}, "status": "active", "id": "sub_z", "metadata": []}}}'])
def test_signed_garbage_is_400_and_changes_nothing(payload, user_a):
    response = APIClient().post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"invalid_payload", "unknown_user"}
    assert state() == ([], [])

"""Deliveries racing each other on their own connections (as two gunicorn workers would): one event
delivered twice at once is applied once; events of one subscription arriving together leave the
newest state, whatever order their transactions commit in."""

import threading
import time

import pytest
from django.db import connection

from business.models import BillingEvent, Subscription
from tests.business.conftest import deliver, subscription_event


def race(*events):
    barrier, results = threading.Barrier(len(events)), [None] * len(events)

    def send(index, event):
        try:
            barrier.wait()
            results[index] = deliver(event).json()
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, event)) for i, event in enumerate(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.usefixtures("committed_db")
def test_the_same_event_twice_at_once_is_applied_once(make_user):
    event = subscription_event("customer.subscription.created", make_user(), created=int(time.time()) - 60)
    results = sorted(result["result"] for result in race(event, event))
    assert results == ["applied", "duplicate"]
    assert BillingEvent.objects.count() == 1 and Subscription.objects.count() == 1


@pytest.mark.usefixtures("committed_db")
def test_racing_events_leave_the_newest_state(make_user):
    user, t = make_user(), int(time.time()) - 60
    events = [subscription_event("customer.subscription.updated", user, created=t + i, plan=f"plan-{i}") for i in range(4)]
    race(*events)
    assert Subscription.objects.get().plan == "plan-3"
    assert BillingEvent.objects.count() == 4

"""User B against user A's analytics events: list, read, resend with A's event id, and the methods
the collection does not offer — with the application's scoping and without it (RLS alone)."""

import pytest

from growth.models import AnalyticsEvent
from tests.growth.helpers import event
from tests.isolation.resources_growth import EVENTS_URL, make_event

pytestmark = pytest.mark.django_db


def snapshot(obj):
    return AnalyticsEvent._base_manager.filter(pk=obj.pk).values().first()


def test_owner_reaches_own_event(layers, user_a, api):
    a_event = make_event(user_a)
    assert api(user_a).get(f"{EVENTS_URL}{a_event.pk}/").status_code == 200
    assert str(a_event.pk) in {row["id"] for row in api(user_a).get(EVENTS_URL).json()["results"]}


def test_list_hides_other_users_events(layers, user_a, user_b, api):
    a_event, b_event = make_event(user_a), make_event(user_b)
    seen = {row["id"] for row in api(user_b).get(EVENTS_URL).json()["results"]}
    assert str(b_event.pk) in seen and str(a_event.pk) not in seen


def test_read_is_404(layers, user_a, user_b, api):
    a_event = make_event(user_a)
    assert api(user_b).get(f"{EVENTS_URL}{a_event.pk}/").status_code == 404


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_no_change_by_any_method(layers, user_a, user_b, api, method):
    a_event = make_event(user_a)
    before = snapshot(a_event)
    response = getattr(api(user_b), method)(f"{EVENTS_URL}{a_event.pk}/", {"event_name": "taken"}, format="json")
    assert response.status_code in (404, 405)
    assert snapshot(a_event) == before


def test_resending_someone_elses_event_id_writes_only_ones_own(layers, user_a, user_b, api):
    a_event = make_event(user_a)
    before = snapshot(a_event)
    row = event("taken", event_id=str(a_event.event_id))
    response = api(user_b).post(EVENTS_URL, {"rows": [row]}, format="json")
    assert response.status_code == 200 and response.json()["inserted"] == 1
    assert snapshot(a_event) == before
    assert AnalyticsEvent.objects.get(user=user_b).event_name == "taken"

"""User B, with or without a partner profile of their own, calls every partner endpoint: nothing of
user A's partner shows in the answers and nothing of it changes — with the application's scoping and
with it switched off (row-level security alone)."""

import pytest

from partners import services
from partners.models import ApiKey, IngestionEvent, Insight, Partner, RequestLog
from tests.isolation.resources import PARTNER_SINGLETONS, PARTNER_TABLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_partner(user_a, api):
    partner = Partner.objects.create(user=user_a, name="Alice Analytics", email="a@alice.example")
    _, key = services.regenerate_key(partner)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    client.post("/api/v1/ingest/events", {"event_type": "a_secret_event", "data": {"x": 1}, "source": "a", "version": "1"}, format="json")
    api(user_a).post("/api/v1/partner/insights/generate", {}, format="json")
    return partner


def snapshot(partner):
    """Every row of A's partner, as the connection role sees them."""
    rows = {}
    for model in PARTNER_TABLES:
        key = "pk" if model is Partner else "partner"
        rows[model.__name__] = sorted(map(str, model._base_manager.filter(**{key: partner.pk}).values()))
    return rows


def identifiers(partner):
    ids = {str(partner.pk), partner.name, "a_secret_event", ApiKey.objects.get(partner=partner).key_prefix}
    ids |= {str(pk) for model in (IngestionEvent, Insight, RequestLog) for pk in model._base_manager.filter(partner=partner).values_list("pk", flat=True)}
    return ids


@pytest.fixture(params=["b-without-partner", "b-with-partner"])
def b_partner(request, user_b):
    if request.param == "b-with-partner":
        Partner.objects.create(user=user_b, name="Bob's", email="b@bob.example")


@pytest.mark.parametrize("endpoint", PARTNER_SINGLETONS, ids=lambda e: f"{e.method} {e.path}")
def test_b_never_sees_or_changes_a_partner(layers, endpoint, a_partner, b_partner, user_b, api, pages):
    before, secrets = snapshot(a_partner), identifiers(a_partner)
    if endpoint.page:
        response = getattr(pages(user_b), endpoint.method)(endpoint.path, endpoint.body or {}, follow=True)
    else:
        response = getattr(api(user_b), endpoint.method)(endpoint.path, endpoint.body, format="json")
    assert response.status_code < 500, response.content
    body = response.content.decode()
    assert not [s for s in secrets if s in body], body
    assert snapshot(a_partner) == before

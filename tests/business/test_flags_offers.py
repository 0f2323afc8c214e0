"""Feature flags and offers are public read: through the API without a token (as `anon`) and in the
database as the role `anon`; writes only by staff. Rollouts are sticky."""

import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone
from rest_framework.test import APIClient

from business import flags
from business.models import FeatureFlag, Offer
from core import rls

pytestmark = pytest.mark.django_db


# --- evaluation ---------------------------------------------------------------------------------

def test_a_users_bucket_never_changes_and_growing_rollouts_only_add_users():
    users = [uuid.uuid4() for _ in range(2000)]
    on_at = {}
    for percentage in (0, 1, 5, 10, 25, 50, 75, 99.99, 100):
        on = {u for u in users if flags.is_on("checkout-v2", True, {"rules": {"percentage": percentage}}, flags.Caller(u))}
        for previous in on_at.values():
            assert previous <= on  # nobody flips back as the percentage grows
        on_at[percentage] = on
    assert not on_at[0] and on_at[100] == set(users)
    assert 400 < len(on_at[25]) < 600  # about a quarter
    assert all(flags.bucket("checkout-v2", u) == flags.bucket("checkout-v2", u) for u in users[:50])
    assert [flags.bucket("a", u) for u in users[:50]] != [flags.bucket("b", u) for u in users[:50]]  # independent per flag


def test_allow_lists_plans_and_anonymous_callers():
    user, org = uuid.uuid4(), uuid.uuid4()
    rules = {"rules": {"users": [str(user)], "organizations": [str(org)], "plans": ["pro"], "percentage": 0}}
    assert flags.is_on("f", True, rules, flags.Caller(user))
    assert flags.is_on("f", True, rules, flags.Caller(uuid.uuid4(), organization_id=org))
    assert flags.is_on("f", True, rules, flags.Caller(uuid.uuid4(), plans=frozenset({"pro"})))
    assert not flags.is_on("f", True, rules, flags.Caller(uuid.uuid4(), plans=frozenset({"starter"})))
    assert not flags.is_on("f", False, rules, flags.Caller(user))  # disabled beats everything
    assert flags.is_on("f", True, {}, flags.Caller())  # no rules: everyone
    assert not flags.is_on("f", True, {"rules": {"percentage": 50}}, flags.Caller())
    assert flags.is_on("f", True, {"rules": {"percentage": 100}}, flags.Caller())


@pytest.mark.parametrize("metadata", [
    {"rules": {"percentage": 101}},
    {"rules": {"percentage": "50"}},
    {"rules": {"percentage": 12.345}},
    {"rules": {"users": ["not-a-uuid"]}},
    {"rules": {"plans": "pro"}},
    {"rules": {"everyone": True}},
    [],
])
def test_invalid_rules_are_refused_by_the_admin_form(metadata, admin_client):
    response = admin_client.post("/admin/business/featureflag/add/", {
        "key": "broken", "enabled": "on", "description": "", "metadata": __import__("json").dumps(metadata)})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["metadata"]
    assert not FeatureFlag.objects.filter(key="broken").exists()


def test_staff_save_valid_rules_in_the_admin(admin_client):
    response = admin_client.post("/admin/business/featureflag/add/", {
        "key": "rollout", "enabled": "on", "description": "x", "metadata": '{"rules": {"percentage": 12.5}, "owner": "growth"}'})
    assert response.status_code == 302
    assert FeatureFlag.objects.get(key="rollout").metadata["rules"] == {"percentage": 12.5}


# --- the API --------------------------------------------------------------------------------------

def test_anyone_reads_the_flags_evaluated_for_them(user_a, api, send):
    FeatureFlag.objects.create(key="everyone", enabled=True)
    FeatureFlag.objects.create(key="off", enabled=False)
    FeatureFlag.objects.create(key="alice-only", enabled=True, metadata={"rules": {"users": [str(user_a.pk)]}})
    FeatureFlag.objects.create(key="pro-only", enabled=True, metadata={"rules": {"plans": ["pro"]}})
    anonymous = APIClient().get("/api/v1/flags")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"flags": {"everyone": True, "off": False, "alice-only": False, "pro-only": False}}
    from tests.business.conftest import subscription_event

    send(subscription_event("customer.subscription.created", user_a, plan="pro"))
    assert api(user_a).get("/api/v1/flags").json()["flags"] == {"everyone": True, "off": False, "alice-only": True, "pro-only": True}


def test_flags_answer_304_while_unchanged(user_a, api):
    FeatureFlag.objects.create(key="f", enabled=True)
    client = api(user_a)
    first = client.get("/api/v1/flags")
    etag = first["ETag"]
    assert first["Cache-Control"] == "private, no-cache" and "Authorization" in first["Vary"]
    again = client.get("/api/v1/flags", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    FeatureFlag.objects.filter(key="f").update(enabled=False)
    changed = client.get("/api/v1/flags", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def _offers(now):
    Offer.objects.create(key="live", name="Live", plan_type="pro", discount=20, valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=1))
    Offer.objects.create(key="open-ended", name="Always", plan_type="pro", discount=10)
    Offer.objects.create(key="expired", name="Gone", plan_type="pro", discount=30, valid_from=now - timedelta(days=9), valid_to=now - timedelta(days=2))
    Offer.objects.create(key="future", name="Soon", plan_type="pro", discount=40, valid_from=now + timedelta(days=2))
    Offer.objects.create(key="disabled", name="Off", plan_type="pro", discount=50, enabled=False)


def test_offers_outside_their_window_or_disabled_are_invisible(user_a, api):
    _offers(timezone.now())
    for client in (APIClient(), api(user_a)):
        response = client.get("/api/v1/offers")
        assert response.status_code == 200
        assert [row["key"] for row in response.json()["results"]] == ["live", "open-ended"]


def test_anonymous_writes_are_refused(user_a):
    for path in ("/api/v1/flags", "/api/v1/offers"):
        assert APIClient().post(path, {"key": "x"}, format="json").status_code in (401, 403, 405)
    assert APIClient().get("/api/v1/subscriptions").status_code == 401


# --- the database alone ---------------------------------------------------------------------------

def as_anon(sql, params=()):
    with rls.request_transaction(), connection.cursor() as cursor:
        rls.act_as_anon()
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def test_anon_reads_flags_and_live_offers_in_sql():
    FeatureFlag.objects.create(key="public", enabled=False)
    _offers(timezone.now())
    assert as_anon("SELECT key FROM feature_flags") == [("public",)]
    assert sorted(as_anon("SELECT key FROM offers")) == [("live",), ("open-ended",)]


@pytest.mark.parametrize("sql", [
    "INSERT INTO feature_flags (key, enabled, description, metadata) VALUES ('planted', true, '', '{}')",
    "UPDATE feature_flags SET enabled = true",
    "DELETE FROM feature_flags",
    "UPDATE offers SET enabled = true",
    "INSERT INTO offers (key, name, plan_type, discount) VALUES ('planted', 'x', 'pro', 99)",
    "SELECT * FROM subscriptions",
    "SELECT * FROM billing_events",
    "SELECT * FROM metrics_log",
])
def test_the_database_refuses_anon_everything_else(sql):
    FeatureFlag.objects.create(key="public", enabled=False)
    with pytest.raises(DatabaseError, match="permission denied"):
        as_anon(sql)
    assert list(FeatureFlag.objects.values_list("key", "enabled")) == [("public", False)]


@pytest.mark.parametrize("sql", [
    "UPDATE feature_flags SET enabled = true",
    "INSERT INTO subscriptions (user_id, plan, status, stripe_id, last_event_created, last_event_type) "
    "VALUES (auth.uid(), 'free-pro', 'active', 'sub_x', now(), 'customer.subscription.created')",
    "UPDATE subscriptions SET plan = 'enterprise'",
])
def test_the_database_refuses_end_user_writes(sql, user_a):
    FeatureFlag.objects.create(key="public", enabled=False)
    with pytest.raises(DatabaseError, match="permission denied"), rls.end_user(rls.claims_for(user_a)):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_an_organization_allow_list_applies_to_the_organization_the_caller_acts_in(user_a, user_b, api):
    from organizations.models import Membership, Organization, Role

    team = Organization.objects.create(name="Team", slug="team-flags")
    Membership.objects.create(organization=team, user=user_a, role=Role.MEMBER)
    FeatureFlag.objects.create(key="team-only", enabled=True, metadata={"rules": {"organizations": [str(team.pk)]}})
    in_team = api(user_a).get("/api/v1/flags", HTTP_X_ORGANIZATION_ID=str(team.pk))
    assert in_team.json()["flags"]["team-only"] is True and "X-Organization-Id" in in_team["Vary"]
    assert api(user_a).get("/api/v1/flags").json()["flags"]["team-only"] is False  # the personal organization
    assert api(user_b).get("/api/v1/flags", HTTP_X_ORGANIZATION_ID=str(team.pk)).status_code == 404
    assert api(user_a).get("/api/v1/flags", HTTP_X_ORGANIZATION_ID="not-an-id").status_code == 400

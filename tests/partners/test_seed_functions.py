"""Seed 001's functions in the database, called in SQL as a Supabase client would (role
`authenticated`, the caller's claims), against the API's answers for the same user."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from core import rls
from partners import keys
from partners.models import ApiKey, RequestLog
from tests.partners.conftest import event, key_client
from tests.partners.test_logs_usage import _generate


def call(user, sql, params=()):
    """Rows of `sql` run as `user` under row-level security."""
    with rls.end_user(rls.claims_for(user)), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_key_made_in_sql_authenticates_through_the_api(partner_a, user_a, api):
    [(key,)] = call(user_a, "SELECT api_key FROM regenerate_api_key_for_partner()")
    assert keys.LEGACY_KEY.match(key) is None and len(key) == len(keys.generate())
    stored = ApiKey.objects.get(partner=partner_a)
    assert (stored.key_hash, stored.key_prefix) == (keys.hash_key(key), keys.display_prefix(key))
    assert abs(stored.expires_at - (timezone.now() + keys.LIFETIME)) < timedelta(minutes=1)

    assert key_client(key).post("/api/v1/ingest/events", event(), format="json").status_code == 201
    assert api(user_a).get("/api/v1/partner/api-key").json()["key_prefix"] == key[:11]


def test_sql_regeneration_replaces_the_apis_key(partner_a, key_a, user_a):
    [(key,)] = call(user_a, "SELECT api_key FROM regenerate_api_key_for_partner()")
    assert key != key_a
    assert key_client(key_a).get("/api/v1/partner/usage").status_code == 401
    assert key_client(key).get("/api/v1/partner/usage").status_code == 200


def test_a_revoked_key_is_made_live_again_by_regeneration(partner_a, key_a, user_a, api):
    assert api(user_a).delete("/api/v1/partner/api-key").status_code == 204
    [(key,)] = call(user_a, "SELECT api_key FROM regenerate_api_key_for_partner()")
    assert api(user_a).get("/api/v1/partner/api-key").json()["status"] == "active"
    assert key_client(key).get("/api/v1/partner/usage").status_code == 200


def test_regeneration_without_a_partner_is_refused(user_b):
    with pytest.raises(DatabaseError, match="no partner profile"):
        call(user_b, "SELECT * FROM regenerate_api_key_for_partner()")


def test_get_api_key_matches_the_api(partner_a, partner_b, key_a, key_b, user_a, api):
    rows = call(user_a, "SELECT api_key_id, created_at, expires_at FROM get_api_key_for_partner()")
    answer = api(user_a).get("/api/v1/partner/api-key").json()
    assert [(str(i), c.isoformat().replace("+00:00", "Z"), e.isoformat().replace("+00:00", "Z")) for i, c, e in rows] == [
        (answer["id"], answer["created_at"], answer["expires_at"])]


def test_get_logs_matches_the_api(partner_a, partner_b, key_a, key_b, user_a, api):
    for days in range(1, 5):
        key_client(key_a).get(f"/api/v1/partner/usage?days={days}")
        key_client(key_b).get("/api/v1/partner/usage")
    assert RequestLog.objects.count() == 8
    for limit, offset in [(100, 0), (2, 1), (5000, 0)]:
        rows = call(user_a, "SELECT id, endpoint, method, status, duration, created_at FROM get_logs_for_partner(%s, %s)",
                    [limit, offset])
        answer = api(user_a).get("/api/v1/partner/logs", {"limit": limit, "offset": offset}).json()["results"]
        assert [str(r[0]) for r in rows] == [a["id"] for a in answer]
        assert [r[1:5] for r in rows] == [(a["endpoint"], a["method"], a["status"], a["duration"]) for a in answer]
    assert len(call(user_a, "SELECT * FROM get_logs_for_partner()")) == 4  # defaults; partner b's never


@pytest.mark.parametrize("days", [1, 30, 366])
def test_usage_summary_matches_the_api(partner_a, partner_b, user_a, api, days):
    _generate(partner_a, 40, seed=3)
    _generate(partner_b, 40, seed=4)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'America/Los_Angeles'")  # days are UTC days whatever the session's zone
    rows = call(user_a, "SELECT date, event_count, insight_count FROM get_partner_usage_summary(%s)", [days])
    answer = api(user_a).get("/api/v1/partner/usage", {"days": days}).json()
    assert [{"date": d.isoformat(), "event_count": e, "insight_count": i} for d, e, i in rows] == answer
    assert len(rows) == days and sum(e for _, e, _ in rows)


@pytest.mark.parametrize("days", [0, 367, None])
def test_usage_summary_refuses_a_bad_window(partner_a, user_a, days):
    with pytest.raises(DatabaseError, match="p_days must be between 1 and 366"):
        call(user_a, "SELECT * FROM get_partner_usage_summary(%s)", [days])


def test_another_users_data_never_comes_back(partner_a, key_a, user_b):
    key_client(key_a).get("/api/v1/partner/usage")
    _generate(partner_a, 3, seed=5)
    assert call(user_b, "SELECT * FROM get_api_key_for_partner()") == []
    assert call(user_b, "SELECT * FROM get_logs_for_partner()") == []
    assert {(e, i) for _, e, i in call(user_b, "SELECT * FROM get_partner_usage_summary(3)")} == {(0, 0)}


@pytest.mark.parametrize("role", ["anon", "public"])
def test_only_signed_in_callers_may_execute(db, role):
    with connection.cursor() as cursor:
        cursor.execute("""SELECT p.proname, has_function_privilege(%s, p.oid, 'EXECUTE'),
                                 has_function_privilege('authenticated', p.oid, 'EXECUTE'), p.prosecdef, p.proconfig
                          FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proname = ANY(%s)""",
                       ["public" if role == "public" else role,
                        ["get_api_key_for_partner", "regenerate_api_key_for_partner", "get_logs_for_partner",
                         "get_partner_usage_summary"]])
        rows = cursor.fetchall()
    assert len(rows) == 4
    assert all(not other and authenticated and not definer and config == ["search_path=\"\""]
               for _, other, authenticated, definer, config in rows)

"""The API key lifecycle: create, show once, authenticate, expire, revoke, regenerate, legacy bcrypt."""

import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import bcrypt
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthUser
from core import rls
from partners import keys, services
from partners.models import ApiKey, Partner, SecurityEvent
from tests.partners.conftest import event, key_client

INGEST = "/api/v1/ingest/events"


def test_owner_creates_profile_then_regenerates_and_sees_the_key_once(user_a, api):
    client = api(user_a)
    assert client.get("/api/v1/partner/api-key").status_code == 404  # no profile yet
    created = client.post("/api/v1/partner/profile", {"name": "Acme", "email": "data@acme.example"}, format="json")
    assert created.status_code == 201, created.content
    again = client.post("/api/v1/partner/profile", {"name": "Again", "email": "x@acme.example"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "partner_exists"

    response = client.post("/api/v1/partner/api-key/regenerate")
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    key = response.json()["api_key"]
    assert key.startswith("epai_") and len(key) == 48
    stored = ApiKey.objects.get()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.expires_at - timezone.now() > timedelta(days=89, hours=23)

    shown = client.get("/api/v1/partner/api-key").json()
    assert "api_key" not in shown and key not in str(shown) and stored.key_hash not in str(shown)
    assert set(shown) == {"id", "key_prefix", "status", "created_at", "updated_at", "expires_at", "last_used_at", "revoked_at"}
    assert shown["status"] == "active" and key.startswith(shown["key_prefix"])

    assert key_client(key).post(INGEST, event(), format="json").status_code == 201


def test_both_headers_authenticate(key_a):
    assert key_client(key_a).get("/api/v1/partner/usage").status_code == 200
    client = APIClient()
    assert client.get("/api/v1/partner/usage", HTTP_X_API_KEY=key_a).status_code == 200


def test_regenerating_invalidates_the_old_key_at_once(partner_a, key_a, user_a, api):
    new_key = api(user_a).post("/api/v1/partner/api-key/regenerate").json()["api_key"]
    old = key_client(key_a).get("/api/v1/partner/usage")
    assert old.status_code == 401 and old.json()["error"]["code"] == "api_key_unknown"
    assert key_client(new_key).get("/api/v1/partner/usage").status_code == 200
    assert ApiKey.objects.count() == 1


def test_revoked_key_is_refused_and_recorded(partner_a, key_a, user_a, api):
    assert api(user_a).delete("/api/v1/partner/api-key").status_code == 204
    response = key_client(key_a).post(INGEST, event(), format="json", HTTP_USER_AGENT="curl/8")
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "api_key_revoked", "message": "This API key has been revoked.", "fields": {}}
    security = SecurityEvent.objects.get()
    assert security.event_type == "api_key_refused" and security.details["reason"] == "revoked"
    assert security.partner_id == partner_a.pk and security.user_agent == "curl/8" and security.ip_address == "127.0.0.1"
    assert key_a not in str(security.details)


def test_expired_key_is_refused(partner_a, key_a):
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = key_client(key_a).get("/api/v1/partner/usage")
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_expired"


@pytest.mark.parametrize("key", ["epai_" + "x" * 43, "not-a-key", "epai_"])
def test_unknown_keys_are_refused_with_a_security_event(db, key):
    response = key_client(key).get("/api/v1/partner/usage")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Api-Key")
    assert SecurityEvent.objects.get().details["reason"] in {"unknown", "malformed"}
    assert key not in str(SecurityEvent.objects.values_list("details", flat=True)[0])


def test_brute_force_from_one_address_is_throttled(db, settings):
    settings.API_KEY_THROTTLE = {"attempts": 3, "window": 60}
    for _ in range(3):
        assert key_client("epai_" + "y" * 43).get("/api/v1/partner/usage").status_code == 401
    response = key_client("epai_" + "z" * 43).get("/api/v1/partner/usage")
    assert response.status_code == 429 and response.json()["error"]["code"] == "too_many_attempts"


def test_last_used_at_is_written_at_most_once_a_minute(partner_a, key_a):
    client = key_client(key_a)
    client.get("/api/v1/partner/usage")
    first = ApiKey.objects.get().last_used_at
    assert first is not None
    client.get("/api/v1/partner/usage")
    assert ApiKey.objects.get().last_used_at == first
    ApiKey.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/partner/usage")
    assert ApiKey.objects.get().last_used_at > first


def test_a_key_made_by_the_seeds_sql_is_accepted_and_rehashed(partner_a):
    """The seed stores crypt(key, gen_salt('bf')): a $2a$ bcrypt hash of 'epai_' + base64(24 bytes)."""
    legacy_key = "epai_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    legacy_hash = bcrypt.hashpw(legacy_key.encode(), bcrypt.gensalt(6)).decode().replace("$2b$", "$2a$", 1)
    ApiKey.objects.create(partner=partner_a, key_hash=legacy_hash, expires_at=timezone.now() + keys.LIFETIME)

    assert key_client(legacy_key).get("/api/v1/partner/usage").status_code == 200
    assert ApiKey.objects.get().key_hash == keys.hash_key(legacy_key)
    with connection.cursor() as cursor:  # found by index from now on
        cursor.execute("EXPLAIN SELECT id FROM api_keys WHERE key_hash = %s", [keys.hash_key(legacy_key)])
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "api_keys_key_hash_key" in plan or "Seq Scan" in plan  # tiny tables may still be scanned
    assert key_client(legacy_key).get("/api/v1/partner/usage").status_code == 200


def legacy_row(partner, key):
    legacy_hash = bcrypt.hashpw(key.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2a$", 1)
    return ApiKey.objects.create(partner=partner, key_hash=legacy_hash, expires_at=timezone.now() + keys.LIFETIME)


def test_failed_legacy_checks_are_capped_for_the_whole_service(partner_a, settings):
    """Each unknown legacy-shaped key costs a bcrypt check per legacy row: past the cap, from any
    address, no more are made (the key answers as unknown) until the window passes."""
    settings.API_KEY_LEGACY = {**settings.API_KEY_LEGACY, "checks": 3}
    settings.API_KEY_THROTTLE = {**settings.API_KEY_THROTTLE, "attempts": 1000}
    good = "epai_" + "GoodLegacyKeyGoodLegacyKey012345"
    legacy_row(partner_a, good)
    for n in range(3):
        wrong = "epai_" + f"WrongLegacyKeyWrongLegacyKey{n:04d}"
        assert key_client(wrong).get("/api/v1/partner/usage", REMOTE_ADDR=f"198.51.100.{n}").status_code == 401
    assert key_client(good).get("/api/v1/partner/usage", REMOTE_ADDR="203.0.113.1").status_code == 401
    cache.delete("api-key-legacy-checks")  # the window passed
    assert key_client(good).get("/api/v1/partner/usage").status_code == 200


def test_legacy_keys_are_refused_after_the_migration_window(partner_a, settings):
    settings.API_KEY_LEGACY = {**settings.API_KEY_LEGACY, "until": timezone.now() - timedelta(seconds=1)}
    good = "epai_" + "LateLegacyKeyLateLegacyKey012345"
    legacy_row(partner_a, good)
    response = key_client(good).get("/api/v1/partner/usage")
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_unknown"


def test_key_management_needs_the_owners_token_not_a_key(key_a):
    assert key_client(key_a).post("/api/v1/partner/api-key/regenerate").status_code == 401
    assert key_client(key_a).delete("/api/v1/partner/api-key").status_code == 401


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    key_client("epai_" + "q" * 43).get("/api/v1/partner/usage", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2")
    assert SecurityEvent.objects.get().ip_address == "10.0.0.2"


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(db):
    key_client("epai_" + "q" * 43).get("/api/v1/partner/usage", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert SecurityEvent.objects.get().ip_address == "127.0.0.1"


# --- The lookup: one narrow statement, prepared once per connection where allowed ---------------------

REPO = Path(__file__).resolve().parents[2]
LOOKUP_IN_SERVER = "SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql AND statement LIKE %s"


def prepared_lookups() -> int:
    """Statements prepared on this connection for LOOKUP_AND_ACT, the lookup of an API request.
    Prepared statements outlive the tests' rolled-back transactions: an earlier test on the same
    connection may have prepared it already."""
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP_IN_SERVER, ["%CASE WHEN%FROM api_keys k JOIN partners p%"])
        return cursor.fetchone()[0]


def test_verify_loads_only_what_authentication_reads_and_the_rest_on_access(partner_a, key_a, user_a):
    api_key = keys.verify(key_a)
    partner, user = api_key.partner, api_key.partner.user
    assert (api_key.partner_id, partner.pk, partner.user_id, user.pk) == (partner_a.pk, partner_a.pk, user_a.pk, user_a.pk)
    assert user.email == "alice@example.com" and user.refusal() is None
    assert api_key.get_deferred_fields() == {"created_at", "updated_at", "key_hash", "key_prefix"}
    assert not api_key._state.adding and api_key._state.db == "default"
    assert partner.name == "Acme" and user.created_at is not None  # deferred columns load on first access
    assert api_key.key_prefix == key_a[:11]


def test_the_lookup_is_prepared_once_per_connection(partner_a, key_a, settings):
    assert settings.DATABASE_PREPARED_STATEMENTS  # the embedded database of the tests: a direct connection
    for _ in range(3):
        assert key_client(key_a).get("/api/v1/partner/usage").status_code == 200
    assert prepared_lookups() == 1


def test_without_prepared_statements_the_lookup_is_sent_unprepared(partner_a, key_a, settings):
    """As behind a transaction-mode pooler (DATABASE_PREPARED_STATEMENTS off): nothing is prepared,
    not even a text this connection prepared before, and every check still holds."""
    settings.DATABASE_PREPARED_STATEMENTS = False
    before = prepared_statements()
    for _ in range(3):
        assert key_client(key_a).get("/api/v1/partner/usage").status_code == 200
    assert prepared_statements() == before
    ApiKey.objects.update(revoked_at=timezone.now())
    assert key_client(key_a).get("/api/v1/partner/usage").json()["error"]["code"] == "api_key_revoked"
    settings.DATABASE_PREPARED_STATEMENTS = True
    assert key_client(key_a).get("/api/v1/partner/usage").json()["error"]["code"] == "api_key_revoked"
    assert prepared_lookups() == 1


def prepared_statements() -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE NOT from_sql ORDER BY name")
        return cursor.fetchall()


def test_the_prepared_lookup_stays_valid_across_requests_that_switch_roles(partner_a, key_a, user_a, api):
    """The lookup runs before the request switches to `authenticated`, as the connection role,
    whatever the requests before it did on the same connection (owner's token, refused key)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        connection_role = cursor.fetchone()[0]
    assert key_client(key_a).get("/api/v1/partner/usage").status_code == 200
    assert api(user_a).get("/api/v1/partner/usage").status_code == 200
    assert key_client("epai_" + "u" * 43).get("/api/v1/partner/usage").status_code == 401
    response = key_client(key_a).get("/api/v1/partner/logs")
    assert response.status_code == 200 and response.json()["count"] >= 1  # RLS as the owner afterwards
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == connection_role


def test_an_owner_banned_or_deleted_after_the_lookup_was_prepared_is_refused_at_once(partner_a, key_a, user_a):
    assert key_client(key_a).get("/api/v1/partner/usage").status_code == 200
    user_a.banned_until = timezone.now() + timedelta(days=1)
    user_a.save(update_fields=["banned_until"])
    response = key_client(key_a).get("/api/v1/partner/usage")
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_user_banned"


@pytest.mark.parametrize(
    "url, flag, expected",
    [
        ("postgres://app@db.example.supabase.co:6543/postgres", None, False),  # Supabase's transaction pooler
        ("postgres://app@db.example.supabase.co:6543/postgres", "true", False),
        ("postgres://app@db.example.supabase.co:5432/postgres", None, True),  # a direct connection
        ("postgres://app@db.example.supabase.co:5432/postgres", "false", False),
    ],
)
def test_prepared_statements_setting(url, flag, expected):
    """DATABASE_PREPARED_STATEMENTS as config/settings.py computes it from the environment (in a
    fresh interpreter: settings are read once)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "EMBEDDED_"))}
    env["DATABASE_URL"] = url
    if flag is not None:
        env["DATABASE_PREPARED_STATEMENTS"] = flag
    code = "from config import settings; print(settings.DATABASE_PREPARED_STATEMENTS)"
    output = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    assert output.stdout.split() == [str(expected)]


# --- The lookup switches the request's identity itself (keys.LOOKUP_AND_ACT) --------------------------


def acting() -> tuple[str, dict | None]:
    """The current role and the claims RLS reads now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, nullif(current_setting('request.jwt.claims', true), '')")
        role, claims = cursor.fetchone()
    return role, json.loads(claims) if claims else None


def test_the_lookup_switches_to_exactly_the_claims_act_as_would_use(partner_a, key_a, user_a):
    connection_role, _ = acting()
    with transaction.atomic():
        api_key = keys.authenticate(key_a)
        assert api_key.acting
        role, claims = acting()
        assert role == "authenticated" and claims == keys.claims(api_key)
        assert claims == {**rls.claims_for(user_a), "partner_id": str(partner_a.pk), "amr": [{"method": "api_key"}]}
        with connection.cursor() as cursor:
            cursor.execute("SELECT auth.uid(), (SELECT count(*) FROM api_keys)")
            assert cursor.fetchone() == (user_a.pk, 1)  # RLS as the owner
        rls._reset()
    assert acting()[0] == connection_role


@pytest.mark.parametrize("fields", [{"email": None}, {"email": "", "is_anonymous": True}])
def test_claims_built_in_sql_match_for_anonymous_and_emailless_owners(make_user, fields):
    owner = make_user(**fields)
    partner = Partner.objects.create(user=owner, name="Anon", email="anon@example.com")
    key = services.regenerate_key(partner)[1]
    with transaction.atomic():
        api_key = keys.authenticate(key)
        assert api_key.acting and acting()[1] == keys.claims(api_key) == {**rls.claims_for(owner), "partner_id": str(partner.pk),
                                                                          "amr": [{"method": "api_key"}]}
        rls._reset()


@pytest.mark.parametrize("state", ["revoked", "expired", "banned", "deleted", "banned_until_past"])
def test_a_refused_key_never_switches_and_a_live_one_does(partner_a, key_a, user_a, state):
    if state == "revoked":
        ApiKey.objects.update(revoked_at=timezone.now())
    elif state == "expired":
        ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "banned":
        AuthUser.objects.filter(pk=user_a.pk).update(banned_until=timezone.now() + timedelta(hours=1))
    elif state == "deleted":
        AuthUser.objects.filter(pk=user_a.pk).update(deleted_at=timezone.now())
    else:  # a ban that is over: the key is live again
        AuthUser.objects.filter(pk=user_a.pk).update(banned_until=timezone.now() - timedelta(seconds=1))
    connection_role, _ = acting()
    with transaction.atomic():
        if state == "banned_until_past":
            assert keys.authenticate(key_a).acting and acting()[0] == "authenticated"
            rls._reset()
        else:
            with pytest.raises(keys.KeyRefused) as refused:
                keys.authenticate(key_a)
            expected = {"revoked": "revoked", "expired": "expired", "banned": "user_banned", "deleted": "user_deleted"}[state]
            assert refused.value.reason == expected and not refused.value.api_key.acting
            assert acting() == (connection_role, None)


def test_a_key_python_refuses_after_sql_switched_is_switched_back(partner_a, key_a, monkeypatch):
    """Should the two checks ever disagree (a ban that starts between them), Python's refusal wins and
    the switch is undone before anything else runs."""
    monkeypatch.setattr(AuthUser, "refusal", lambda self: "banned")
    connection_role, _ = acting()
    with transaction.atomic():
        with pytest.raises(keys.KeyRefused) as refused:
            keys.authenticate(key_a)
        assert refused.value.reason == "user_banned" and not refused.value.api_key.acting
        assert acting() == (connection_role, None)
    response = key_client(key_a).get("/api/v1/partner/usage")
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_user_banned"
    assert SecurityEvent.objects.filter(details__reason="user_banned").count() == 1


def test_a_request_by_key_switches_identity_in_the_lookup_alone(partner_a, key_a, user_a):
    """No act_as statement of its own: the lookup is the only statement before the view's, and RLS
    applies as the owner for the rest of the request (its logs are the owner's), then is reset."""
    connection_role, _ = acting()
    client = key_client(key_a)
    assert client.get("/api/v1/partner/usage").status_code == 200  # first use: writes last_used_at
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/partner/logs")
    assert response.status_code == 200 and response.json()["count"] >= 1
    statements = [q["sql"] for q in ctx.captured_queries]
    assert sum("set_config('role'" in sql for sql in statements) == 1
    assert any(sql == keys.LOOKUP_AND_ACT for sql in statements)
    assert acting() == (connection_role, None)


def test_first_use_writes_last_used_at_as_the_owner(partner_a, key_a):
    """verify()'s UPDATE of last_used_at runs after the switch, as `authenticated`: the owner's
    UPDATE policy on api_keys lets it through."""
    ApiKey.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    before = ApiKey.objects.get().last_used_at
    with transaction.atomic():
        api_key = keys.authenticate(key_a)
        assert api_key.acting and acting()[0] == "authenticated"
        rls._reset()
    assert ApiKey.objects.get().last_used_at > before


def test_a_legacy_key_is_switched_by_act_as(partner_a):
    """A key found by its bcrypt hash is not looked up by LOOKUP_AND_ACT: the request switches by
    act_as, as before, and RLS still applies as the owner."""
    legacy_key = "epai_" + "ZyXwVuTsRqPoNmLkJiHgFeDcBa987654"
    legacy_hash = bcrypt.hashpw(legacy_key.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2a$", 1)
    ApiKey.objects.create(partner=partner_a, key_hash=legacy_hash, expires_at=timezone.now() + keys.LIFETIME)
    with CaptureQueriesContext(connection) as ctx:
        response = key_client(legacy_key).get("/api/v1/partner/logs")
    assert response.status_code == 200
    assert sum(q["sql"].startswith("SELECT set_config('request.jwt.claims'") for q in ctx.captured_queries) == 1


def test_a_lookup_in_autocommit_leaves_no_identity_behind(committed_db, make_user):
    """Outside a transaction set_config(..., true) lapses with its statement: nothing noted, nothing
    carried to the connection's next statement."""
    owner = make_user()
    partner = Partner.objects.create(user=owner, name="Auto", email="auto@example.com")
    key = services.regenerate_key(partner)[1]
    connection_role, _ = acting()
    assert not connection.in_atomic_block
    api_key = keys.authenticate(key)
    assert not api_key.acting and acting() == (connection_role, None)

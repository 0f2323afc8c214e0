"""API authentication with Supabase access tokens: each failure is a 401 with a clear reason."""

import json
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from tests.conftest import token_for

URL = "/api/v1/research-sessions/"


def claims(user, **overrides):
    now = int(time.time())
    base = {"sub": str(user.id), "aud": "authenticated", "role": "authenticated", "exp": now + 600, "iat": now}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def call(token):
    return APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_401(response, code, words):
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert words in error["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_valid_hs256_token(user_a):
    assert call(token_for(user_a)).status_code == 200


def test_hs256_token_signed_by_supabase_secret(user_a):
    token = jwt.encode(claims(user_a), settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    assert call(token).status_code == 200


@pytest.fixture
def ec_key(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    settings.SUPABASE_JWKS = json.dumps({"keys": [{**public, "kid": "key-1", "alg": "ES256", "use": "sig"}]})
    return key


def test_valid_es256_token_via_jwks(user_a, ec_key):
    token = jwt.encode(claims(user_a), ec_key, algorithm="ES256", headers={"kid": "key-1"})
    assert call(token).status_code == 200


def test_es256_token_from_unknown_key(user_a, ec_key):
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(user_a), other, algorithm="ES256", headers={"kid": "key-2"})
    assert_401(call(token), "invalid_token", "key this server does not know")


def test_es256_token_with_forged_signature(user_a, ec_key):
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(user_a), other, algorithm="ES256", headers={"kid": "key-1"})
    assert_401(call(token), "invalid_token", "signature")


def test_jwks_from_a_file(user_a, ec_key, settings, tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(settings.SUPABASE_JWKS)
    settings.SUPABASE_JWKS = str(path)
    token = jwt.encode(claims(user_a), ec_key, algorithm="ES256", headers={"kid": "key-1"})
    assert call(token).status_code == 200


def test_expired_token(user_a):
    token = jwt.encode(claims(user_a, exp=int(time.time()) - 60), settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    assert_401(call(token), "token_expired", "expired")


def test_a_verified_token_still_expires(user_a):
    """A token is verified once per process and kept (accounts.tokens.VERIFIED_TOKENS); its `exp`
    is checked on every use, with the same leeway."""
    exp = int(time.time()) - 3
    token = jwt.encode(claims(user_a, exp=exp), settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    assert call(token).status_code == 200  # within the 5 s leeway
    time.sleep(max(0.0, exp + 5 - time.time()) + 0.1)
    assert_401(call(token), "token_expired", "expired")


def test_a_verified_token_is_checked_again_with_a_new_secret(user_a, settings):
    token = token_for(user_a)
    assert call(token).status_code == 200
    settings.SUPABASE_JWT_SECRET = "a-new-secret-of-at-least-32-bytes-long!"
    assert_401(call(token), "invalid_token", "signature")


def test_wrong_audience(user_a):
    token = jwt.encode(claims(user_a, aud="anon"), settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    assert_401(call(token), "invalid_audience", "authenticated")


def test_bad_signature(user_a):
    token = jwt.encode(claims(user_a), "another-secret-of-at-least-32-bytes!!", algorithm="HS256")
    assert_401(call(token), "invalid_token", "signature")


def test_alg_none_is_refused(user_a):
    token = jwt.encode(claims(user_a), None, algorithm="none")
    assert_401(call(token), "invalid_token", "Unsupported signing algorithm")


def test_missing_subject(user_a):
    token = jwt.encode(claims(user_a, sub=None), settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    assert_401(call(token), "invalid_token", "'sub'")


def test_unknown_user(db):
    import uuid

    token = jwt.encode({"sub": str(uuid.uuid4()), "aud": "authenticated", "exp": int(time.time()) + 60},
                       settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    assert_401(call(token), "user_not_found", "does not exist")


def test_banned_user(make_user):
    user = make_user(banned_until=timezone.now() + timedelta(days=1))
    assert_401(call(token_for(user)), "user_banned", "banned")


def test_ban_that_ended_is_no_ban(make_user):
    user = make_user(banned_until=timezone.now() - timedelta(days=1))
    assert call(token_for(user)).status_code == 200


def test_deleted_user(make_user):
    user = make_user(deleted_at=timezone.now())
    assert_401(call(token_for(user)), "user_deleted", "deleted")


def test_malformed_token_and_header(db):
    assert_401(call("not-a-jwt"), "invalid_token", "malformed")
    response = APIClient().get(URL, HTTP_AUTHORIZATION="Bearer a b")
    assert_401(response, "invalid_header", "Bearer <access token>")


def test_no_credentials(db):
    response = APIClient().get(URL)
    assert_401(response, "not_authenticated", "credentials")


def test_token_of_an_ended_session_is_refused_in_the_user_query(user_a, django_assert_num_queries):
    from accounts import sessions

    session = sessions.start(user_a)
    token = tokens.issue(user_a, session=session)["access_token"]
    verified = tokens.verify(token)
    with django_assert_num_queries(1):  # the session check rides on the user lookup
        assert tokens.user_for(verified) == user_a
    assert call(token).status_code == 200

    sessions.end(session.pk)
    assert_401(call(token), "session_not_found", "session")
    assert_401(call(jwt.encode(claims(user_a, session_id="not-a-uuid"), settings.SUPABASE_JWT_SECRET, algorithm="HS256")),
               "invalid_token", "session_id")


def _identity():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, nullif(current_setting('request.jwt.claims', true), '')")
        return cursor.fetchone()


def test_the_user_lookup_switches_to_the_claims_only_when_asked_and_allowed(user_a, monkeypatch):

    from core import rls

    verified = tokens.verify(token_for(user_a))
    connection_role = _identity()[0]
    with rls.request_transaction():
        user = tokens.user_for(verified)
        assert not user.acting and _identity() == (connection_role, None)
        user = tokens.user_for(verified, act=True)
        assert user.acting and _identity() == ("authenticated", rls.claims_text(verified))
    assert _identity() == (connection_role, None)

    # Python refusing what SQL let in (a ban starting between the two checks) undoes the switch.
    monkeypatch.setattr(type(user_a), "refusal", lambda self: "banned")
    with rls.request_transaction():
        with pytest.raises(tokens.InvalidToken) as refused:
            tokens.user_for(verified, act=True)
        assert refused.value.code == "user_banned"
        assert _identity()[0] == connection_role and not rls.current_claims()

"""POST /api/v1/auth/token: Supabase Auth's password grant (an alias of /auth/v1/token?grant_type=password
in this API's error shape), so the API works without Supabase."""

import jwt
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import AuthSession, AuthUser
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token"


def test_password_grant_returns_a_supabase_shaped_token(user_a):
    response = APIClient().post(URL, {"email": "Alice@Example.com", "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "expires_at", "refresh_token", "user"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["user"]["id"] == str(user_a.id) and body["user"]["email"] == "alice@example.com"
    assert body["user"]["app_metadata"] == {"provider": "email", "providers": ["email"]}
    assert "encrypted_password" not in response.content.decode()

    claims = jwt.decode(body["access_token"], settings.SUPABASE_JWT_SECRET, algorithms=["HS256"], audience="authenticated")
    assert claims["sub"] == str(user_a.id) and claims["role"] == "authenticated" and claims["exp"] == body["expires_at"]
    assert {"iss", "iat", "email", "phone", "app_metadata", "user_metadata", "aal", "amr", "session_id", "is_anonymous"} <= set(claims)
    assert AuthUser.objects.get(pk=user_a.pk).last_sign_in_at is not None
    session = AuthSession.objects.get(pk=claims["session_id"])
    assert session.user_id == user_a.pk and session.aal == "aal1" and claims["aal"] == "aal1"
    assert [entry["method"] for entry in claims["amr"]] == ["password"]

    listed = APIClient().get("/api/v1/research-sessions/", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert listed.status_code == 200


def test_wrong_password_is_401(user_a):
    response = APIClient().post(URL, {"email": "alice@example.com", "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "invalid_credentials", "message": "Invalid email or password.", "fields": {}}


def test_missing_fields_are_400_with_field_errors(db):
    response = APIClient().post(URL, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"email", "password"}


def test_repeated_failures_are_throttled(user_a, settings):
    settings.LOGIN_THROTTLE = {"attempts": 3, "window": 60}
    client = APIClient()
    for _ in range(3):
        assert client.post(URL, {"email": "alice@example.com", "password": "wrong"}, format="json").status_code == 401
    response = client.post(URL, {"email": "alice@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_attempts"

"""The hostile-input suite for Supabase Auth's API under /auth/v1/. It is not in the OpenAPI schema
(GoTrue's API is Supabase's to document), so its endpoints are declared here: every body of the
catalogue (payloads.py) goes to each endpoint that reads a JSON body, every token to each that needs
a user's. Each case must answer a 4xx in GoTrue's error shape (`{"code": <status>, "error_code",
"msg"}`, accounts.gotrue.errors) and leave every table as it was."""

import json

import pytest
from django.db import connection, transaction
from django.urls import URLPattern, get_resolver
from rest_framework.test import APIClient

from accounts import mfa, projectkeys, sessions, tokens
from tests.hostile.payloads import BODIES, TOKENS
from tests.hostile.test_api import UNCHANGED_TABLES

# (method, path, reads a JSON body, needs a user's token). `{factor}` is a factor of the caller.
ENDPOINTS = [
    ("POST", "/auth/v1/signup", True, False),
    ("POST", "/auth/v1/token?grant_type=password", True, False),
    ("POST", "/auth/v1/token?grant_type=refresh_token", True, False),
    ("GET", "/auth/v1/user", False, True),
    ("PUT", "/auth/v1/user", True, True),
    ("POST", "/auth/v1/logout", False, True),
    ("POST", "/auth/v1/factors", True, True),
    ("POST", "/auth/v1/factors/{factor}/challenge", False, True),
    ("POST", "/auth/v1/factors/{factor}/verify", True, True),
    ("DELETE", "/auth/v1/factors/{factor}", False, True),
]
# The routes no end user's body or token reaches: GoTrue's health and settings (public), and Google
# sign-in's redirects (query strings only, tried in tests/accounts/test_google_signin.py).
UNDECLARED = {"health", "settings", "authorize", "callback"}

WITH_BODY = [(method, path, user) for method, path, body, user in ENDPOINTS if body]
WITH_USER = [(method, path) for method, path, _, user in ENDPOINTS if user]
TABLES = UNCHANGED_TABLES + [
    '"auth"."refresh_tokens"', '"auth"."identities"', '"auth"."mfa_factors"', '"auth"."mfa_challenges"',
    '"auth"."mfa_amr_claims"',
]


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def caller(owner):
    """The owner's session with an unverified TOTP factor: its access token and the factor's id."""
    session = sessions.start(owner)
    factor, _ = mfa.enroll(owner, session.aal, "hostile", "Hostile")
    return {"token": tokens.issue(owner, session=session)["access_token"], "factor": str(factor.pk)}


def _counts() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in TABLES))
        return list(cursor.fetchone())


def gotrue_refusal_problem(response, before) -> str | None:
    """Why `response` is not a clean GoTrue refusal (None when it is)."""
    if not 400 <= response.status_code < 500:
        return f"answered {response.status_code}: {response.content[:200]!r}"
    if not response["Content-Type"].startswith("application/json"):
        return f"answered {response['Content-Type']}, not JSON"
    body = json.loads(response.content)
    if not (body.get("code") == response.status_code and isinstance(body.get("error_code"), str)
            and body["error_code"] and isinstance(body.get("msg"), str) and body["msg"]):
        return f"answered outside GoTrue's error shape: {response.content[:200]!r}"
    if _counts() != before:
        return "changed a table"
    return None


def try_all(method, path, cases):
    problems = []
    for label, extra in cases:
        before = _counts()
        with transaction.atomic():
            client = APIClient()
            client.raise_request_exception = False  # a crash is a 500 to report
            path_only, _, query = path.partition("?")
            response = client.generic(method, path_only, QUERY_STRING=query, **extra)
            problem = gotrue_refusal_problem(response, before)
            transaction.set_rollback(True)
        if problem:
            problems.append(f"{label}: {problem}")
    assert not problems, f"{method} {path}\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("method, path, user", WITH_BODY, ids=[f"{m} {p}" for m, p, _ in WITH_BODY])
def test_hostile_bodies_get_gotrue_errors(method, path, user, caller):
    headers = {"HTTP_APIKEY": projectkeys.mint("anon")}
    if user:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {caller['token']}"
    try_all(method, path.format(factor=caller["factor"]), [
        (body.name, {"data": body.content, "content_type": body.content_type, **headers}) for body in BODIES
    ])


@pytest.mark.parametrize("method, path", WITH_USER, ids=[f"{m} {p}" for m, p in WITH_USER])
def test_hostile_tokens_get_gotrue_errors(method, path, owner, caller):
    try_all(method, path.format(factor=caller["factor"]), [
        (name, {"data": b"{}", "content_type": "application/json", "HTTP_APIKEY": projectkeys.mint("anon"),
                "HTTP_AUTHORIZATION": f"Bearer {make(str(owner.pk))}"})
        for name, make in TOKENS
    ])


def test_the_callers_credentials_are_real(caller):
    """The control: with a plain body the same credentials and factor are served, so each hostile
    case above meets the endpoint's real handling."""
    client = APIClient(HTTP_APIKEY=projectkeys.mint("anon"), HTTP_AUTHORIZATION=f"Bearer {caller['token']}")
    assert client.get("/auth/v1/user").status_code == 200
    assert client.post(f"/auth/v1/factors/{caller['factor']}/challenge", {}, format="json").status_code == 200


def test_every_gotrue_route_is_declared():
    """A new /auth/v1/ endpoint joins the suite by a line in ENDPOINTS (or UNDECLARED, with its reason)."""
    gotrue = next(p for p in get_resolver().url_patterns if str(p.pattern) == "auth/v1/")
    names = {p.name for p in gotrue.url_patterns if isinstance(p, URLPattern) and p.name}
    declared = {path.split("?")[0].removeprefix("/auth/v1/").replace("{factor}", "<uuid:factor_id>") for _, path, _, _ in ENDPOINTS}
    routes = {str(p.pattern) for p in gotrue.url_patterns if isinstance(p, URLPattern) and p.name not in UNDECLARED}
    assert routes - {""} <= declared, routes - declared
    assert names >= UNDECLARED

"""Google sign-in (GET /auth/v1/authorize?provider=google, /auth/v1/callback) against a loopback
OpenID provider (tests/chat/loopback.py): discovery, authorize, token with an RS256 ID token signed
by the key it publishes."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from django.core.cache import cache
from django.test import Client

from accounts import projectkeys
from accounts.models import AuthSession, AuthUser, Identity, MfaFactor
from tests.chat.loopback import LoopbackGoogle, Reply


@pytest.fixture
def google(settings, db):
    with LoopbackGoogle() as provider:
        for name, value in provider.signin_settings().items():
            setattr(settings, name, value)
        yield provider
    cache.clear()


def authorize(client: Client, redirect_to: str = "/chat/") -> str:
    """Start on our /authorize and let the loopback Google "consent": the callback URL it sends back to."""
    response = client.get("/auth/v1/authorize", {"provider": "google", "redirect_to": redirect_to})
    assert response.status_code == 302
    to_google = httpx.get(response["Location"])
    assert to_google.status_code == 302
    return to_google.headers["location"]


def sign_in(client: Client, redirect_to: str = "/chat/"):
    back = urlsplit(authorize(client, redirect_to))
    assert back.path == "/auth/v1/callback"
    return client.get(back.path, parse_qs(back.query))


def test_a_new_google_user_is_created_as_supabase_does_and_signed_in(google):
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/chat/"

    user = AuthUser.objects.get(email="gina@example.com")
    assert user.raw_app_meta_data == {"provider": "google", "providers": ["google"]}
    assert user.raw_user_meta_data["full_name"] == "Gina Google"
    assert user.raw_user_meta_data["avatar_url"] == "https://lh3.googleusercontent.com/a/gina"
    assert user.raw_user_meta_data["email_verified"] is True and user.email_confirmed_at is not None
    assert user.encrypted_password == ""
    identity = Identity.objects.get(user=user)
    assert (identity.provider, identity.provider_id) == ("google", google.account["sub"])
    assert identity.identity_data["email"] == "gina@example.com" and identity.identity_data["full_name"] == "Gina Google"
    session = AuthSession.objects.get(pk=client.session["_auth_session_id"])
    assert session.user_id == user.pk and session.aal == "aal1"
    assert client.get("/chat/").status_code == 200
    # The flow used PKCE and a nonce, and our secret only at the token endpoint.
    authorization = google.requests_to("authorize")[0].form
    assert authorization["code_challenge_method"] == "S256" and authorization["nonce"] and "openid" in authorization["scope"]

    # Again: the same user, no second identity.
    sign_in(Client())
    assert AuthUser.objects.count() == 1 and Identity.objects.count() == 1


def test_a_verified_google_email_links_to_the_password_account(google, make_user):
    user = make_user("gina@example.com")
    sign_in(Client())
    assert AuthUser.objects.count() == 1
    assert Identity.objects.filter(user=user, provider="google").exists()
    user.refresh_from_db()
    assert user.raw_app_meta_data["providers"] == ["email", "google"]
    assert user.raw_user_meta_data["full_name"] == "Gina Google"


def test_an_unverified_google_email_does_not_take_over_the_password_account(google, make_user):
    user = make_user("gina@example.com")
    google.account["email_verified"] = False
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not Identity.objects.filter(user=user, provider="google").exists()
    assert "_auth_session_id" not in client.session
    assert "Google has not verified" in client.get("/accounts/login/").content.decode()


def test_a_forged_or_replayed_state_is_refused(google):
    client = Client()
    back = urlsplit(authorize(client))
    query = {key: values[-1] for key, values in parse_qs(back.query).items()}
    assert client.get(back.path, {**query, "state": "forged"})["Location"] == "/accounts/login/"
    assert client.get(back.path, query)["Location"] == "/accounts/login/"  # the pending sign-in is spent
    assert not AuthUser.objects.exists()


@pytest.mark.parametrize("tampered", ["nonce", "audience", "key"])
def test_an_id_token_that_is_not_for_this_sign_in_is_refused(google, tampered):
    client = Client()
    back = urlsplit(authorize(client))
    nonce = google.requests_to("authorize")[0].form["nonce"]
    token = {
        "nonce": lambda: google.id_token("another-nonce"),
        "audience": lambda: google.id_token(nonce, aud="someone-else"),
        "key": lambda: google.id_token(nonce),
    }[tampered]()
    if tampered == "key":  # signed by a key the provider does not publish
        google.key_id = "rotated-away"
    google.script("token", Reply(200, {"access_token": "ya29.x", "token_type": "Bearer", "expires_in": 3600, "id_token": token}))
    response = client.get(back.path, parse_qs(back.query))
    assert response["Location"] == "/accounts/login/"
    assert not AuthUser.objects.exists()


def test_a_user_with_a_verified_factor_goes_through_the_code_step(google, make_user):
    user = make_user("gina@example.com")
    secret = pyotp.random_base32()
    MfaFactor.objects.create(id="00000000-0000-4000-8000-0000000000aa", user=user, factor_type="totp", status="verified",
                             created_at="2026-01-01T00:00Z", updated_at="2026-01-01T00:00Z", secret=secret)
    client = Client()
    response = sign_in(client)
    assert response["Location"].startswith("/accounts/login/mfa/")
    response = client.post("/accounts/login/mfa/", {"code": pyotp.TOTP(secret).now(), "next": "/chat/"})
    assert response["Location"] == "/chat/"
    assert AuthSession.objects.get(pk=client.session["_auth_session_id"]).aal == "aal2"


def test_the_login_page_and_settings_show_google_only_when_configured(db, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    assert "Sign in with Google" not in Client().get("/accounts/login/").content.decode()
    key = {"HTTP_APIKEY": projectkeys.mint()}
    assert Client().get("/auth/v1/settings", **key).json()["external"]["google"] is False
    refused = Client().get("/auth/v1/authorize", {"provider": "google"})
    assert refused.status_code == 400 and refused.json()["error_code"] == "provider_disabled"
    settings.GOOGLE_OAUTH_CLIENT_ID = "configured"
    assert "Sign in with Google" in Client().get("/accounts/login/").content.decode()
    assert Client().get("/auth/v1/settings", **key).json()["external"]["google"] is True
    unknown = Client().get("/auth/v1/authorize", {"provider": "github"})
    assert unknown.status_code == 400 and unknown.json()["error_code"] == "validation_failed"


def test_redirect_to_another_site_is_ignored(google):
    client = Client()
    back = urlsplit(authorize(client, redirect_to="https://evil.example/"))
    assert client.get(back.path, parse_qs(back.query))["Location"] == "/"


def test_a_browser_app_on_the_allow_list_gets_the_sessions_tokens(google, settings):
    """GoTrue's implicit flow, as Supabase's clients use it: the tokens in the URL fragment of an
    allowed `redirect_to`; they work on the API and refresh; the browser is not signed in to the pages."""
    settings.AUTH_REDIRECT_URLS = ["https://app.example/auth"]
    client = Client()
    back = urlsplit(authorize(client, redirect_to="https://app.example/auth/done"))
    response = client.get(back.path, parse_qs(back.query))
    assert response.status_code == 302 and response["Cache-Control"] == "no-store"
    landed = urlsplit(response["Location"])
    assert (landed.scheme, landed.netloc, landed.path) == ("https", "app.example", "/auth/done")
    tokens = {key: values[0] for key, values in parse_qs(landed.fragment).items()}
    assert tokens["token_type"] == "bearer" and int(tokens["expires_in"]) > 0
    assert "_auth_session_id" not in client.session

    api = Client(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api.get("/api/v1/research-sessions/").status_code == 200
    refreshed = Client().post("/auth/v1/token?grant_type=refresh_token", {"refresh_token": tokens["refresh_token"]},
                              content_type="application/json", HTTP_APIKEY=projectkeys.mint())
    assert refreshed.status_code == 200 and refreshed.json()["refresh_token"] != tokens["refresh_token"]
    session = AuthSession.objects.get(user__email="gina@example.com")
    assert session.aal == "aal1"


@pytest.mark.parametrize("redirect_to", ["https://app.example.evil/auth/done", "https://app.example/authx", "http://app.example/auth"])
def test_tokens_go_to_no_address_off_the_allow_list(google, settings, redirect_to):
    settings.AUTH_REDIRECT_URLS = ["https://app.example/auth"]
    client = Client()
    back = urlsplit(authorize(client, redirect_to=redirect_to))
    response = client.get(back.path, parse_qs(back.query))
    assert response["Location"] == "/" and "#" not in response["Location"]


def test_odd_claims_are_taken_as_absent(google):
    google.account.update(email={"not": "a string"}, name=["x"])
    client = Client()
    assert sign_in(client)["Location"] == "/accounts/login/"  # no usable email: no account
    assert not AuthUser.objects.exists()

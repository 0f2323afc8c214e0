"""Connecting a GA4 property: the OAuth 2.0 authorization-code flow with PKCE (S256) and a
single-use `state`, against the loopback Google over real HTTP."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from chat.models import GA4Credential

pytestmark = pytest.mark.django_db


def start(client, property_id="properties/123456789", property_name="Web shop"):
    response = client.post("/chat/ga4/connect/", {"property_id": property_id, "property_name": property_name})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def consent(authorize_url: str) -> str:
    """The browser at the provider: it consents at once and sends us back (a path for the test client)."""
    back = httpx.get(authorize_url, follow_redirects=False)
    assert back.status_code == 302, back.text
    location = urlsplit(back.headers["location"])
    assert location.path == "/chat/ga4/callback/"
    return f"{location.path}?{location.query}"


def test_connect_page_is_for_signed_in_users(pages):
    response = pages().get("/chat/ga4/connect/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_authorization_request_uses_pkce_s256_and_state(google, pages, user_a):
    authorize = start(pages(user_a))
    assert authorize.startswith(google.authorize_url + "?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(authorize).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == google.client_id
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256 digest, unpadded
    assert len(query["state"]) >= 32
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["redirect_uri"] == "http://testserver/chat/ga4/callback/"
    assert query["scope"] == "https://www.googleapis.com/auth/analytics.readonly"


def test_connect_end_to_end_stores_encrypted_tokens(google, pages, user_a):
    client = pages(user_a)
    authorize = start(client)
    challenge = parse_qs(urlsplit(authorize).query)["code_challenge"][0]

    done = client.get(consent(authorize))

    assert done.status_code == 302 and done["Location"] == "/chat/ga4/"
    credential = GA4Credential.objects.get(user=user_a)
    assert (credential.property_id, credential.property_name, credential.status) == ("123456789", "Web shop", "active")
    assert credential.tenant_id == user_a.pk
    assert google.is_valid_refresh_token(credential.refresh_token)
    assert google.is_valid_access_token(credential.access_token)
    assert credential.scopes == ["https://www.googleapis.com/auth/analytics.readonly"]
    # The provider checked the verifier against the challenge; the verifier never left the server before.
    (exchange,) = google.requests_to("token")
    verifier = exchange.form["code_verifier"]
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() == challenge
    assert verifier not in authorize
    assert exchange.form["grant_type"] == "authorization_code"
    page = client.get("/chat/ga4/").content.decode()
    assert "Web shop" in page and "123456789" in page and "Active" in page
    assert credential.refresh_token not in page and credential.access_token not in page


def test_provider_refuses_a_wrong_verifier(google, pages, user_a):
    """The loopback provider really checks PKCE: a stolen code is useless without the verifier."""
    callback = consent(start(pages(user_a)))
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = httpx.post(
        google.token_url,
        data={
            "grant_type": "authorization_code", "code": code, "code_verifier": "x" * 64,
            "redirect_uri": "http://testserver/chat/ga4/callback/",
            "client_id": google.client_id, "client_secret": google.client_secret,
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_replayed_state_is_refused(google, pages, user_a):
    client = pages(user_a)
    callback = consent(start(client))
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "already used" in replay.content.decode()
    assert google.calls["token"] == 1
    assert GA4Credential.objects.count() == 1


@pytest.mark.parametrize("state", ["forged-state", "", None])
def test_wrong_state_is_refused_before_any_exchange(google, pages, user_a, state):
    client = pages(user_a)
    callback = consent(start(client))
    code = parse_qs(urlsplit(callback).query)["code"][0]
    query = f"code={code}" + (f"&state={state}" if state is not None else "")
    response = client.get(f"/chat/ga4/callback/?{query}")
    assert response.status_code == 400
    assert google.calls["token"] == 0
    assert not GA4Credential.objects.exists()


def test_state_from_another_browser_is_refused(google, pages, user_a):
    """The state lives in the session of the browser that started the flow: a callback URL carried
    to another signed-in browser (a login CSRF) does nothing there."""
    callback = consent(start(pages(user_a)))
    assert pages(user_a).get(callback).status_code == 400
    assert google.calls["token"] == 0


def test_denied_consent_stores_nothing(google, pages, user_a):
    client = pages(user_a)
    google.deny_next_authorization()
    callback = consent(start(client))
    assert "error=access_denied" in callback
    response = client.get(callback, follow=True)
    assert "was not connected" in response.content.decode()
    assert google.calls["token"] == 0
    assert not GA4Credential.objects.exists()


def test_reconnect_renews_a_credential_that_needs_reauth(google, pages, user_a, make_credential):
    credential = make_credential(user_a, "555", status="needs_reauth", refresh_token=None, access_token=None)
    client = pages(user_a)
    assert "Reconnect" in client.get("/chat/ga4/").content.decode()
    assert client.get(f"/chat/ga4/{credential.pk}/reconnect/").status_code == 200
    authorize = client.post(f"/chat/ga4/{credential.pk}/reconnect/")["Location"]
    client.get(consent(authorize))
    credential.refresh_from_db()
    assert credential.status == "active"
    assert google.is_valid_refresh_token(credential.refresh_token)
    assert GA4Credential.objects.count() == 1


def test_invalid_property_id_is_refused_on_the_form(google, pages, user_a):
    response = pages(user_a).post("/chat/ga4/connect/", {"property_id": "UA-1234", "property_name": ""})
    assert response.status_code == 200
    assert "A GA4 property id is a number" in response.content.decode()
    assert google.calls["authorize"] == 0


def test_the_connection_is_in_the_audit_trail(google, pages, user_a):
    from audit.models import ApiCall, AuditLog

    client = pages(user_a)
    client.get(consent(start(client)))
    credential = GA4Credential.objects.get(user=user_a)
    log = AuditLog.objects.get(action="ga4_credential.connected")
    assert (log.user_id, log.resource_type, log.resource_id) == (user_a.pk, "ga4_credential", str(credential.pk))
    assert log.details["property_id"] == "123456789"
    call = ApiCall.objects.get(service="google_oauth")
    assert (call.method, call.endpoint, call.status_code) == ("POST", google.token_url, 200)
    assert credential.refresh_token not in str(log.details) + call.endpoint

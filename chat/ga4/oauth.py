"""The OAuth 2.0 side of GA4 credentials, with Authlib: the authorization-code flow with PKCE (S256)
and `state`, the token and revocation endpoints.

Every request goes out through `audit.oauth_client` (an Authlib client on the audited httpx client), so
each call to Google is recorded in the audit trail.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

import audit

logger = logging.getLogger(__name__)

OAUTH_SERVICE = "google_oauth"  # the audit trail's name for Google's OAuth endpoints
SESSION_KEY = "ga4_oauth_pending"  # pending authorizations, by state, in the (signed-cookie) session
PENDING_LIFETIME = 600  # seconds a started authorization may take
MAX_PENDING = 5  # a few tabs at once; the oldest is dropped
DEFAULT_LIFETIME = 3600  # an access token without expires_in is taken to last Google's usual hour

__all__ = ["OAuthError", "client", "start_authorization", "finish_authorization", "revoke", "TokenSet"]


def client(**kwargs):
    """An OAuth client for the configured Google application (use it as a context manager)."""
    return audit.oauth_client(
        OAUTH_SERVICE,
        settings.GA4_HTTP_TIMEOUT,
        client_id=settings.GA4_OAUTH_CLIENT_ID,
        client_secret=settings.GA4_OAUTH_CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_post",
        revocation_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256",
        scope=" ".join(settings.GA4_OAUTH_SCOPES),
        **kwargs,
    )


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint answered, normalised."""

    access_token: str
    refresh_token: str | None
    expiry: datetime
    scopes: list[str]

    @classmethod
    def from_response(cls, token: dict) -> "TokenSet":
        access_token = token.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise OAuthError(error="invalid_response", description="the token response has no access_token")
        expires_at = token.get("expires_at")
        if isinstance(expires_at, (int, float)):
            expiry = datetime.fromtimestamp(expires_at, tz=UTC)
        else:
            expiry = timezone.now() + timedelta(seconds=DEFAULT_LIFETIME)
        scope = token.get("scope")
        scopes = scope.split() if isinstance(scope, str) else list(settings.GA4_OAUTH_SCOPES)
        refresh_token = token.get("refresh_token")
        return cls(access_token, refresh_token if isinstance(refresh_token, str) and refresh_token else None, expiry, scopes)


# --- Authorization-code flow with PKCE -------------------------------------------------------------


class InvalidState(Exception):
    """The callback's `state` names no authorization this browser started (forged, replayed or stale)."""


@dataclass(frozen=True)
class Pending:
    property_id: str
    property_name: str
    code_verifier: str
    redirect_uri: str


def redirect_uri(request) -> str:
    return settings.GA4_OAUTH_REDIRECT_URI or request.build_absolute_uri(reverse("chat:ga4-callback"))


def start_authorization(request, *, property_id: str, property_name: str) -> str:
    """Remember a new authorization in the session (state, PKCE verifier, the property) and return
    the provider's authorization URL to redirect to."""
    state = generate_token(32)
    code_verifier = generate_token(64)  # 64 characters of [A-Za-z0-9]: within RFC 7636's 43-128
    uri = redirect_uri(request)
    now = time.time()
    pending = {
        key: value
        for key, value in request.session.get(SESSION_KEY, {}).items()
        if isinstance(value, dict) and now - value.get("started", 0) < PENDING_LIFETIME
    }
    pending[state] = {
        "property_id": property_id,
        "property_name": property_name,
        "code_verifier": code_verifier,
        "redirect_uri": uri,
        "started": now,
    }
    request.session[SESSION_KEY] = dict(sorted(pending.items(), key=lambda item: item[1]["started"])[-MAX_PENDING:])
    with client(redirect_uri=uri) as oauth:
        url, _ = oauth.create_authorization_url(
            settings.GA4_OAUTH_AUTHORIZE_URL,
            state=state,
            code_verifier=code_verifier,
            # A refresh token, every time (Google returns one only on consent).
            access_type="offline",
            prompt="consent",
        )
    return url


def take_pending(request, state: str | None) -> Pending:
    """Remove and return the authorization `state` names: each state is used at most once."""
    pending = request.session.get(SESSION_KEY, {})
    match = None
    if isinstance(state, str) and state:
        for key in list(pending):
            if secrets.compare_digest(key.encode(), state.encode()):
                match = pending.pop(key)
        request.session[SESSION_KEY] = pending
    if not isinstance(match, dict) or time.time() - match.get("started", 0) >= PENDING_LIFETIME:
        raise InvalidState("unknown, used or expired state")
    return Pending(match["property_id"], match["property_name"], match["code_verifier"], match["redirect_uri"])


def finish_authorization(pending: Pending, code: str) -> TokenSet:
    """Exchange the authorization code (with the PKCE verifier) for tokens. One attempt: a code is
    single-use. Raises OAuthError (refused) or httpx.HTTPError (unreachable)."""
    with client(redirect_uri=pending.redirect_uri) as oauth:
        token = oauth.fetch_token(
            settings.GA4_OAUTH_TOKEN_URL,
            grant_type="authorization_code",
            code=code,
            code_verifier=pending.code_verifier,
            redirect_uri=pending.redirect_uri,
        )
    return TokenSet.from_response(token)


def refresh(refresh_token: str) -> TokenSet:
    """One call to the token endpoint with a refresh token. Raises OAuthError or httpx.HTTPError."""
    with client() as oauth:
        token = oauth.refresh_token(settings.GA4_OAUTH_TOKEN_URL, refresh_token=refresh_token)
    return TokenSet.from_response(token)


def configured() -> bool:
    """Whether a Google OAuth client is configured: without one there is nothing to connect with."""
    return bool(settings.GA4_OAUTH_CLIENT_ID)


def revocation_configured() -> bool:
    return bool(settings.GA4_OAUTH_REVOKE_URL)


def revoke(token: str) -> bool:
    """Ask the provider to revoke a token (revoking a refresh token ends the whole grant). Failures
    are logged, never raised: the local tokens are deleted either way."""
    url = settings.GA4_OAUTH_REVOKE_URL
    if not url or not token:
        return False
    try:
        with client() as oauth:
            response = oauth.revoke_token(url, token=token, token_type_hint="refresh_token")
        if response.status_code >= 400:
            logger.warning("GA4 token revocation answered HTTP %s", response.status_code)
            return False
        return True
    except (httpx.HTTPError, OAuthError):
        logger.warning("GA4 token revocation failed", exc_info=True)
        return False

"""Google sign-in, as Supabase Auth does it (GET /auth/v1/authorize?provider=google, /auth/v1/callback):
OpenID Connect's authorization-code flow with PKCE (S256), `state` and `nonce`, with Authlib; the
ID token is checked against the keys Google publishes (its discovery document's `jwks_uri`).

The identity lands where GoTrue puts it: an `auth.identities` row (provider `google`, `provider_id`
the Google `sub`), the user's `raw_user_meta_data` (`full_name`, `avatar_url`, …) and
`raw_app_meta_data.providers`. An email that already has an account is linked to it only when
Google says the email is verified: otherwise whoever controls an unverified Google account could
take over the password account of that address.

Every call to Google is recorded in the audit trail (audit.oauth_client, service `google_signin`).
"""

import secrets
import time
import uuid

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

import audit
from accounts import services, signals
from accounts.models import AuthUser, Identity

OAUTH_SERVICE = "google_signin"
SESSION_KEY = "google_signin_pending"
PENDING_LIFETIME = 600  # seconds a started sign-in may take
DISCOVERY_CACHE_SECONDS = 3600
SCOPES = "openid email profile"
TIMEOUT = 10.0
ID_TOKEN_ALGORITHMS = ["RS256", "ES256"]


class SignInRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def configured() -> bool:
    return bool(settings.GOOGLE_OAUTH_CLIENT_ID)


def _get_json(url: str) -> dict:
    with audit.http_client(service=OAUTH_SERVICE, timeout=TIMEOUT) as client:
        response = client.get(url)
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return body


def discovery() -> dict:
    """Google's OpenID configuration (issuer, endpoints, jwks_uri), cached for an hour."""
    key = f"google-oidc:{settings.GOOGLE_OIDC_DISCOVERY_URL}"
    document = cache.get(key)
    if document is None:
        document = _get_json(settings.GOOGLE_OIDC_DISCOVERY_URL)
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise ValueError(f"the discovery document lacks {name}")
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def _client(**kwargs):
    return audit.oauth_client(
        OAUTH_SERVICE, TIMEOUT,
        client_id=settings.GOOGLE_OAUTH_CLIENT_ID, client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_post", code_challenge_method="S256", scope=SCOPES, **kwargs,
    )


def redirect_uri(request) -> str:
    return settings.GOOGLE_OAUTH_REDIRECT_URI or request.build_absolute_uri(reverse("gotrue:callback"))


def start(request, redirect_to: str, *, to_app: bool = False) -> str:
    """Remember a new sign-in in the session (state, PKCE verifier, nonce, where to go after) and
    return Google's authorization URL. One at a time per browser: a new one replaces the last."""
    try:
        endpoint = discovery()["authorization_endpoint"]
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInRefused("provider_unavailable", "Google sign-in is unavailable right now. Try again later.") from exc
    state, code_verifier, nonce, uri = generate_token(32), generate_token(64), generate_token(32), redirect_uri(request)
    request.session[SESSION_KEY] = {"state": state, "code_verifier": code_verifier, "nonce": nonce, "redirect_uri": uri,
                                    "redirect_to": redirect_to, "to_app": to_app, "started": time.time()}
    with _client(redirect_uri=uri) as oauth:
        url, _ = oauth.create_authorization_url(endpoint, state=state, code_verifier=code_verifier, nonce=nonce)
    return url


def finish(request, state: str | None, code: str | None) -> tuple[dict, str, bool]:
    """Check the callback's state against this browser's pending sign-in, exchange the code (with the
    PKCE verifier) and verify the ID token: (its claims, where to go after, whether that is an app
    that wants the session's tokens rather than a page of this site)."""
    pending = request.session.pop(SESSION_KEY, None)
    if (not isinstance(pending, dict) or not isinstance(state, str) or time.time() - pending.get("started", 0) > PENDING_LIFETIME
            or not secrets.compare_digest(state.encode(), pending["state"].encode())):
        raise SignInRefused("bad_oauth_state", "This Google sign-in is unknown or has expired. Start again.")
    if not isinstance(code, str) or not code:
        raise SignInRefused("bad_oauth_callback", "Google did not send an authorization code.")
    try:
        document = discovery()
        with _client(redirect_uri=pending["redirect_uri"]) as oauth:
            token = oauth.fetch_token(document["token_endpoint"], grant_type="authorization_code", code=code,
                                      code_verifier=pending["code_verifier"], redirect_uri=pending["redirect_uri"])
        claims = verify_id_token(token.get("id_token"), document, pending["nonce"])
    except (OAuthError, httpx.HTTPError, ValueError) as exc:
        raise SignInRefused("provider_error", "Google sign-in failed. Try again.") from exc
    return claims, pending["redirect_to"], bool(pending.get("to_app"))


def verify_id_token(id_token, document: dict, nonce: str) -> dict:
    """The claims of an ID token signed by one of the provider's published keys, for this client,
    from this issuer, not expired, carrying this sign-in's nonce. Raises ValueError otherwise."""
    if not isinstance(id_token, str):
        raise ValueError("the token response has no id_token")
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
        keys = jwt.PyJWKSet.from_dict(_get_json(document["jwks_uri"])).keys
        key = next((k for k in keys if k.key_id == kid), None)
        if key is None:
            raise ValueError("the ID token is signed with a key the provider does not publish")
        claims = jwt.decode(id_token, key, algorithms=ID_TOKEN_ALGORITHMS, audience=settings.GOOGLE_OAUTH_CLIENT_ID,
                            issuer=document["issuer"], options={"require": ["iss", "sub", "aud", "exp", "iat"]}, leeway=30)
    except (jwt.PyJWTError, TypeError, KeyError) as exc:
        raise ValueError(f"invalid ID token: {exc}") from exc
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"].encode(), nonce.encode()):
        raise ValueError("the ID token's nonce is not this sign-in's")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise ValueError("the ID token has no subject")
    return claims


def _metadata(claims: dict) -> dict:
    """What GoTrue keeps of a Google identity, in identity_data and user_metadata."""
    name, picture, email = (value if isinstance(value, str) else None for value in map(claims.get, ("name", "picture", "email")))
    data = {
        "iss": claims["iss"], "sub": claims["sub"], "provider_id": claims["sub"], "email": services.normalize_email(email) or None,
        "email_verified": claims.get("email_verified") in (True, "true"), "phone_verified": False,
        "name": name, "full_name": name, "picture": picture, "avatar_url": picture,
    }
    return {key: value for key, value in data.items() if value is not None}


def user_for(claims: dict) -> AuthUser:
    """The user a verified Google identity signs in: the one it is linked to, else the account of
    its email (linked now, only if Google verified the email), else a new user."""
    data = _metadata(claims)
    email, verified, now = data.get("email"), data["email_verified"], timezone.now()
    with transaction.atomic():
        identity = Identity.objects.select_related("user").select_for_update().filter(provider="google", provider_id=data["sub"]).first()
        if identity is not None:
            user = identity.user
            Identity.objects.filter(pk=identity.pk).update(identity_data={**identity.identity_data, **data}, last_sign_in_at=now, updated_at=now)
        elif not email:
            raise SignInRefused("email_missing", "Google did not share an email address, which an account needs.")
        elif (user := services.find_by_email(email)) is not None:
            if not verified:
                raise SignInRefused("email_not_verified", "An account with this email already exists, and Google has not "
                                    "verified the address: sign in with your password instead.")
            services.add_identity(user, "google", data["sub"], data)
            providers = sorted({*(user.raw_app_meta_data or {}).get("providers", []), "google"})
            user.raw_app_meta_data = {**(user.raw_app_meta_data or {}), "providers": providers}
            if user.email_confirmed_at is None:
                user.email_confirmed_at = now
        else:
            user = AuthUser(
                id=uuid.uuid4(), instance_id=services.INSTANCE_ID, aud="authenticated", role="authenticated", email=email,
                encrypted_password="", email_confirmed_at=now if verified else None,
                raw_app_meta_data={"provider": "google", "providers": ["google"]}, raw_user_meta_data={},
                created_at=now, updated_at=now, is_sso_user=False, is_anonymous=False,
            )
            user.save(force_insert=True)
            services.add_identity(user, "google", data["sub"], data)
            signals.signed_up.send(AuthUser, user=user)
        refusal = user.refusal()
        if refusal:
            raise SignInRefused(f"user_{refusal}", f"This account is {refusal}.")
        user.raw_user_meta_data = {**(user.raw_user_meta_data or {}), **{k: v for k, v in data.items() if k not in ("iss", "sub")}}
        user.last_sign_in_at = user.updated_at = now
        AuthUser.objects.filter(pk=user.pk).update(
            raw_user_meta_data=user.raw_user_meta_data, raw_app_meta_data=user.raw_app_meta_data,
            email_confirmed_at=user.email_confirmed_at, last_sign_in_at=now, updated_at=now)
    signals.logged_in.send(AuthUser, user=user)
    return user

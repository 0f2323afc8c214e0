"""Valid access tokens for GA4 credentials: `get_access_token(credential)`.

A token expiring within `GA4_TOKEN_REFRESH_MARGIN` seconds is refreshed first. The refresh runs on a
connection of its own, in its own short transaction, as the connection's role (like a background
job; the caller already holds the credential):

- `SELECT ... FOR UPDATE` on the credential's row, then the expiry is checked again: of concurrent
  callers for one credential, one refreshes and the others wait and read its result. Providers that
  rotate refresh tokens invalidate the old one, so a second refresh would lose the grant.
- The new tokens (and a rotated refresh token) are committed at once, whatever happens to the
  caller's own transaction afterwards: a rolled-back request cannot throw away a rotated token.
- `invalid_grant` marks the credential `needs_reauth` (its tokens are deleted) and raises
  `NeedsReauth`, after exactly one call. Network errors, timeouts, 429 and 5xx are retried with
  bounded exponential backoff (`GA4_TOKEN_REFRESH_ATTEMPTS`, `GA4_TOKEN_REFRESH_BACKOFF`), then
  `TokenRefreshFailed`. Any other refusal raises `TokenRefreshFailed` at once.
"""

import logging
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

import audit
from chat.ga4 import oauth
from chat.models import GA4Credential

logger = logging.getLogger(__name__)

__all__ = ["get_access_token", "refresh", "refresh_if_needed", "TokenError", "NeedsReauth", "TokenRefreshFailed", "expires_soon"]

RETRYABLE_OAUTH_ERRORS = {"server_error", "temporarily_unavailable"}
MAX_BACKOFF = 30.0  # seconds: one delay is never longer than this


class TokenError(Exception):
    """No access token could be had for a credential."""


class NeedsReauth(TokenError):
    """The grant is gone (revoked, expired, or the credential was revoked here): the user must
    connect the property again. Not retryable."""


class TokenRefreshFailed(TokenError):
    """The provider could not be reached or kept failing: retry later."""


def expires_soon(expiry: datetime | None, *, within: float | None = None) -> bool:
    margin = settings.GA4_TOKEN_REFRESH_MARGIN if within is None else within
    return expiry is None or expiry <= timezone.now() + timedelta(seconds=margin)


def get_access_token(credential: GA4Credential) -> str:
    """A valid access token for `credential`, refreshed first when it expires within the margin.

    Raises NeedsReauth or TokenRefreshFailed. The credential object is updated in place."""
    if credential.status != GA4Credential.Status.ACTIVE:
        raise NeedsReauth(f"credential {credential.pk} is {credential.status}")
    if credential.access_token and not expires_soon(credential.token_expiry):
        return credential.access_token
    return refresh(credential)


def refresh(credential: GA4Credential, *, within: float | None = None) -> str:
    """Refresh `credential` unless, once its row is locked, its access token turns out to be valid
    for more than `within` seconds (default: the margin) — another caller refreshed it meanwhile."""
    return refresh_if_needed(credential, within=within)[0]


def refresh_if_needed(credential: GA4Credential, *, within: float | None = None) -> tuple[str, bool]:
    """`refresh()`, also saying whether this call refreshed (False: the token was fresh already)."""
    columns = ["status", "refresh_token", "access_token", "token_expiry", "last_refreshed_at"]
    fields = {name: GA4Credential._meta.get_field(name) for name in columns}
    failure: TokenError | None = None
    with _own_transaction() as (connection, cursor):
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {GA4Credential._meta.db_table} WHERE id = %s FOR UPDATE",
            [credential.pk],
        )
        row = cursor.fetchone()
        if row is None:
            raise NeedsReauth(f"credential {credential.pk} no longer exists")
        current = {
            name: (fields[name].from_db_value(value, None, connection) if hasattr(fields[name], "from_db_value") else value)
            for name, value in zip(columns, row)
        }
        status = current["status"]
        if status == GA4Credential.Status.ACTIVE and current["access_token"] and not expires_soon(current["token_expiry"], within=within):
            _apply(credential, current)  # refreshed by someone else while we waited for the lock
            return current["access_token"], False
        if status != GA4Credential.Status.ACTIVE:
            _apply(credential, current)
            raise NeedsReauth(f"credential {credential.pk} is {status}")
        if not current["refresh_token"]:
            failure = NeedsReauth(f"credential {credential.pk} has no refresh token")
            current = _needs_reauth(current)
        else:
            try:
                tokens = _call_provider(current["refresh_token"])
            except NeedsReauth as error:
                failure = error
                current = _needs_reauth(current)
            else:
                current.update(
                    access_token=tokens.access_token,
                    # Providers that rotate send a new refresh token; others send none: keep ours.
                    refresh_token=tokens.refresh_token or current["refresh_token"],
                    token_expiry=tokens.expiry,
                    last_refreshed_at=timezone.now(),
                )
        assignments = ", ".join(f"{name} = %s" for name in columns)
        cursor.execute(
            f"UPDATE {GA4Credential._meta.db_table} SET {assignments} WHERE id = %s",
            [fields[name].get_db_prep_save(current[name], connection) for name in columns] + [credential.pk],
        )
    _apply(credential, current)
    if failure is not None:
        logger.warning("GA4 credential %s needs reconnecting: %s", credential.pk, failure)
        audit.record(
            "ga4_credential.needs_reauth",
            resource_type="ga4_credential",
            resource_id=str(credential.pk),
            details={"property_id": credential.property_id, "reason": str(failure)},
            user=credential.user_id,
            durable=True,  # committed already (own connection): the trail must not lose it with the caller's rollback
        )
        raise failure
    return current["access_token"], True


def _needs_reauth(current: dict) -> dict:
    return {**current, "status": GA4Credential.Status.NEEDS_REAUTH, "access_token": None, "refresh_token": None}


def _apply(credential: GA4Credential, current: dict) -> None:
    for name, value in current.items():
        setattr(credential, name, value)


def _call_provider(refresh_token: str) -> oauth.TokenSet:
    attempts = max(1, settings.GA4_TOKEN_REFRESH_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            return oauth.refresh(refresh_token)
        except oauth.OAuthError as error:
            if error.error == "invalid_grant":
                raise NeedsReauth(f"the provider refused the refresh token ({error.error})") from None
            if error.error not in RETRYABLE_OAUTH_ERRORS:
                raise TokenRefreshFailed(f"the provider refused the refresh ({error.error})") from None
            reason = f"provider error {error.error}"
        except httpx.HTTPStatusError as error:
            status = error.response.status_code
            if status < 500 and status != 429:
                raise TokenRefreshFailed(f"the token endpoint answered HTTP {status}") from None
            reason = f"HTTP {status}"
        except httpx.TransportError as error:  # connect/read errors and timeouts
            reason = type(error).__name__
        if attempt < attempts:
            delay = min(settings.GA4_TOKEN_REFRESH_BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF)
            logger.info("GA4 token refresh attempt %d/%d failed (%s); retrying in %.2fs", attempt, attempts, reason, delay)
            time.sleep(delay)
    raise TokenRefreshFailed(f"the token endpoint failed {attempts} times (last: {reason})")


def _worst_case_seconds() -> float:
    """How long one refresh may hold the row lock: every attempt timing out, plus the backoff."""
    attempts = max(1, settings.GA4_TOKEN_REFRESH_ATTEMPTS)
    backoff = sum(min(settings.GA4_TOKEN_REFRESH_BACKOFF * 2**i, MAX_BACKOFF) for i in range(attempts - 1))
    # httpx applies the timeout to connect, write, read and pool phases separately.
    return attempts * 4 * settings.GA4_HTTP_TIMEOUT + backoff


@contextmanager
def _own_transaction():
    """A transaction on a connection of our own (not the caller's), committed when the block ends.
    A caller waiting for the row lock gives up after the longest a refresh can take."""
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        connection.ensure_connection()
        connection.set_autocommit(False)
        try:
            with connection.cursor() as cursor:
                lock_timeout_ms = int((_worst_case_seconds() + 5) * 1000)
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{lock_timeout_ms}ms"])
                yield connection, cursor
        except BaseException:
            connection.rollback()
            raise
        else:
            connection.commit()
        finally:
            connection.set_autocommit(True)
    except DatabaseError as error:
        raise TokenRefreshFailed(f"the credential could not be locked or saved: {error}") from error
    finally:
        connection.close()

"""API keys: `epai_` + 32 url-safe random bytes, shown once, stored as a SHA-256 hash
(core.secrettokens). Keys made by the seed's `regenerate_api_key_for_partner`
(bcrypt through pgcrypto's `crypt`) are still accepted and re-hashed on first use.

Every API request pays for `verify()`, so the lookup is one fixed SQL statement returning only what
authentication needs, sent on psycopg's connection with server-side binding and prepared once per
connection where the database allows it (`DATABASE_PREPARED_STATEMENTS`): no ORM query to compile,
no plan to make per request (bench/apikey).

Authenticating a request (`authenticate()`) also switches the request's transaction to the owner's
identity in that same statement (`LOOKUP_AND_ACT`): when the key is live and its owner may call the
API — decided in SQL, by the same checks `verify()` then makes in Python — it runs the
`set_config(...)` of `core.rls.act_as` with the claims `claims()` gives, so the request needs no
round trip of its own to act as the owner (`core.rls.acting_as`). Should Python still refuse the
key, the switch is undone before anything else runs (`core.rls.stop_acting`).
"""

import re
from datetime import timedelta

import bcrypt
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts import tokens
from accounts.models import AuthUser
from core import rls, secrettokens, statements
from core.throttle import FailureThrottle
from partners.models import LEGACY_ROWS, ApiKey, Partner

PREFIX = "epai_"
LIFETIME = timedelta(days=90)
TOUCH_EVERY = timedelta(minutes=1)
LEGACY_HASH_PREFIXES = ("$2a$", "$2b$", "$2y$")
LEGACY_KEY = re.compile(r"^epai_[A-Za-z0-9+/]{32}$")  # 'epai_' || encode(gen_random_bytes(24), 'base64')


def generate() -> str:
    return secrettokens.generate(PREFIX)


hash_key = secrettokens.hash_secret


def display_prefix(key: str) -> str:
    return secrettokens.display_prefix(key, PREFIX)


class KeyRefused(Exception):
    def __init__(self, reason: str, message: str, api_key: ApiKey | None = None):
        super().__init__(message)
        self.reason, self.message, self.api_key = reason, message, api_key


# The key, its partner and the owner's columns that authentication reads (claims, refusal), by the
# unique index on key_hash. Fixed text: psycopg prepares it once per connection and reuses it.
KEY_FIELDS = statements.in_model_order(ApiKey, {"id", "partner_id", "expires_at", "last_used_at", "revoked_at"})
USER_FIELDS = statements.in_model_order(AuthUser, {"id", "email", "is_anonymous", "deleted_at", "banned_until"})
LOOKUP = f"""
    SELECT {", ".join(f"k.{name}" for name in KEY_FIELDS)}, {", ".join(f"u.{name}" for name in USER_FIELDS)}
    FROM api_keys k JOIN partners p ON p.id = k.partner_id JOIN auth.users u ON u.id = p.user_id
    WHERE k.key_hash = %s"""
TOUCH = "UPDATE api_keys SET last_used_at = %s WHERE id = %s"

# LOOKUP, and in the same statement, when the key is live and its owner may call the API (the checks of
# verify() and AuthUser.refusal(), against the `now` Python checks with), the identity switch of
# core.rls.act_as with the claims claims() makes (the same keys, values and order). The last column
# says whether it switched. set_config(..., true) is local to the transaction: in autocommit it lapses
# with the statement.
LIVE = f"k.revoked_at IS NULL AND k.expires_at > %(now)s AND {tokens.USER_ALLOWED}"
CLAIMS = ("json_build_object('sub', u.id::text, 'role', 'authenticated', 'aud', 'authenticated',"
          " 'email', coalesce(u.email, ''), 'is_anonymous', coalesce(u.is_anonymous, false),"
          " 'partner_id', p.id::text, 'amr', json_build_array(json_build_object('method', 'api_key')))::text")
LOOKUP_AND_ACT = f"""
    SELECT {", ".join(f"k.{name}" for name in KEY_FIELDS)}, {", ".join(f"u.{name}" for name in USER_FIELDS)},
           CASE WHEN {LIVE} THEN {rls.switch_sql(CLAIMS)} ELSE false END
    FROM api_keys k JOIN partners p ON p.id = k.partner_id JOIN auth.users u ON u.id = p.user_id
    WHERE k.key_hash = %(key_hash)s"""


def claims(api_key: ApiKey) -> dict:
    """The claims a request authenticated by `api_key` acts with: the owner's (core.rls.claims_for),
    the partner, and the method. LOOKUP_AND_ACT builds the same in SQL."""
    return {**rls.claims_for(api_key.partner.user), "partner_id": str(api_key.partner_id), "amr": [{"method": "api_key"}]}


def authenticate(key: str) -> ApiKey:
    """verify(), the owner's refusal (banned, deleted), and the switch of the current transaction to
    the owner's identity done by the lookup itself: `api_key.acting` says whether it happened (a
    key found by its legacy bcrypt hash, or a lookup outside a transaction, leaves the switch to
    `core.rls.act_as`). Raises KeyRefused, with the transaction's identity left as it was."""
    try:
        api_key = verify(key, act=True)
        refusal = api_key.partner.user.refusal()
        if refusal:
            raise KeyRefused(f"user_{refusal}", f"The owner of this API key is {refusal}.", api_key)
    except KeyRefused as exc:
        if exc.api_key is not None and getattr(exc.api_key, "acting", False):
            # Python refused what SQL let in (a clock tick between the two checks): undone, so that
            # nothing after this runs as the owner (the refusal's throttle and records included).
            rls.stop_acting()
            exc.api_key.acting = False
        raise
    api_key.acting = api_key.acting and connection.in_atomic_block
    return api_key


def verify(key: str, *, act: bool = False) -> ApiKey:
    """The live key row for `key`, with its partner and the partner's user (only the columns
    authentication reads are loaded; any other is read on first access, as with `.only()`); raises
    KeyRefused with the reason otherwise. `act=True` sends LOOKUP_AND_ACT instead of LOOKUP (see
    authenticate(), which undoes its switch on a refusal) and sets `api_key.acting`."""
    if not key.startswith(PREFIX):
        raise KeyRefused("malformed", "This is not an API key of this service.")
    now = timezone.now()
    api_key = _lookup(hash_key(key), now if act else None)
    if api_key is None and LEGACY_KEY.match(key):
        api_key = _upgrade_legacy(key)
        if api_key is not None:
            api_key.acting = False
    if api_key is None:
        raise KeyRefused("unknown", "Unknown API key.")
    if api_key.revoked_at is not None:
        raise KeyRefused("revoked", "This API key has been revoked.", api_key)
    if api_key.expires_at <= now:
        raise KeyRefused("expired", "This API key has expired: regenerate it.", api_key)
    if api_key.last_used_at is None or now - api_key.last_used_at >= TOUCH_EVERY:
        statements.execute(TOUCH, (now, api_key.pk), prepare=True)
        api_key.last_used_at = now
    return api_key


def _lookup(key_hash: str, act_at=None) -> ApiKey | None:
    """The key row by LOOKUP, or by LOOKUP_AND_ACT with `act_at` as its `now`."""
    if act_at is None:
        row = statements.execute(LOOKUP, (key_hash,), prepare=True, fetch=True)
    else:
        row = statements.execute(LOOKUP_AND_ACT, {"key_hash": key_hash, "now": act_at}, prepare=True, fetch=True)
    if row is None:
        return None
    split, end = len(KEY_FIELDS), len(KEY_FIELDS) + len(USER_FIELDS)
    api_key = statements.loaded(ApiKey, KEY_FIELDS, row[:split])
    user = statements.loaded(AuthUser, USER_FIELDS, row[split:end])
    if act_at is not None:
        api_key.acting = row[end]
    partner = statements.loaded(Partner, ["id", "user_id"], (api_key.partner_id, user.id))
    partner._state.fields_cache["user"] = user
    api_key._state.fields_cache["partner"] = partner
    return api_key


def _upgrade_legacy(key: str) -> ApiKey | None:
    """A key hashed by the seed's SQL: checked against the (few, shrinking) bcrypt rows, then stored
    as SHA-256 so the next request finds it by index.

    An unknown key of that shape costs one bcrypt check per live legacy row, so the checks are
    bounded for the whole service, not per address (addresses are cheap): after `checks` failed
    ones within `window` seconds no more are made until the window passes, and none at all after
    `until` (the end of the migration window: legacy keys must have been regenerated by then)."""
    policy = settings.API_KEY_LEGACY
    now = timezone.now()
    if policy["until"] and now >= policy["until"]:
        return None
    throttle = FailureThrottle({"api-key-legacy-checks": policy["checks"]}, policy["window"])
    if throttle.blocked():
        return None
    legacy = ApiKey.objects.select_related("partner__user").filter(LEGACY_ROWS, revoked_at__isnull=True, expires_at__gt=now)
    for api_key in legacy:
        if api_key.key_hash.startswith(LEGACY_HASH_PREFIXES) and bcrypt.checkpw(key.encode(), api_key.key_hash.encode()):
            api_key.key_hash = hash_key(key)
            api_key.key_prefix = display_prefix(key)
            ApiKey.objects.filter(pk=api_key.pk).update(key_hash=api_key.key_hash, key_prefix=api_key.key_prefix)
            return api_key
    throttle.fail()
    return None

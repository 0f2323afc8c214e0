"""API keys: `epai_` + 32 url-safe random bytes, shown once, stored as a SHA-256 hash.

A 256-bit random key cannot be guessed, so a slow password hash buys nothing; SHA-256 lets the key be
found through a unique index in one lookup. Keys made by the seed's `regenerate_api_key_for_partner`
(bcrypt through pgcrypto's `crypt`) are still accepted and re-hashed on first use.

Every API request pays for `verify()`, so the lookup is one fixed SQL statement returning only what
authentication needs, sent on psycopg's connection with server-side binding and prepared once per
connection where the database allows it (`DATABASE_PREPARED_STATEMENTS`): no ORM query to compile,
no plan to make per request (bench/apikey).
"""

import hashlib
import re
import secrets
from datetime import timedelta

import bcrypt
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models.base import ModelState
from django.utils import timezone

from accounts.models import AuthUser
from partners import db
from partners.models import LEGACY_ROWS, ApiKey, Partner

PREFIX = "epai_"
LIFETIME = timedelta(days=90)
TOUCH_EVERY = timedelta(minutes=1)
LEGACY_HASH_PREFIXES = ("$2a$", "$2b$", "$2y$")
LEGACY_KEY = re.compile(r"^epai_[A-Za-z0-9+/]{32}$")  # 'epai_' || encode(gen_random_bytes(24), 'base64')


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(PREFIX) + 6]


class KeyRefused(Exception):
    def __init__(self, reason: str, message: str, api_key: ApiKey | None = None):
        super().__init__(message)
        self.reason, self.message, self.api_key = reason, message, api_key


def _in_model_order(model, names: set[str]) -> list[str]:
    """`names` in the order of the model's columns, the order `Model.from_db` takes values in."""
    return [field.attname for field in model._meta.concrete_fields if field.attname in names]


# The key, its partner and the owner's columns that authentication reads (claims, refusal), by the
# unique index on key_hash. Fixed text: psycopg prepares it once per connection and reuses it.
KEY_FIELDS = _in_model_order(ApiKey, {"id", "partner_id", "expires_at", "last_used_at", "revoked_at"})
USER_FIELDS = _in_model_order(AuthUser, {"id", "email", "is_anonymous", "deleted_at", "banned_until"})
LOOKUP = f"""
    SELECT {", ".join(f"k.{name}" for name in KEY_FIELDS)}, {", ".join(f"u.{name}" for name in USER_FIELDS)}
    FROM api_keys k JOIN partners p ON p.id = k.partner_id JOIN auth.users u ON u.id = p.user_id
    WHERE k.key_hash = %s"""
TOUCH = "UPDATE api_keys SET last_used_at = %s WHERE id = %s"


def verify(key: str) -> ApiKey:
    """The live key row for `key`, with its partner and the partner's user (only the columns
    authentication reads are loaded; any other is read on first access, as with `.only()`); raises
    KeyRefused with the reason otherwise."""
    if not key.startswith(PREFIX):
        raise KeyRefused("malformed", "This is not an API key of this service.")
    api_key = _lookup(hash_key(key))
    if api_key is None and LEGACY_KEY.match(key):
        api_key = _upgrade_legacy(key)
    if api_key is None:
        raise KeyRefused("unknown", "Unknown API key.")
    now = timezone.now()
    if api_key.revoked_at is not None:
        raise KeyRefused("revoked", "This API key has been revoked.", api_key)
    if api_key.expires_at <= now:
        raise KeyRefused("expired", "This API key has expired: regenerate it.", api_key)
    if api_key.last_used_at is None or now - api_key.last_used_at >= TOUCH_EVERY:
        db.execute(TOUCH, (now, api_key.pk), prepare=True)
        api_key.last_used_at = now
    return api_key


def _lookup(key_hash: str) -> ApiKey | None:
    row = db.execute(LOOKUP, (key_hash,), prepare=True, fetch=True)
    if row is None:
        return None
    split = len(KEY_FIELDS)
    api_key = _loaded(ApiKey, KEY_FIELDS, row[:split])
    user = _loaded(AuthUser, USER_FIELDS, row[split:])
    partner = _loaded(Partner, ["id", "user_id"], (api_key.partner_id, user.id))
    partner._state.fields_cache["user"] = user
    api_key._state.fields_cache["partner"] = partner
    return api_key


def _loaded(model, names: list[str], values) -> models.Model:
    """The instance `model.from_db()` makes of these columns (the other fields deferred: read on
    first access; `_state` of a saved row), without running `Model.__init__`, which is most of the
    cost of three instances (≈ 17 of 20 µs) in a lookup whose budget is 100 µs. No model signal is
    connected for these three models (`pre_init`/`post_init`)."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values))
    state = instance._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    return instance


def _upgrade_legacy(key: str) -> ApiKey | None:
    """A key hashed by the seed's SQL: checked against the (few, shrinking) bcrypt rows, then stored
    as SHA-256 so the next request finds it by index."""
    legacy = ApiKey.objects.select_related("partner__user").filter(LEGACY_ROWS, revoked_at__isnull=True, expires_at__gt=timezone.now())
    for api_key in legacy:
        if api_key.key_hash.startswith(LEGACY_HASH_PREFIXES) and bcrypt.checkpw(key.encode(), api_key.key_hash.encode()):
            api_key.key_hash = hash_key(key)
            api_key.key_prefix = display_prefix(key)
            ApiKey.objects.filter(pk=api_key.pk).update(key_hash=api_key.key_hash, key_prefix=api_key.key_prefix)
            return api_key
    return None

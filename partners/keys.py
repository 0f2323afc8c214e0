"""API keys: `epai_` + 32 url-safe random bytes, shown once, stored as a SHA-256 hash.

A 256-bit random key cannot be guessed, so a slow password hash buys nothing; SHA-256 lets the key be
found through a unique index in one lookup. Keys made by the seed's `regenerate_api_key_for_partner`
(bcrypt through pgcrypto's `crypt`) are still accepted and re-hashed on first use.
"""

import hashlib
import re
import secrets
from datetime import timedelta

import bcrypt
from django.utils import timezone

from partners.models import LEGACY_ROWS, ApiKey

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




def verify(key: str) -> ApiKey:
    """The live key row for `key`, with its partner; raises KeyRefused with the reason otherwise."""
    if not key.startswith(PREFIX):
        raise KeyRefused("malformed", "This is not an API key of this service.")
    api_key = ApiKey.objects.select_related("partner__user").filter(key_hash=hash_key(key)).first()
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
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


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

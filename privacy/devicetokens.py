"""Device tokens: the desktop agent's credential (`pgd_` + 32 random bytes, core.secrettokens),
made and revoked by the user on the privacy page, stored as a SHA-256 hash."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from core import secrettokens
from privacy.models import DeviceToken

PREFIX = "pgd_"
TOUCH_EVERY = timedelta(minutes=1)

# Run as the connection role, before the request switches to the user (RLS on the table, not forced).
LOOKUP = """
    SELECT t.id, t.user_id, t.last_used_at, t.revoked_at FROM privacy_device_tokens t WHERE t.token_hash = %s"""
TOUCH = "UPDATE privacy_device_tokens SET last_used_at = %s WHERE id = %s"


def create(user, name: str) -> tuple[DeviceToken, str]:
    """A new token for `user`; the plaintext is returned here, once."""
    plaintext = secrettokens.generate(PREFIX)
    token = DeviceToken.objects.create(user=user, name=name, token_hash=secrettokens.hash_secret(plaintext),
                                       token_prefix=secrettokens.display_prefix(plaintext, PREFIX))
    return token, plaintext


def verify(plaintext: str):
    """(token id, user id) of a live token, or None."""
    if not plaintext.startswith(PREFIX):
        return None
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP, [secrettokens.hash_secret(plaintext)])
        row = cursor.fetchone()
        if row is None or row[3] is not None:
            return None
        now = timezone.now()
        if row[2] is None or now - row[2] >= TOUCH_EVERY:
            cursor.execute(TOUCH, [now, row[0]])
    return row[0], row[1]

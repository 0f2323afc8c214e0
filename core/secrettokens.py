"""Bearer secrets made here (partner API keys, device tokens): a prefix + 32 url-safe random bytes,
shown once, stored only as a SHA-256 hash.

A 256-bit random secret cannot be guessed, so a slow password hash buys nothing; SHA-256 lets the
secret be found through a unique index in one lookup.
"""

import hashlib
import secrets

SHOWN_CHARACTERS = 6  # of the random part, after the prefix: enough to tell two secrets apart in a list


def generate(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str, prefix: str) -> str:
    return secret[: len(prefix) + SHOWN_CHARACTERS]

"""The project's API keys as Supabase hands them out: the `anon` key (public, in every client) and the
`service_role` key (secret), JWTs signed with the project's JWT secret. Clients send one in the
`apikey` header; it names the project, not a user."""

import time

import jwt
from django.conf import settings

ROLES = ("anon", "service_role")
LIFETIME = 10 * 365 * 24 * 3600  # Supabase's keys run for ten years


def mint(role: str = "anon") -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    now = int(time.time())
    claims = {"iss": "supabase", "ref": "local", "role": role, "iat": now, "exp": now + LIFETIME}
    return jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm="HS256")


def role_of(key: str) -> str | None:
    """The role of a valid project key, or None (unsigned, expired, a user's token, not a JWT)."""
    if not key or not settings.SUPABASE_JWT_SECRET:
        return None
    try:
        claims = jwt.decode(key, settings.SUPABASE_JWT_SECRET, algorithms=["HS256"], options={"require": ["exp", "role"], "verify_aud": False})
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        return None
    role = claims.get("role")
    return role if role in ROLES and "sub" not in claims else None

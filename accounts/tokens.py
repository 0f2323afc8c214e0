"""Supabase access tokens: verify (HS256 with the project's secret, ES256/RS256 against its JWKS)
and issue (for the GoTrue API of `accounts.gotrue`, so the API works without a Supabase project)."""

import json
import re
import time
from functools import lru_cache
from pathlib import Path

import jwt
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import AuthSession, AuthUser
from core import jsontext, rls, statements

AUDIENCE = "authenticated"
ASYMMETRIC = ("ES256", "RS256")
# What an API request reads of its user: refusal() deleted_at and banned_until, the MFA requirement
# (accounts.permissions) raw_app_meta_data, views the pk, claims_for() and __str__ the rest. Any
# other column loads on first use.
USER_FIELDS = statements.in_model_order(
    AuthUser, {"id", "email", "phone", "is_anonymous", "deleted_at", "banned_until", "raw_app_meta_data"})
# The user may call the API at %(now)s (AuthUser.refusal() in SQL).
USER_ALLOWED = "u.deleted_at IS NULL AND (u.banned_until IS NULL OR u.banned_until <= %(now)s)"
# The token's user by its id, whether the token's session (if it names one) is live — not signed
# out, not past not_after, as GoTrue decides it — and, when %(claims)s is given and neither the
# session nor the user is refused, the switch of core.rls.act_as to those claims. Fixed text:
# prepared once per connection (core.statements), no ORM query to compile per request.
LOOKUP = f"""
    SELECT {", ".join(f"u.{name}" for name in USER_FIELDS)}, s.live,
           CASE WHEN %(claims)s::text IS NOT NULL AND s.live AND {USER_ALLOWED}
                THEN {rls.switch_sql("%(claims)s::text")} ELSE false END
    FROM auth.users u CROSS JOIN LATERAL (
        SELECT %(session)s::uuid IS NULL OR EXISTS (
            SELECT FROM auth.sessions WHERE id = %(session)s::uuid AND user_id = u.id
                AND (not_after IS NULL OR not_after > statement_timestamp()))) s(live)
    WHERE u.id = %(sub)s::uuid"""
LEEWAY = 5  # seconds of clock skew allowed on `exp`, `nbf` and `iat`
# Tokens verified by this process, kept until evicted (least recently used first): a client sends
# the same token with every request for its lifetime, and checking its signature and claims again
# costs more than the rest of authenticating it. As PostgREST's JWT cache: the key is the token's
# exact text with the keys it was checked against (so a changed secret or JWKS checks again), and
# `exp` is checked on every use. Refused tokens are not kept.
VERIFIED_TOKENS = 1024


class InvalidToken(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@lru_cache(maxsize=4)
def _jwks(source: str) -> dict:
    text = source if source.lstrip().startswith("{") else Path(source).read_text()
    keys = {}
    for jwk in json.loads(text).get("keys", []):
        key = jwt.PyJWK(jwk)
        keys[jwk.get("kid")] = key
    return keys


def _verification_key(token: str, secret: str, jwks: str):
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidToken("invalid_token", "The access token is malformed.") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or not isinstance(kid, (str, type(None))) or "crit" in header:
        # No extension is understood here, so a token that marks one critical is refused (RFC 7515 4.1.11).
        raise InvalidToken("invalid_token", "The access token's header is not one this server accepts.")
    if alg == "HS256":
        if not secret:
            raise InvalidToken("invalid_token", "HS256 tokens are not accepted: no SUPABASE_JWT_SECRET is set.")
        return secret, alg
    if alg in ASYMMETRIC:
        keys = _jwks(jwks) if jwks else {}
        key = keys.get(kid) or (next(iter(keys.values())) if len(keys) == 1 and kid is None else None)
        if key is None:
            raise InvalidToken("invalid_token", "The access token is signed with a key this server does not know.")
        return key, alg
    raise InvalidToken("invalid_token", f"Unsupported signing algorithm {alg[:20]!r}.")


def verify(token: str) -> dict:
    """Claims of a valid token; raises InvalidToken with a clear reason otherwise. Every problem is an
    InvalidToken (a 401), whatever the header, the payload or the signature hold."""
    claims = _verified(token, settings.SUPABASE_JWT_SECRET, settings.SUPABASE_JWKS)
    if int(claims["exp"]) <= time.time() - LEEWAY:  # as PyJWT decides it
        raise InvalidToken("token_expired", "The access token has expired.")
    return dict(claims)  # the caller's own (the cached one's nested values are shared: read them only)


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(token: str, secret: str, jwks: str) -> dict:
    key, alg = _verification_key(token, secret, jwks)
    try:
        claims = jwt.decode(
            token, key, algorithms=[alg], audience=AUDIENCE, options={"require": ["exp", "sub", "aud"]}, leeway=LEEWAY
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token_expired", "The access token has expired.") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidToken("invalid_audience", f"The access token's audience must be {AUDIENCE!r}.") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidToken("invalid_token", f"The access token lacks the {exc.claim!r} claim.") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidToken("invalid_token", "The access token's signature is invalid.") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("invalid_token", f"The access token is invalid: {exc}.") from exc
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidToken("invalid_token", "The access token is malformed.") from exc
    # The claims go to PostgreSQL as JSON text (request.jwt.claims): what it cannot hold is refused.
    problem = jsontext.unstorable_text(claims)
    try:
        json.dumps(claims, allow_nan=False)
    except ValueError:
        problem = "a number that is not finite"
    if problem:
        raise InvalidToken("invalid_token", f"The access token's claims hold {problem}.")
    return claims


CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def user_for(claims: dict, *, act: bool = False) -> AuthUser:
    """The live user of verified `claims` (and of their live session, if any), by one fixed
    statement (LOOKUP). With `act=True` that statement also switches the current transaction to
    `claims` when it finds nothing to refuse, and `user.acting` says whether it did (see
    `core.rls.acting_as`); a refusal leaves the transaction's identity as it was."""
    # The canonical form only: Python also reads 'urn:uuid:…', braces and bare hex as a uuid, but
    # auth.uid() casts the claim in SQL, where they are errors.
    sub = claims["sub"]
    if not isinstance(sub, str) or not CANONICAL_UUID.fullmatch(sub):
        raise InvalidToken("invalid_token", "The access token's subject is not a user id.")
    session_id = claims.get("session_id")
    if session_id is not None and (not isinstance(session_id, str) or not CANONICAL_UUID.fullmatch(session_id)):
        raise InvalidToken("invalid_token", "The access token's session_id is not a session id.")
    now = timezone.now()
    switch = rls.claims_text(claims) if act and connection.in_atomic_block else None  # lapses with the statement otherwise
    row = statements.execute(LOOKUP, {"sub": sub, "session": session_id, "now": now, "claims": switch}, prepare=True, fetch=True)
    if row is None:
        raise InvalidToken("user_not_found", "The user of this access token does not exist.")
    user = statements.loaded(AuthUser, USER_FIELDS, row[:-2])
    user.acting = bool(row[-1])
    try:
        if not row[-2]:
            raise InvalidToken("session_not_found", "The session of this access token has ended (signed out or revoked).")
        refusal = user.refusal()
        if refusal:
            raise InvalidToken(f"user_{refusal}", f"The user of this access token is {refusal}.")
    except InvalidToken:
        if user.acting:  # Python refused what SQL let in (a clock tick between the two checks)
            rls.stop_acting()
            user.acting = False
        raise
    return user


def issue(user: AuthUser, session: AuthSession | None = None, amr: list | None = None) -> dict:
    """An access token with the claims Supabase Auth puts in its own: `session_id`, `aal` and `amr`
    of `session` (accounts.sessions); without one, a token of no session (no `session_id` claim)."""
    now = int(time.time())
    lifetime = int(settings.ACCESS_TOKEN_LIFETIME.total_seconds())
    claims = {
        "iss": settings.SUPABASE_URL.rstrip("/") + "/auth/v1",
        "sub": str(user.id),
        "aud": AUDIENCE,
        "exp": now + lifetime,
        "iat": now,
        "email": user.email or "",
        "phone": user.phone or "",
        "app_metadata": user.raw_app_meta_data or {},
        "user_metadata": user.raw_user_meta_data or {},
        "role": "authenticated",
        "aal": (session.aal if session is not None else None) or "aal1",
        "amr": amr if amr is not None else [{"method": "password", "timestamp": now}],
        "is_anonymous": bool(user.is_anonymous),
    }
    if session is not None:
        claims["session_id"] = str(session.pk)
    token = jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    return {"access_token": token, "token_type": "bearer", "expires_in": lifetime, "expires_at": now + lifetime, "user": user}

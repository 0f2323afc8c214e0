"""Supabase Auth's sessions: an `auth.sessions` row per sign-in (page or API), its refresh tokens in
`auth.refresh_tokens`, and how it was authenticated in `auth.mfa_amr_claims`. Written as the
connection role, as GoTrue writes them.

Refresh tokens rotate as GoTrue rotates them: each is exchanged once; the previous one replayed within
`REFRESH_TOKEN_REUSE_INTERVAL` seconds (a client that lost the answer) gets the session's current
token again; a used token replayed later is taken for a stolen one and the whole session ends.

A refresh token is never stored: `token` holds its SHA-256 digest (`parent` the digest of the one it
replaced), so a database dump replays nothing. The token itself is an HMAC, under a key derived from
SECRET_KEY, of its session and its parent's digest: unique, unguessable, and the server can give the
current one again without keeping it.
"""

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import signals, tokens
from accounts.models import AuthSession, AuthUser, MfaAmrClaim, RefreshToken
from core.netaddr import client_ip
from core.throttle import FailureThrottle

INSTANCE_ID = uuid.UUID(int=0)


class GrantError(Exception):
    """A refused grant, in GoTrue's terms (HTTP status, error_code, msg)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Grant:
    """What a token response says: the access token and the refresh token of one session."""

    user: AuthUser
    session: AuthSession
    access_token: str
    expires_in: int
    expires_at: int
    refresh_token: str


def active(queryset=None):
    """Sessions not past `not_after` (a deleted session is simply absent)."""
    queryset = AuthSession.objects.all() if queryset is None else queryset
    return queryset.filter(Q(not_after__isnull=True) | Q(not_after__gt=timezone.now()))


def start(user: AuthUser, request=None, method: str = "password") -> AuthSession:
    """A new `auth.sessions` row at `aal1`, authenticated by `method` (its first amr claim)."""
    now = timezone.now()
    meta = getattr(request, "META", {})
    session = AuthSession.objects.create(
        id=uuid.uuid4(), user=user, created_at=now, updated_at=now, aal="aal1",
        user_agent=meta.get("HTTP_USER_AGENT", "")[:1000] or None, ip=(client_ip(request) if request else "") or None,
    )
    add_amr(session, method)
    return session


def add_amr(session: AuthSession, method: str) -> None:
    now = timezone.now()
    updated = MfaAmrClaim.objects.filter(session=session, authentication_method=method).update(updated_at=now)
    if not updated:
        MfaAmrClaim.objects.create(id=uuid.uuid4(), session=session, authentication_method=method, created_at=now, updated_at=now)


def end(session_id) -> None:
    """Sign a session out for good: its row goes, and with it (ON DELETE CASCADE) its refresh tokens
    and amr claims, so neither its cookie, its access tokens nor its refresh tokens work again."""
    try:
        AuthSession.objects.filter(pk=uuid.UUID(str(session_id))).delete()
    except ValueError:
        pass  # not an id: nothing to end


def end_for_user(user: AuthUser, scope: str, current_session_id=None) -> None:
    """GoTrue's logout scopes: `global` (every session of the user), `local` (this one), `others`."""
    sessions = AuthSession.objects.filter(user=user)
    if scope == "local" and current_session_id:
        sessions = sessions.filter(pk=current_session_id)
    elif scope == "others" and current_session_id:
        sessions = sessions.exclude(pk=current_session_id)
    sessions.delete()


def grant(user: AuthUser, session: AuthSession, grant_type: str = "password") -> Grant:
    """A token response for `session`: a fresh refresh token (the child of the session's current one,
    which is revoked) and an access token carrying the session's `aal` and `amr`."""
    current = _current(session)
    if current is not None:
        RefreshToken.objects.filter(pk=current.pk).update(revoked=True, updated_at=timezone.now())
    refresh_token = _issue_refresh_token(user, session, parent=current.token if current else None)
    return _respond(user, session, refresh_token, grant_type)


def refresh(token: str, request) -> Grant:
    """The refresh_token grant. Raises GrantError (GoTrue's 400s) for a token it cannot take."""
    throttle = FailureThrottle({f"refresh-fail-ip:{client_ip(request)}": settings.LOGIN_THROTTLE["attempts"] * 4},
                               settings.LOGIN_THROTTLE["window"])
    if throttle.blocked():
        raise GrantError(429, "over_request_rate_limit", "Request rate limit reached")
    outcome = _refresh(token)
    if isinstance(outcome, GrantError):  # committed first: a theft's revocation must stand
        throttle.fail()
        raise outcome
    return outcome


def _refresh(token: str):
    with transaction.atomic():
        row = RefreshToken.objects.select_for_update().filter(token=_digest(token)).first()
        if row is None:
            return GrantError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
        session = active(AuthSession.objects.select_for_update()).filter(pk=row.session_id).first()
        if session is None:
            if AuthSession.objects.filter(pk=row.session_id).exists():
                return GrantError(400, "session_expired", "Invalid Refresh Token: Session Expired")
            return GrantError(400, "session_not_found", "Invalid Refresh Token: No Valid Session Found")
        user = session.user
        if user.refusal():
            return GrantError(400, "user_banned", "Invalid Refresh Token: User Banned")
        if not row.revoked:
            RefreshToken.objects.filter(pk=row.pk).update(revoked=True, updated_at=timezone.now())
            fresh = _issue_refresh_token(user, session, parent=row.token)
        else:
            current = _current(session)
            reusable = row.updated_at + timedelta(seconds=settings.REFRESH_TOKEN_REUSE_INTERVAL) >= timezone.now()
            if not reusable or current is None:
                # A used token, replayed late: whoever holds it may have stolen it. End the session.
                session.delete()
                return GrantError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")
            fresh = _token_value(session, current.parent)  # the client lost our last answer: say it again
        AuthSession.objects.filter(pk=session.pk).update(
            refreshed_at=timezone.now(), updated_at=timezone.now())
        return _respond(user, session, fresh, "refresh_token")


def _respond(user: AuthUser, session: AuthSession, refresh_token: str, grant_type: str) -> Grant:
    amr = [{"method": method, "timestamp": int(at.timestamp())} for method, at in
           MfaAmrClaim.objects.filter(session=session).order_by("-updated_at").values_list("authentication_method", "updated_at")]
    issued = tokens.issue(user, session=session, amr=amr)
    signals.token_issued.send(AuthUser, user=user, expires_in=issued["expires_in"], grant_type=grant_type)
    return Grant(user=user, session=session, access_token=issued["access_token"], expires_in=issued["expires_in"],
                 expires_at=issued["expires_at"], refresh_token=refresh_token)


def _current(session: AuthSession) -> RefreshToken | None:
    return RefreshToken.objects.filter(session=session, revoked=False).order_by("-id").first()


def _issue_refresh_token(user: AuthUser, session: AuthSession, parent: str | None) -> str:
    value = _token_value(session, parent)
    now = timezone.now()
    RefreshToken.objects.create(instance_id=INSTANCE_ID, token=_digest(value), user_id=str(user.id), revoked=False,
                                created_at=now, updated_at=now, parent=parent, session=session)
    return value


def _token_value(session: AuthSession, parent: str | None) -> str:
    mac = salted_hmac("accounts.sessions.refresh_token", f"{session.pk}:{parent or ''}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()

"""TOTP multi-factor authentication as Supabase Auth does it (internal/api/mfa.go): enroll a factor
(secret, otpauth:// URI, QR code as SVG), challenge it, verify a code against the challenge — which
lifts the session to `aal2` — and unenroll.

`auth.mfa_factors.secret` holds the TOTP seed as GoTrue writes it (without its optional database
encryption), so Supabase Auth reading the same row verifies the same codes; it never leaves the
server except in the enrolment answer, shown once.
"""

import io
import uuid
from datetime import timedelta

import pyotp
import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import sessions
from accounts.models import AuthSession, AuthUser, MfaChallenge, MfaFactor
from core.throttle import FailureThrottle

MAX_VERIFIED_FACTORS = 10  # GoTrue's GOTRUE_MFA_MAX_VERIFIED_FACTORS default
CHALLENGE_LIFETIME = timedelta(seconds=300)  # GoTrue's GOTRUE_MFA_CHALLENGE_EXPIRY_DURATION default


class MFAError(sessions.GrantError):
    pass


def verified_factors(user: AuthUser):
    return MfaFactor.objects.filter(user=user, status="verified")


def enroll(user: AuthUser, session_aal: str, friendly_name: str, issuer: str) -> tuple[MfaFactor, dict]:
    """A new unverified TOTP factor and what the user's authenticator needs: {qr_code, secret, uri}."""
    verified = verified_factors(user).count()
    if verified >= MAX_VERIFIED_FACTORS:
        raise MFAError(422, "too_many_enrolled_mfa_factors", "Maximum number of verified factors reached, unenroll to continue")
    if verified and session_aal != "aal2":
        raise MFAError(403, "insufficient_aal", "AAL2 required to enroll a new factor")
    secret = pyotp.random_base32(length=32)
    now = timezone.now()
    factor = MfaFactor(id=uuid.uuid4(), user=user, friendly_name=friendly_name, factor_type="totp", status="unverified",
                       created_at=now, updated_at=now, secret=secret)
    try:
        with transaction.atomic():
            factor.save(force_insert=True)
    except IntegrityError as exc:  # mfa_factors_user_friendly_name_unique
        raise MFAError(422, "mfa_factor_name_conflict",
                       f"A factor with the friendly name \"{friendly_name}\" for this user already exists") from exc
    return factor, provisioning(user, factor, issuer)


def provisioning(user: AuthUser, factor: MfaFactor, issuer: str) -> dict:
    """What an authenticator app needs to add `factor`: {qr_code (SVG), secret, uri}."""
    uri = pyotp.TOTP(factor.secret).provisioning_uri(name=user.email or str(user.id), issuer_name=issuer)
    svg = io.BytesIO()
    segno.make(uri, error="m").save(svg, kind="svg", xmldecl=False, scale=4, svgclass=None, lineclass=None)
    return {"qr_code": svg.getvalue().decode(), "secret": factor.secret, "uri": uri}


def factor_of(user: AuthUser, factor_id) -> MfaFactor:
    factor = MfaFactor.objects.filter(user=user, pk=factor_id).first()
    if factor is None:
        raise MFAError(404, "mfa_factor_not_found", "Factor not found")
    return factor


def challenge(user: AuthUser, factor_id, ip: str) -> MfaChallenge:
    factor = factor_of(user, factor_id)
    now = timezone.now()
    MfaFactor.objects.filter(pk=factor.pk).update(last_challenged_at=now)
    return MfaChallenge.objects.create(id=uuid.uuid4(), factor=factor, created_at=now, ip_address=ip or "0.0.0.0")


def check_code(factor: MfaFactor, code: str) -> None:
    """Raises unless `code` is the factor's current TOTP (or the one 30 s either side). Failures are
    limited per factor: a six-digit code cannot be guessed by trying."""
    throttle = FailureThrottle({f"mfa-verify:{factor.pk}": settings.MFA_VERIFY_THROTTLE["attempts"]},
                               settings.MFA_VERIFY_THROTTLE["window"])
    if throttle.blocked():
        raise MFAError(429, "over_request_rate_limit", "Too many verification attempts for this factor. Try again later.")
    if not (isinstance(code, str) and code.isdigit() and len(code) == 6 and pyotp.TOTP(factor.secret).verify(code, valid_window=1)):
        throttle.fail()
        raise MFAError(422, "mfa_verification_failed", "Invalid TOTP code entered")


def verify(user: AuthUser, session: AuthSession, factor_id, challenge_id, code: str, ip: str) -> sessions.Grant:
    """Check `code` against a live challenge of the factor; the session becomes `aal2`."""
    factor = factor_of(user, factor_id)
    found = MfaChallenge.objects.select_for_update().filter(pk=challenge_id, factor=factor, verified_at__isnull=True).first()
    if found is None:
        raise MFAError(422, "mfa_factor_not_found", "MFA factor with the provided challenge ID not found")
    if str(found.ip_address) != (ip or "0.0.0.0"):
        raise MFAError(422, "mfa_ip_address_mismatch", "Challenge and verify IP addresses mismatch.")
    if found.created_at + CHALLENGE_LIFETIME < timezone.now():
        found.delete()
        raise MFAError(422, "mfa_challenge_expired",
                       f"MFA challenge {found.pk} has expired, verify against another challenge or create a new challenge.")
    check_code(factor, code)
    MfaChallenge.objects.filter(pk=found.pk).update(verified_at=timezone.now())
    raise_to_aal2(session, factor)
    return sessions.grant(user, session, grant_type="mfa_totp")


def confirm(user: AuthUser, factor: MfaFactor, code: str, ip: str) -> None:
    """The pages' verify: a challenge of `factor` answered at once with `code` (throttled per factor
    as the API's verify). The caller then raises its session (raise_to_aal2)."""
    found = challenge(user, factor.pk, ip)
    check_code(factor, code)
    MfaChallenge.objects.filter(pk=found.pk).update(verified_at=timezone.now())


def raise_to_aal2(session: AuthSession, factor: MfaFactor) -> None:
    """After a verified code: the factor is verified (other unverified ones go, as GoTrue does) and
    the session is at `aal2` with a `totp` amr claim."""
    now = timezone.now()
    if factor.status != "verified":
        MfaFactor.objects.filter(pk=factor.pk).update(status="verified", updated_at=now)
        MfaFactor.objects.filter(user_id=factor.user_id, status="unverified").exclude(pk=factor.pk).delete()
        factor.status = "verified"
    AuthSession.objects.filter(pk=session.pk).update(aal="aal2", factor_id=factor.pk, updated_at=now)
    session.aal, session.factor_id = "aal2", factor.pk
    sessions.add_amr(session, "totp")


def unenroll(user: AuthUser, session_aal: str, factor_id) -> uuid.UUID:
    factor = factor_of(user, factor_id)
    if factor.status == "verified" and session_aal != "aal2":
        raise MFAError(403, "insufficient_aal", "AAL2 required to unenroll verified factor")
    if factor.status == "verified" and required(user) and verified_factors(user).count() == 1:
        raise MFAError(422, "mfa_required", "MFA is required for this account: turn the requirement off before removing its last factor")
    MfaFactor.objects.filter(pk=factor.pk).delete()
    return factor.pk


# A user may require MFA for themselves: `raw_app_meta_data.mfa_required`, which only the server
# writes (GoTrue's PUT /user changes user_metadata, never app_metadata). The pages and the API then
# refuse `aal1` sessions (satisfied()), and restrictive RLS policies (public.mfa_satisfied(),
# accounts migration 0005) refuse them on the sensitive tables.
REQUIRED_KEY = "mfa_required"


def required(user: AuthUser) -> bool:
    return (user.raw_app_meta_data or {}).get(REQUIRED_KEY) is True


def satisfied(user: AuthUser, aal: str | None) -> bool:
    """Whether a session at `aal` may act for `user`: the application's half of the requirement."""
    return aal == "aal2" or not required(user)


def set_required(user: AuthUser, session_aal: str, on: bool) -> None:
    """Turn the requirement on or off; either needs an `aal2` session (off, or the requirement
    would be one click away from anyone holding a password), and on needs a verified factor."""
    if session_aal != "aal2":
        raise MFAError(403, "insufficient_aal", "Verify a code from your authenticator app first")
    if on and not verified_factors(user).exists():
        raise MFAError(422, "mfa_factor_not_found", "Enroll an authenticator app before requiring it")
    metadata = {**(user.raw_app_meta_data or {})}
    if on:
        metadata[REQUIRED_KEY] = True
    else:
        metadata.pop(REQUIRED_KEY, None)
    AuthUser.objects.filter(pk=user.pk).update(raw_app_meta_data=metadata, updated_at=timezone.now())
    user.raw_app_meta_data = metadata


def page_refusal(request):
    """core.pages refusal: a user who requires MFA, on an `aal1` page session, completes the code
    step first (and comes back)."""
    from urllib.parse import urlencode

    from django.shortcuts import redirect
    from django.urls import reverse

    session = getattr(request, "auth_session", None)
    if satisfied(request.end_user, session.aal if session is not None else None):
        return None
    return redirect(reverse("accounts:login-mfa") + "?" + urlencode({"next": request.get_full_path()}))

"""Account → Security: the user's sessions (revoke one, sign out everywhere), TOTP enrolment and
removal, and the user's own MFA requirement.

These pages read and write Supabase Auth's tables, which the `authenticated` role cannot reach, so
they run as the connection role (`without_rls`), as GoTrue does, every query scoped to the user."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import mfa, sessions, signals
from accounts.middleware import sign_out_session
from accounts.models import AuthSession, MfaFactor
from core.middleware import without_rls
from core.netaddr import client_ip
from core.pages import end_user_required
from core.useragent import browser_label


def _context(request, **extra) -> dict:
    user, current = request.end_user, request.auth_session
    rows = list(sessions.active(AuthSession.objects.filter(user=user)).order_by("-created_at"))
    for row in rows:
        row.device = browser_label(row.user_agent) or "Unknown device"
        row.last_seen = row.refreshed_at or row.updated_at
        row.is_current = current is not None and row.pk == current.pk
    return {
        "sessions": rows,
        "factors": MfaFactor.objects.filter(user=user, status="verified").order_by("created_at"),
        "mfa_required": mfa.required(user),
        "aal": current.aal if current is not None else "aal1",
        **extra,
    }


def _factor(request, factor_id) -> MfaFactor:
    try:
        return mfa.factor_of(request.end_user, uuid.UUID(str(factor_id)))
    except (ValueError, mfa.MFAError) as exc:
        raise Http404("No such factor.") from exc


@without_rls
@end_user_required
@require_GET
def security(request):
    return render(request, "accounts/security.html", _context(request))


@without_rls
@end_user_required
@require_POST
def revoke_session(request, session_id):
    user = request.end_user
    if request.auth_session is not None and session_id == request.auth_session.pk:
        return _sign_out(request, scope="local")
    deleted, _ = AuthSession.objects.filter(user=user, pk=session_id).delete()
    if not deleted:
        raise Http404("No such session.")
    signals.logged_out.send(type(user), user=user, scope="revoked")
    messages.success(request, "The session is signed out.")
    return redirect("accounts:security")


@without_rls
@end_user_required
@require_POST
def sign_out_everywhere(request):
    return _sign_out(request, scope="global")


def _sign_out(request, scope: str):
    """End this browser's session (`local`) or every session of the user (`global`)."""
    user = request.end_user
    sessions.end_for_user(user, scope, request.auth_session.pk if request.auth_session else None)
    signals.logged_out.send(type(user), user=user, scope=scope)
    sign_out_session(request)
    messages.info(request, "You are signed out everywhere." if scope == "global" else "You are signed out.")
    return redirect("accounts:login")


@without_rls
@end_user_required
@require_POST
def enroll(request):
    user = request.end_user
    # A page enrolment starts afresh: an abandoned one (never verified) goes, as GoTrue's verify does.
    MfaFactor.objects.filter(user=user, status="unverified").delete()
    try:
        factor, totp = mfa.enroll(user, request.auth_session.aal, request.POST.get("friendly_name", "").strip()[:255],
                                  settings.MFA_TOTP_ISSUER)
    except mfa.MFAError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security")
    return render(request, "accounts/security.html", _context(request, enrolling=factor, totp=totp))


@without_rls
@end_user_required
@require_POST
def activate(request, factor_id):
    user, factor = request.end_user, _factor(request, factor_id)
    if factor.status == "verified":
        raise Http404("No such enrolment.")
    try:
        mfa.confirm(user, factor, request.POST.get("code", "").strip(), client_ip(request))
    except mfa.MFAError as exc:
        totp = mfa.provisioning(user, factor, settings.MFA_TOTP_ISSUER)
        context = _context(request, enrolling=factor, totp=totp, code_error=exc.message)
        return render(request, "accounts/security.html", context, status=exc.status)
    mfa.raise_to_aal2(request.auth_session, factor)
    messages.success(request, "Two-factor authentication is on: you will be asked for a code when you log in.")
    return redirect("accounts:security")


@without_rls
@end_user_required
@require_POST
def unenroll(request, factor_id):
    factor = _factor(request, factor_id)
    try:
        mfa.unenroll(request.end_user, request.auth_session.aal, factor.pk)
    except mfa.MFAError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The authenticator app is removed.")
    return redirect("accounts:security")


@without_rls
@end_user_required
@require_POST
def requirement(request):
    on = request.POST.get("required") == "on"
    try:
        mfa.set_required(request.end_user, request.auth_session.aal, on)
    except mfa.MFAError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "MFA is now required for your account." if on else "MFA is no longer required.")
    return redirect("accounts:security")

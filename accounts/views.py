import time
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import google, mfa, services, signals
from accounts.forms import LoginForm, SignUpForm
from accounts.middleware import sign_in_session, sign_out_session
from accounts.models import AuthUser
from core.middleware import without_rls
from core.netaddr import client_ip

PENDING_KEY = "_mfa_pending"
PENDING_LIFETIME = 300  # seconds between the password and the code


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@without_rls
@require_http_methods(["GET", "POST"])
def login(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_in(form.cleaned_data["email"], form.cleaned_data["password"], client_ip(request))
        except services.SignInError as exc:
            form.add_error(None, exc.message)
            status = 429 if exc.code == "too_many_attempts" else 400
        else:
            return signed_in(request, user, "password", _next_url(request))
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": _next_url(request), "google_enabled": google.configured()}
    return render(request, "accounts/login.html", context, status=status)


def signed_in(request, user, method: str, next_url: str):
    """After a first factor (`password`, `oauth`): signed in, or — when the user has a verified TOTP
    factor — on to the code step, with the user noted in the session but not yet signed in."""
    if mfa.verified_factors(user).exists():
        request.session.cycle_key()
        request.session[PENDING_KEY] = {"user": str(user.id), "method": method, "at": int(time.time())}
        return redirect(reverse("accounts:login-mfa") + "?" + urlencode({"next": next_url}))
    sign_in_session(request, user, method)
    messages.success(request, f"Signed in as {user.email}.")
    return redirect(next_url)


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or int(time.time()) - pending.get("at", 0) > PENDING_LIFETIME:
        return None, None
    user = AuthUser.objects.filter(pk=pending.get("user")).first()
    if user is None or user.refusal():
        return None, None
    return user, pending.get("method", "password")


@without_rls
@require_http_methods(["GET", "POST"])
def login_mfa(request):
    """The code step: after the password of a user with a verified TOTP factor, or for a session at
    `aal1` of a user who requires MFA. A right code makes the session `aal2`."""
    signed_in_user = getattr(request, "end_user", None)
    user, method = (signed_in_user, None) if signed_in_user is not None else _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    factor = mfa.verified_factors(user).order_by("created_at").first()
    if factor is None:  # nothing to verify against (removed meanwhile)
        return redirect(_next_url(request)) if signed_in_user is not None else redirect("accounts:login")
    error, status = None, 200
    if request.method == "POST":
        try:
            mfa.confirm(user, factor, request.POST.get("code", "").strip(), client_ip(request))
        except mfa.MFAError as exc:
            error, status = exc.message, exc.status
        else:
            if signed_in_user is None:
                request.session.pop(PENDING_KEY, None)
                sign_in_session(request, user, method)
                messages.success(request, f"Signed in as {user.email}.")
            mfa.raise_to_aal2(request.auth_session, factor)
            return redirect(_next_url(request))
    return render(request, "accounts/login_mfa.html", {"error": error, "next": _next_url(request)}, status=status)


@without_rls
@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignUpForm(request.POST or None)
    status = 200
    throttle = services.SignUpThrottle(client_ip(request))
    if request.method == "POST" and throttle.blocked():
        form.add_error(None, "Too many sign-ups from your address. Try again later.")
        status = 429
    elif request.method == "POST" and form.is_valid():
        throttle.fail()  # every attempt counts
        try:
            user = services.sign_up(form.cleaned_data["email"], form.cleaned_data["password"])
        except services.SignInError as exc:
            form.add_error("email", exc.message)
            status = 400
        else:
            sign_in_session(request, user)
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/signup.html", {"form": form, "next": _next_url(request)}, status=status)


@without_rls
@require_POST
def logout(request):
    if getattr(request, "end_user", None) is not None:
        signals.logged_out.send(type(request.end_user), user=request.end_user, scope="local")
    sign_out_session(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")

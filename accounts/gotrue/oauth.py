"""GoTrue's external sign-in: GET /auth/v1/authorize?provider=google and GET /auth/v1/callback
(accounts.google does the work). Browser redirects, open without the `apikey` (as Supabase's
gateway leaves them); the callback signs the browser in to the pages — through the code step when
the user has a verified TOTP factor — and goes on to `redirect_to`, a path of this site."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from accounts import google
from accounts.gotrue import errors
from accounts.views import signed_in
from core.middleware import without_rls


def _redirect_to(request) -> str:
    target = request.GET.get("redirect_to") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _refused(request, message: str):
    messages.error(request, message)
    return redirect("accounts:login")


@without_rls
@require_GET
def authorize(request):
    provider = request.GET.get("provider")
    if provider != "google":
        return errors.response(request, 400, "validation_failed", f"Unsupported provider: {str(provider)[:50]!r} is not supported")
    if not google.configured():
        return errors.response(request, 400, "provider_disabled", "Unsupported provider: provider is not enabled")
    try:
        return redirect(google.start(request, _redirect_to(request)))
    except google.SignInRefused as exc:
        return _refused(request, exc.message)


@without_rls
@require_GET
def callback(request):
    if request.GET.get("error"):
        request.session.pop(google.SESSION_KEY, None)
        return _refused(request, "Google sign-in was cancelled.")
    try:
        claims, redirect_to = google.finish(request, request.GET.get("state"), request.GET.get("code"))
        user = google.user_for(claims)
    except google.SignInRefused as exc:
        return _refused(request, exc.message)
    return signed_in(request, user, "oauth", redirect_to)

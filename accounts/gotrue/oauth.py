"""GoTrue's external sign-in: GET /auth/v1/authorize?provider=google and GET /auth/v1/callback
(accounts.google does the work). Browser redirects, open without the `apikey` (as Supabase's
gateway leaves them). Where the callback goes depends on `redirect_to`:

- a path of this site (or none): the browser is signed in to the pages — through the code step when
  the user has a verified TOTP factor — and goes there;
- an address on AUTH_REDIRECT_URLS (GoTrue's URI allow list: a browser app using a Supabase client):
  a session is started and the app gets its tokens in the URL fragment, as GoTrue's implicit flow
  gives them (`#access_token=…&refresh_token=…&expires_in=…&expires_at=…&token_type=bearer`); a user
  with a verified factor then verifies a code through /factors (the tokens are `aal1`).

Any other address is ignored (the pages' home instead): tokens never go to a site not listed."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from accounts import google, sessions
from accounts.gotrue import errors
from accounts.views import signed_in
from core.middleware import without_rls


def _redirect_to(request) -> tuple[str, bool]:
    """(where to go after, whether it is an app on the allow list that takes tokens)."""
    target = request.GET.get("redirect_to") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target, False
    if allowed_app_url(target):
        return target, True
    return "/", False


def allowed_app_url(url: str) -> bool:
    """Whether `url` starts with an entry of AUTH_REDIRECT_URLS (its scheme and host exactly, then
    the entry's path as a prefix: `https://app.example/auth` allows `https://app.example/auth/done`)."""
    return any(url == entry or url.startswith(entry.rstrip("/") + "/") or url.startswith(entry.rstrip("/") + "?")
               for entry in settings.AUTH_REDIRECT_URLS if entry)


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
        redirect_to, to_app = _redirect_to(request)
        return redirect(google.start(request, redirect_to, to_app=to_app))
    except google.SignInRefused as exc:
        return _refused(request, exc.message)


@without_rls
@require_GET
def callback(request):
    if request.GET.get("error"):
        request.session.pop(google.SESSION_KEY, None)
        return _refused(request, "Google sign-in was cancelled.")
    try:
        claims, redirect_to, to_app = google.finish(request, request.GET.get("state"), request.GET.get("code"))
        user = google.user_for(claims)
    except google.SignInRefused as exc:
        return _refused(request, exc.message)
    if to_app and allowed_app_url(redirect_to):  # checked again: the list may have changed meanwhile
        grant = sessions.grant(user, sessions.start(user, request, method="oauth"), grant_type="oauth")
        fragment = urlencode({"access_token": grant.access_token, "expires_at": grant.expires_at, "expires_in": grant.expires_in,
                              "provider_token": "", "refresh_token": grant.refresh_token, "token_type": "bearer"})
        response = redirect(f"{redirect_to.split('#', 1)[0]}#{fragment}")
        response["Cache-Control"] = "no-store"
        return response
    return signed_in(request, user, "oauth", redirect_to if not to_app else "/")

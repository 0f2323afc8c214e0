from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from accounts import mfa


def refusal(request):
    """The redirect for a page that needs a signed-in end user, or None: to the login page when no
    one is signed in; to the code step when the user requires MFA and this session is only `aal1`."""
    user = getattr(request, "end_user", None)
    if user is None:
        return redirect_to_login(request.get_full_path())
    session = getattr(request, "auth_session", None)
    if not mfa.satisfied(user, session.aal if session is not None else None):
        return redirect(reverse("accounts:login-mfa") + "?" + urlencode({"next": request.get_full_path()}))
    return None


class EndUserRequiredMixin:
    """Pages for signed-in end users; others go to the login page and come back."""

    def dispatch(self, request, *args, **kwargs):
        return refusal(request) or super().dispatch(request, *args, **kwargs)


def end_user_required(view):
    """Function-based pages for signed-in end users."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return refusal(request) or view(request, *args, **kwargs)

    return wrapper

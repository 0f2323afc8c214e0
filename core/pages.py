"""Bases for server-rendered pages: signed-in end users only, and scoped to them over user-owned models.

`request.end_user` is set by the authentication middleware (None for anyone else)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login

# Further conditions a signed-in end user's page request must meet, registered by the apps that own
# them (core imports no app): each `check(request)` returns a response to answer instead (a redirect
# to complete a step), or None. accounts registers the MFA step for users who require it.
_refusals: list = []


def register_refusal(check) -> None:
    if check not in _refusals:
        _refusals.append(check)


def refusal(request):
    """The answer for a page that needs a signed-in end user, or None when it may run: the login page
    for anyone else, then the first registered refusal that applies."""
    if getattr(request, "end_user", None) is None:
        return redirect_to_login(request.get_full_path())
    return next((answer for answer in (check(request) for check in _refusals) if answer is not None), None)


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


class OwnedPageMixin(EndUserRequiredMixin):
    """A page over `model`, scoped to the signed-in end user: another user's object is a 404."""

    def get_queryset(self):
        return self.model.objects.for_user(self.request.end_user)

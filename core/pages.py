"""Bases for server-rendered pages: signed-in end users only, and scoped to them over user-owned models.

`request.end_user` is set by the authentication middleware (None for anyone else)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login


class EndUserRequiredMixin:
    """Pages for signed-in end users; others go to the login page and come back."""

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "end_user", None) is None:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


def end_user_required(view):
    """Function-based pages for signed-in end users."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "end_user", None) is None:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


class OwnedPageMixin(EndUserRequiredMixin):
    """A page over `model`, scoped to the signed-in end user: another user's object is a 404."""

    def get_queryset(self):
        return self.model.objects.for_user(self.request.end_user)

from functools import wraps

from django.contrib.auth.views import redirect_to_login


def end_user_required(view):
    """Pages for signed-in end users; others go to the login page and come back."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "end_user", None) is None:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


class EndUserRequiredMixin:
    """Class-based pages for signed-in end users."""

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "end_user", None) is None:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)

from django.db import transaction
from django.urls import Resolver404, resolve

from core import rls


def without_rls(view):
    """Mark a page that must not run as the end user: sign-in and sign-out write Supabase Auth's own
    tables (`auth.sessions`), which the `authenticated` role cannot reach, as GoTrue does."""
    view.rls_exempt = True
    return view


class RowLevelSecurityMiddleware:
    """A page request of a signed-in end user runs in one transaction, as the `authenticated` role
    with that user's claims, so RLS guards every query the view makes. A page that fails (5xx) is
    rolled back.

    API views do the same in `core.api.views` once DRF has authenticated the token; the admin runs as
    the connection's own role (staff see every tenant by design)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "end_user", None)
        if user is None or not self._guards(request):
            return self.get_response(request)
        with rls.request_transaction():
            rls.act_as(rls.claims_for(user, getattr(request, "auth_session", None)))
            response = self.get_response(request)
            if response.status_code >= 500:
                # Django has turned the view's exception into this response already (it never
                # reaches the `with`): undo what the failed view wrote.
                transaction.set_rollback(True)
            return response

    @staticmethod
    def _guards(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return True
        if match.app_name == "admin" or getattr(match.func, "rls_exempt", False):
            return False
        return not hasattr(match.func, "cls")  # DRF views open their own transaction

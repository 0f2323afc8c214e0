from django.db.models import Q
from django.utils import timezone

from accounts import services, sessions
from accounts.models import AuthSession

SESSION_KEY = "_end_user_id"
AUTH_SESSION_KEY = "_auth_session_id"
HASH_KEY = "_end_user_hash"


def sign_in_session(request, user, method: str = "password") -> None:
    """Sign `user` in to the pages: an `auth.sessions` row, whose id the (signed) cookie carries."""
    previous = request.session.get(AUTH_SESSION_KEY)
    if previous:
        sessions.end(previous)
    request.session.cycle_key()
    auth_session = sessions.start(user, request, method=method)
    request.session[SESSION_KEY] = str(user.id)
    request.session[AUTH_SESSION_KEY] = str(auth_session.id)
    request.session[HASH_KEY] = services.session_hash(user)
    request.end_user, request.auth_session = user, auth_session


def sign_out_session(request) -> None:
    auth_session_id = request.session.get(AUTH_SESSION_KEY)
    if auth_session_id:
        sessions.end(auth_session_id)
    request.session.flush()
    request.end_user = request.auth_session = None


class EndUserMiddleware:
    """`request.end_user`: the `auth.users` row signed in to the pages, or None, and
    `request.auth_session` its `auth.sessions` row (its `aal` is the page's). The cookie names an
    `auth.sessions` row: once that row is gone (signed out, here or elsewhere) or past `not_after`, or
    the user is banned, deleted or re-passworded, the cookie signs in no one. One query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.end_user, request.auth_session = self._load(request)
        return self.get_response(request)

    @staticmethod
    def _load(request):
        user_id, auth_session_id = request.session.get(SESSION_KEY), request.session.get(AUTH_SESSION_KEY)
        if not user_id:
            return None, None
        auth_session = None
        if auth_session_id:
            auth_session = (
                AuthSession.objects.select_related("user")
                .filter(Q(not_after__isnull=True) | Q(not_after__gt=timezone.now()), pk=auth_session_id, user_id=user_id)
                .first()
            )
        user = auth_session.user if auth_session is not None else None
        if user is None or user.refusal() or request.session.get(HASH_KEY) != services.session_hash(user):
            request.session.flush()
            return None, None
        return user, auth_session

from accounts import services
from accounts.models import AuthUser

SESSION_KEY = "_end_user_id"
HASH_KEY = "_end_user_hash"


def sign_in_session(request, user: AuthUser) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(user.id)
    request.session[HASH_KEY] = services.session_hash(user)
    request.end_user = user


def sign_out_session(request) -> None:
    request.session.flush()
    request.end_user = None


class EndUserMiddleware:
    """`request.end_user`: the `auth.users` row signed in to the pages, or None. A banned, deleted or
    re-passworded user is signed out on the next request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.end_user = self._load(request)
        return self.get_response(request)

    @staticmethod
    def _load(request):
        user_id = request.session.get(SESSION_KEY)
        if not user_id:
            return None
        user = AuthUser.objects.filter(pk=user_id).first()
        if user is None or user.refusal() or request.session.get(HASH_KEY) != services.session_hash(user):
            request.session.flush()
            return None
        return user

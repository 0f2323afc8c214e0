"""GoTrue's error bodies. Clients that send `X-Supabase-Api-Version: 2024-01-01` (or later) get
`{"code": <error_code>, "message"}` with the version echoed; others `{"code": <status>, "error_code",
"msg"}` — as Supabase Auth answers (internal/api/errors.go)."""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION_2024 = "2024-01-01"

# The authentication failures of accounts.tokens that GoTrue names alike; every other is `bad_jwt`.
TOKEN_CODES = {"session_not_found", "user_not_found", "user_banned"}


class GoTrueError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def response(request, status: int, code: str, message: str, **extra) -> JsonResponse:
    version = (request.headers.get(API_VERSION_HEADER) or "").strip()
    if version >= API_VERSION_2024 and len(version) == len(API_VERSION_2024):
        answer = JsonResponse({"code": code, "message": message, **extra}, status=status)
        answer[API_VERSION_HEADER] = API_VERSION_2024
        return answer
    return JsonResponse({"code": status, "error_code": code, "msg": message, **extra}, status=status)


def _as_gotrue(exc) -> GoTrueError | None:
    if isinstance(exc, GoTrueError):
        return exc
    if isinstance(exc, exceptions.NotAuthenticated):
        return GoTrueError(401, "no_authorization", "This endpoint requires a valid Bearer token")
    if isinstance(exc, exceptions.AuthenticationFailed):
        code = exc.get_codes()
        code = code if code in TOKEN_CODES else "bad_jwt"
        return GoTrueError(403, code, f"invalid JWT: {exc.detail}" if code == "bad_jwt" else str(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        return GoTrueError(429, "over_request_rate_limit", "Request rate limit reached")
    if isinstance(exc, exceptions.ParseError):
        return GoTrueError(400, "bad_json", f"Could not parse request body as JSON: {exc.detail}")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return GoTrueError(415, "bad_json", "The body must be JSON (Content-Type: application/json).")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return GoTrueError(405, "validation_failed", str(exc.detail))
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return GoTrueError(404, "not_found", "Not Found")
    if isinstance(exc, RequestDataTooBig):
        return GoTrueError(413, "request_entity_too_large", "The request body is too large.")
    if isinstance(exc, exceptions.APIException) and 400 <= exc.status_code < 500:
        return GoTrueError(exc.status_code, "validation_failed", str(exc.detail))
    return None


def exception_handler(exc, context):
    error = _as_gotrue(exc)
    if error is None:
        return None  # a crash: Django's 500
    return response(context["request"], error.status, error.code, error.message, **error.extra)


@csrf_exempt
def not_found(request, exception=None):
    return response(request, 404, "not_found", "Not Found")

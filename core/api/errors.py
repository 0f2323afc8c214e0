"""One JSON shape for every API error: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    """409: the request contradicts the current state. Raise it with what conflicts and a code:
    `Conflict("You already have a partner profile.", code="partner_exists")`."""

    status_code = 409
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class InvalidCursor(exceptions.ParseError):
    default_detail = "The cursor is not one this list gave out."
    default_code = "invalid_cursor"


def exception_handler(exc, context):
    if isinstance(exc, Http404):  # Django's own exceptions become DRF's, with their codes
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):  # Django answers these 400 (e.g. too many form fields)
        exc = exceptions.ParseError(str(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", "The request has invalid fields.", detail)
    else:
        code = exc.get_codes()
        response.data = error_body(code if isinstance(code, str) else "error", str(exc.detail))
    return response


def _json_error(status: int, code: str, message: str):
    # csrf_exempt: these change nothing, and a cookie-less PUT to an unknown /api/ path must get this
    # JSON answer, not the CSRF failure page.
    @csrf_exempt
    def view(request, exception=None):
        return JsonResponse(error_body(code, message), status=status)

    return view


# Errors raised outside DRF (unknown URL, crash) under /api/ answer with the same shape.
not_found = _json_error(404, "not_found", "No such endpoint.")
_database_unavailable = _json_error(503, "database_unavailable", "The database is unreachable; nothing was stored. Retry shortly.")


def database_unavailable(request):
    response = _database_unavailable(request)
    response["Retry-After"] = "5"
    return response
server_error = _json_error(500, "server_error", "The server could not complete the request.")

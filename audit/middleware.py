import time

from django.conf import settings
from django.core.cache import cache

from audit import scope as audit_scope
from audit import services, writer

DENIED = {401: "access_denied_unauthenticated", 403: "access_denied"}


class AuditMiddleware:
    """Opens the request's audit scope: request id (a sane `X-Request-ID` is kept, otherwise one is
    made; echoed in the response), client address (core.netaddr.client_ip), user agent, and who is
    acting (resolved lazily: the API's token user, the pages' end user, the admin's staff user).

    Sits outside `RowLevelSecurityMiddleware`, so when the response comes back the request's
    transaction is over: denied API access (401/403) is recorded then (per address and minute the
    1st, 2nd, 4th… denial, each with the count so far, so a flood of bad tokens writes a handful), and rows that a rolled-back
    transaction took away are written again (`audit.writer.flush_pending`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = audit_scope.request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # for what runs outside the scope: Django's request log (config/logs.py)
        capture = getattr(settings, "AUDIT_CAPTURE", True)
        with audit_scope.scope("", request=request, request_id=request_id, capture=capture,
                               snapshots=capture and request.method not in ("GET", "HEAD", "OPTIONS")) as current:
            response = self.get_response(request)
            if response.status_code in DENIED and current.via == "api":
                user = current.end_user()
                count = _denials_this_minute(current.ip, user, response.status_code)
                if count & (count - 1) == 0:  # the 1st, 2nd, 4th, 8th… of a burst: a flood writes few rows
                    services.record(
                        DENIED[response.status_code], resource_type="endpoint", resource_id=request.path[:255],
                        details={"method": request.method, "status": response.status_code, "code": _error_code(response),
                                 "count_this_minute": count},
                        user=user, durable=True,
                    )
        response[audit_scope.REQUEST_ID_HEADER] = request_id
        if response.streaming and not response.is_async:
            response.streaming_content = _in_scope(response.streaming_content, current)
        return response


def _in_scope(chunks, current):
    """A streamed body is produced after the middleware returned: each chunk is made inside the
    request's scope again (same request id and user), and rows it kept are checked at the end."""
    iterator = iter(chunks)
    try:
        while True:
            token = audit_scope._current.set(current)
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            finally:
                audit_scope._current.reset(token)
            yield chunk
    finally:
        writer.flush_pending(current)


def _denials_this_minute(ip: str, user, status: int) -> int:
    """How many denials this address (and user) has had this minute, this one included, counted in
    the shared cache so that every app server counts together."""
    key = f"audit-denied:{int(time.time() // 60)}:{status}:{ip}:{user.pk if user is not None else '-'}"
    if cache.add(key, 1, 120):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, 120)
        return 1


def _error_code(response) -> str:
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("code", ""))[:100]
    return ""

"""The audit trail's public API (docs/audit.md). Importing `audit` loads no models: each function
imports its implementation on first call.

    audit.record(action, *, resource_type="", resource_id="", details=None, user=None, session_id=None, durable=False)
    audit.activity(kind, *, user=None, details=None, durable=False)
    audit.storage(operation, *, session_id, key, value_type="", size_bytes=None, user=None, details=None)
    audit.file_upload(*, file_name, size_bytes, content_type, sha256, stored_at, status, user=None, session_id=None, details=None)
    with audit.analysis_run(*, session_id, analysis_type, parameters=None, user=None) as run: ...
    audit.http_client(service="ga4", **httpx_client_kwargs)

`user` (an AuthUser, a user id, or None) defaults, when omitted, to the end user of the current
request. Secret values never go into `details`.
"""

_OMITTED = object()


def _user(user):
    from audit.services import _DEFAULT

    return _DEFAULT if user is _OMITTED else user


def record(action, *, resource_type="", resource_id="", details=None, user=_OMITTED, session_id=None, durable=False):
    """A row of `audit_logs`; `durable=True` keeps it if the request's transaction rolls back."""
    from audit import services

    return services.record(action, resource_type=resource_type, resource_id=resource_id, details=details,
                           user=_user(user), session_id=session_id, durable=durable)


def activity(kind, *, user=_OMITTED, details=None, durable=False):
    """A row of `audit_user_activities` (kind: signup, login, logout, login_failed, password_change,
    token_issued, token_refused, page, api)."""
    from audit import services

    return services.activity(kind, user=_user(user), details=details, durable=durable)


def storage(operation, *, session_id, key, value_type="", size_bytes=None, user=_OMITTED, details=None):
    """A row of `audit_data_storage` (operation: set, get, delete, expire, evict); never the value."""
    from audit import services

    return services.storage(operation, session_id=session_id, key=key, value_type=value_type,
                            size_bytes=size_bytes, user=_user(user), details=details)


def file_upload(*, file_name, size_bytes, content_type, sha256, stored_at, status, user=_OMITTED, session_id=None, details=None):
    """A row of `audit_file_uploads` (status: received, stored, rejected, failed, deleted)."""
    from audit import services

    return services.file_upload(file_name=file_name, size_bytes=size_bytes, content_type=content_type,
                                sha256=sha256, stored_at=stored_at, status=status, user=_user(user),
                                session_id=session_id, details=details)


def analysis_run(*, session_id, analysis_type, parameters=None, user=_OMITTED):
    """Context manager: a row of `audit_analysis_runs`, running → succeeded, or failed with the error
    if the block raises (re-raised). Set `run.result_summary` inside the block."""
    from audit import services

    return services.analysis_run(session_id=session_id, analysis_type=analysis_type, parameters=parameters, user=_user(user))


def http_client(service="external", **kwargs):
    """An `httpx.Client` whose every request is recorded in `audit_api_calls`."""
    from audit.http import http_client as make

    return make(service, **kwargs)


def oauth_client(service: str, timeout: float, **kwargs):
    """An Authlib OAuth 2 client (use it as a context manager) whose every request is recorded in
    `audit_api_calls` under `service`, like `http_client`'s."""
    from audit.oauth import oauth_client as make

    return make(service, timeout, **kwargs)


def context(via="command", *, user=None, capture=False, request_id=None):
    """Context manager for code outside a request (commands, jobs, a streamed response's generator):
    its rows share one request id (the enclosing request's, if any) and default `user`, and durable
    rows are written again if its transaction rolls back."""
    from audit import scope as _context

    kwargs = {"user": user, "capture": capture, "snapshots": capture}
    outer = _context.current()
    if outer is not None:  # nested in a request: same request id, address and user agent
        kwargs.update(request_id=outer.request_id, request=outer.request)
    if request_id:
        kwargs["request_id"] = request_id
    return _context.scope(via, **kwargs)


__all__ = ["record", "activity", "storage", "file_upload", "analysis_run", "http_client", "oauth_client", "context"]

"""The audit trail's public functions, behind `import audit` (docs/audit.md): each builds the row of
its table and hands it to the one writer (`audit.writer`)."""

import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from django.db import connection
from django.utils import timezone

from audit import scope as context
from audit.models import (
    AnalysisRun,
    ApiCall,
    AuditLog,
    DataStorage,
    FileUpload,
    RunStatus,
    StorageOperation,
    UploadStatus,
    UserActivity,
)
from audit.writer import fail, write

MAX_TEXT = 2000  # characters of an error message or a user agent kept


# --- values -----------------------------------------------------------------------------------------

def plain(value):
    """A JSON-safe copy of a value for `details`."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    return str(value)


def _user_id(user):
    """`user` may be an AuthUser, a user id (uuid or text), or None."""
    if user is None:
        return None
    if isinstance(user, uuid.UUID):
        return user
    if isinstance(user, str):
        return uuid.UUID(user)
    pk = getattr(user, "pk", None)
    from accounts.models import AuthUser

    if isinstance(user, AuthUser):
        return pk
    return None  # a staff user is not an auth.users row: see details["staff"]


_DEFAULT = object()


def _defaults(values: dict, user) -> dict:
    scope = context.current()
    if user is _DEFAULT:
        user = scope.end_user() if scope is not None else None
    values["user_id"] = _user_id(user)
    if scope is not None:
        values.setdefault("request_id", scope.request_id)
        staff = scope.staff_user()
        if staff is not None:
            values["details"] = {"staff": staff.get_username(), **(values.get("details") or {})}
    return values


# --- the public functions ---------------------------------------------------------------------------

def record(action, *, resource_type="", resource_id="", details=None, user=_DEFAULT, session_id=None, durable=False):
    """A row of `audit_logs`. Returns its id."""
    scope = context.current()
    values = {
        "action": str(action)[:100],
        "resource_type": str(resource_type or "")[:100],
        "resource_id": str(resource_id or "")[:255],
        "details": plain(details or {}),
        "session_id": session_id,
        "ip_address": scope.ip[:64] if scope else "",
        "user_agent": scope.user_agent if scope else "",
    }
    return write(AuditLog, _defaults(values, user), keep=durable)


def captured(action, *, resource_type, resource_id, details):
    """A row of `audit_logs` from the generic capture (`audit.capture`): `details` is JSON-safe
    already. Kept through a rollback, and deferred to the end of a request transaction."""
    scope = context.current()
    values = {
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id[:255],
        "details": details,
        "session_id": None,
        "ip_address": scope.ip[:64] if scope else "",
        "user_agent": scope.user_agent if scope else "",
    }
    return write(AuditLog, _defaults(values, _DEFAULT), keep=True, defer=True)


def activity(kind, *, user=_DEFAULT, details=None, durable=False):
    """A row of `audit_user_activities` (kind: see `audit.models.ActivityKind`). Returns its id."""
    if kind not in UserActivity.Kind.values:
        fail(f"unknown activity kind {kind!r}")
        return None
    scope = context.current()
    values = {
        "activity_type": kind,
        "details": plain(details or {}),
        "ip_address": scope.ip[:64] if scope else "",
        "user_agent": scope.user_agent if scope else "",
    }
    return write(UserActivity, _defaults(values, user), keep=durable)


def storage(operation, *, session_id, key, value_type="", size_bytes=None, user=_DEFAULT, details=None):
    """A row of `audit_data_storage`: a session storage operation, never its value."""
    if operation not in StorageOperation.values:
        fail(f"unknown storage operation {operation!r}")
        return None
    values = {
        "operation": operation,
        "session_id": session_id,
        "storage_key": str(key)[:255],
        "value_type": str(value_type or "")[:50],
        "size_bytes": size_bytes,
        "details": plain(details or {}),
    }
    return write(DataStorage, _defaults(values, user))


def file_upload(*, file_name, size_bytes, content_type, sha256, stored_at, status, user=_DEFAULT, session_id=None, details=None):
    """A row of `audit_file_uploads`."""
    if status not in UploadStatus.values:
        fail(f"unknown upload status {status!r}")
        return None
    values = {
        "file_name": str(file_name)[:255],
        "size_bytes": size_bytes,
        "content_type": str(content_type or "")[:255],
        "sha256": str(sha256 or "")[:64],
        "stored_at": str(stored_at or ""),
        "status": status,
        "session_id": session_id,
        "details": plain(details or {}),
    }
    return write(FileUpload, _defaults(values, user), keep=status in (UploadStatus.REJECTED, UploadStatus.FAILED))


@dataclass
class Run:
    """The handle `audit.analysis_run()` yields: set `result_summary` (JSON) inside the block."""

    id: uuid.UUID
    result_summary: object = None
    status: str = RunStatus.RUNNING
    error: str = ""
    duration_ms: int | None = None
    _values: dict = field(default_factory=dict, repr=False)


@contextmanager
def analysis_run(*, session_id, analysis_type, parameters=None, user=_DEFAULT):
    """A row of `audit_analysis_runs`: `running` while the block runs, then `succeeded`, or `failed`
    with the error if the block raises (the exception goes on). The row survives a rollback."""
    values = _defaults({
        "session_id": session_id,
        "analysis_type": str(analysis_type)[:100],
        "parameters": plain(parameters) if parameters is not None else None,
        "status": RunStatus.RUNNING,
        "started_at": timezone.now(),
        "details": {},
    }, user)
    run = Run(id=write(AnalysisRun, values, keep=True, upsert=COMPLETION))
    run._values = values
    started = time.perf_counter()
    try:
        yield run
    except BaseException as exc:
        _finish(run, started, RunStatus.FAILED, f"{type(exc).__name__}: {exc}"[:MAX_TEXT])
        raise
    else:
        _finish(run, started, RunStatus.SUCCEEDED, "")


COMPLETION = ("status", "finished_at", "duration_ms", "error", "result_summary")


def _finish(run: Run, started: float, status: str, error: str) -> None:
    run.status, run.error = status, error
    run.duration_ms = round((time.perf_counter() - started) * 1000)
    completion = {
        "status": status,
        "finished_at": timezone.now(),
        "duration_ms": run.duration_ms,
        "error": error,
        "result_summary": plain(run.result_summary) if run.result_summary is not None else None,
    }
    # The final state replaces the remembered one, so a rolled-back run is written again complete.
    run._values.update(completion)
    scope = context.current()
    if scope is not None and connection.in_atomic_block:
        # The completion is its own write: remembered again, with a fresh on-commit marker.
        scope.pending[:] = [w for w in scope.pending if w.values is not run._values]
    write(AnalysisRun, dict(run._values), keep=True, upsert=COMPLETION)


# --- outbound HTTP ----------------------------------------------------------------------------------

def endpoint_of(url) -> str:
    """Scheme, host and path: the query string and any user info are left out (they carry keys)."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))[:2000]


def api_call(*, service, url, method, status_code=None, duration_ms=None, error="", user=_DEFAULT, session_id=None, details=None):
    """A row of `audit_api_calls` (written by `AuditedClient` for every request it sends)."""
    values = {
        "service": str(service)[:100],
        "endpoint": endpoint_of(url),
        "method": str(method).upper()[:10],
        "status_code": status_code,
        "duration_ms": duration_ms,
        "error": str(error or "")[:MAX_TEXT],
        "session_id": session_id,
        "details": plain(details or {}),
    }
    return write(ApiCall, _defaults(values, user), keep=bool(error) or (status_code or 0) >= 500)

"""Logging: one JSON object per line in production, readable lines in development.

Every record of a request carries its `request_id` (the `X-Request-ID` the audit middleware keeps
or makes, and echoes), the end user's `user_id` and the `route` Django resolved; records outside a
request carry them empty. gunicorn's access log (config/gunicorn.conf.py) is written by the same
formatter, its fields taken from gunicorn's atoms: method, path (never the query string), status,
bytes, duration and the response's request id, which joins it to the application's records.

Loaded by the settings and by gunicorn's master process, before Django is set up: nothing here
imports Django or an app at module level.
"""

import logging
from collections.abc import Mapping

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

JSON_FIELDS = "%(levelname)s %(name)s %(message)s"
RENAMED = {"levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# Not written out: Django's `request` extra (its repr holds the query string) and its server's socket.
SKIPPED = [*RESERVED_ATTRS, "request", "server_time", "socket"]


class RequestContext(logging.Filter):
    """Adds request_id, user_id and route: from the current request's audit scope, or from the
    request a record carries (Django's `django.request` records are written after the scope closed)."""

    def filter(self, record):
        record.request_id, record.user_id, record.route = _request_context(getattr(record, "request", None))
        return True


def _request_context(request) -> tuple[str, str, str]:
    from audit import scope as audit_scope  # audit.scope loads no model

    current = audit_scope.current()
    if current is not None:
        request = current.request
    if request is None or not hasattr(request, "META"):
        return (current.request_id if current is not None else ""), "", ""
    request_id = current.request_id if current is not None else getattr(request, "request_id", "")
    try:
        # The end user authentication already loaded (DRF's, or the pages'): no query.
        from accounts.models import AuthUser  # a request exists: the apps are loaded

        user = request.__dict__.get("user")  # never evaluates the admin's lazy staff user
        if type(user) is not AuthUser:
            user = getattr(request, "end_user", None)
        match = getattr(request, "resolver_match", None)
        return request_id, str(user.pk) if user is not None else "", (match.route if match else "")
    except Exception:  # a log line must never fail for its context
        return request_id, "", ""


class JsonLines(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", JSON_FIELDS)
        kwargs.setdefault("rename_fields", RENAMED)
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("reserved_attrs", SKIPPED)
        super().__init__(*args, **kwargs)


class AccessJsonLines(JsonLines):
    """gunicorn's access records: their `args` are gunicorn's atoms (missing ones read as "-")."""

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, Mapping) else {}

        def atom(name):
            value = atoms.get(name)
            return None if value == "-" else value

        status, duration = str(atom("s") or ""), atom("D")
        log_data.update({
            "request_id": atom("{x-request-id}o") or "",
            "method": atom("m"),
            "path": atom("U"),
            "status": int(status) if status.isdigit() else None,
            "bytes": atom("B"),
            "duration_ms": round(duration / 1000, 3) if isinstance(duration, int) else None,
            "remote_addr": atom("h"),
            "user_agent": atom("a"),
        })


def django_logging(*, json: bool, level: str) -> dict:
    """settings.LOGGING."""
    formatter = {"()": JsonLines} if json else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContext}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["request"]}},
        "root": {"handlers": ["console"], "level": level},
    }


def gunicorn_logging(*, level: str) -> dict:
    """gunicorn's logconfig_dict in JSON mode: its error and access logs as JSON lines on stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}, "access": {"()": AccessJsonLines}},
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["error"], "level": level},
    }

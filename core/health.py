"""Probes for load balancers and orchestrators, answered before any other middleware: no session,
no host check, no HTTPS redirect, no audit scope, nothing written.

- `GET /healthz`: the process answers (liveness). Touches nothing else.
- `GET /readyz`: it can serve (readiness): every check in `settings.READINESS_CHECKS` passes.

A check is a callable taking no argument that returns when ready and raises `NotReady(reason)`
otherwise (any other exception counts as not ready, logged, its text not shown). Built in:
`database` (`system_healthcheck()`: answers, no problem found) and `migrations` (none unapplied). A check that background workers were
heard from recently joins by adding its dotted path to READINESS_CHECKS.
"""

import json
import logging
from functools import cache

from django.conf import settings
from django.db import ProgrammingError, connection
from django.http import HttpResponse
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PATHS = {"/healthz": "live", "/readyz": "ready"}


class NotReady(Exception):
    """A readiness check's refusal; its message is shown in /readyz's answer."""


def database() -> None:
    """The database answers and its own health check (seed 002's `system_healthcheck()`, core
    migration 0003) finds no problem. Before that migration ran, answering is enough."""
    with connection.cursor() as cursor:
        try:
            cursor.execute("SELECT public.system_healthcheck()")
        except ProgrammingError:  # not migrated yet: the server answered, the migrations check reports the rest
            cursor.execute("SELECT 1")
            return
        report = json.loads(cursor.fetchone()[0])  # Django reads jsonb as text
    if report.get("status") != "ok":
        raise NotReady("; ".join(report.get("problems") or ["database degraded"]))


_migrated = False


def migrations() -> None:
    """Every migration on disk is applied. Once true it stays true for this process's code, so the
    migration graph is read from disk only until then."""
    global _migrated
    if _migrated:
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise NotReady(f"{len(plan)} migration(s) not applied")
    _migrated = True


@cache
def _checks(paths: tuple[str, ...]):
    return [(path.rsplit(".", 1)[-1], import_string(path)) for path in paths]


def readiness() -> tuple[bool, dict]:
    results, ready = {}, True
    for name, check in _checks(tuple(settings.READINESS_CHECKS)):
        try:
            check()
            results[name] = "ok"
        except NotReady as exc:
            results[name], ready = str(exc), False
        except Exception:
            logger.warning("readiness check %s failed", name, exc_info=True)
            results[name], ready = "failed", False
    return ready, results


def _json(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """First in MIDDLEWARE: answers GET/HEAD of the probe paths itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PATHS.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if probe == "live":
            return _json(200, {"status": "ok"})
        ready, checks = readiness()
        return _json(200 if ready else 503, {"status": "ok" if ready else "unavailable", "checks": checks})

"""/healthz and /readyz: JSON, unauthenticated, cheap, and answered whatever the Host or scheme."""

import pytest
from django.db import connection
from django.test import Client

from core import health
from core.health import NotReady


def probe(path, **extra):
    return Client().get(path, **extra)


def test_healthz_answers_without_the_database(db, django_assert_num_queries, settings):
    settings.SECURE_SSL_REDIRECT = True  # a load balancer probes over plain HTTP, by address
    with django_assert_num_queries(0):
        response = probe("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json" and response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response and "X-Request-ID" not in response  # outside the audit scope


def test_readyz_checks_the_database_and_migrations(db, django_assert_max_num_queries):
    response = probe("/readyz", HTTP_HOST="10.0.3.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "workers_heard": "ok"}}
    with django_assert_max_num_queries(2):  # once migrated, SELECT 1 and the workers' last heartbeat
        assert probe("/readyz").status_code == 200


def test_readyz_is_unavailable_while_a_migration_is_not_applied(db, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'partners' AND name = '0005_seed_functions'")
    response = probe("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 migration(s) not applied"
    assert health._migrated is False


def workers_heard_from():
    raise NotReady("no worker heard from for 120 s")


def broken():
    raise RuntimeError("password=hunter2 at db.internal")


@pytest.mark.parametrize(("check", "answer"), [
    ("tests.core.test_health.workers_heard_from", "no worker heard from for 120 s"),
    ("tests.core.test_health.broken", "failed"),  # the exception's text is logged, not shown
])
def test_readyz_takes_its_checks_from_settings(db, settings, check, answer):
    settings.READINESS_CHECKS = ["core.health.database", check]
    response = probe("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", check.rsplit(".", 1)[1]: answer}


def test_other_methods_and_paths_go_to_the_app(db):
    assert Client().post("/healthz").status_code == 404
    assert probe("/healthz/").status_code == 404


def test_readyz_wants_a_recent_worker_heartbeat_once_workers_exist(db, settings):
    """Before any worker registered it is ready (workers may start after the web); once they have,
    one must have been heard from within JOBS_STALLED_AFTER."""
    assert probe("/readyz").json()["checks"]["workers_heard"] == "ok"
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '10 minutes') RETURNING id")
        worker = cursor.fetchone()[0]
    response = probe("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["workers_heard"].startswith("no background worker heard from")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_workers SET last_heartbeat = now() WHERE id = %s", [worker])
    assert probe("/readyz").status_code == 200

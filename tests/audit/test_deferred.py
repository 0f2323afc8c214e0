"""The capture's rows are written at the end of the request's transaction: all of them in one
statement, sent with the COMMIT when the request's transaction is the outermost one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import writer
from audit.models import AuditLog
from sessions_app.models import ResearchSession

SESSIONS = "/api/v1/research-sessions/"


def audit_statements(queries):
    return [q["sql"] for q in queries.captured_queries if "audit_logs" in q["sql"]]


def actions():
    return [(row.action, row.details.get("rolled_back", False)) for row in AuditLog.objects.order_by("created_at", "id")]


@pytest.mark.urls("tests.audit.urls")
def test_several_captured_writes_are_one_insert_at_the_end(api, user_a):
    with CaptureQueriesContext(connection) as queries:
        assert api(user_a).post("/test-audit/write-two", format="json").status_code == 201
    (statement,) = audit_statements(queries)
    assert statement.count("SAVEPOINT audit_write") == 2 and "COMMIT" not in statement  # nested in the test's transaction
    assert actions() == [("create", False), ("update", False), ("create", False)]
    first = ResearchSession.objects.get(title="First, renamed")
    update = AuditLog.objects.get(action="update")
    assert update.resource_id == str(first.pk) and update.details["changes"]["title"] == {"old": "First", "new": "First, renamed"}
    assert update.user_id == user_a.id and update.details["via"] == "api"


@pytest.mark.urls("tests.audit.urls")
def test_a_committed_request_sends_its_rows_with_the_commit(committed_db, api, user_a):
    with CaptureQueriesContext(connection) as queries:
        assert api(user_a).post("/test-audit/write-two", format="json").status_code == 201
    (statement,) = audit_statements(queries)
    assert statement.rstrip().endswith("COMMIT")
    # (Django still logs its own "COMMIT" afterwards: psycopg finds the transaction over and sends nothing.)
    assert actions() == [("create", False), ("update", False), ("create", False)]
    assert ResearchSession.objects.filter(user=user_a).count() == 2
    # The connection is back to its own role, with no claims left behind.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user = session_user, current_setting('request.jwt.claims', true)")
        same, claims = cursor.fetchone()
    assert same and not claims


def test_a_committed_patch_is_captured_once(committed_db, api, user_a):
    session = ResearchSession.objects.create(user=user_a, title="Before")
    assert api(user_a).patch(f"{SESSIONS}{session.pk}/", {"title": "After"}, format="json").status_code == 200
    (row,) = AuditLog.objects.filter(resource_id=str(session.pk))
    assert row.action == "update" and row.details["changes"]["title"] == {"old": "Before", "new": "After"}
    assert "rolled_back" not in row.details and row.user_id == user_a.id


@pytest.mark.urls("tests.audit.urls")
def test_a_failed_deferred_insert_leaves_the_request_committed(committed_db, api, user_a, settings, monkeypatch):
    settings.AUDIT_STRICT = False
    monkeypatch.setattr(writer, "_rows_sql", lambda model, rows: ('INSERT INTO "audit_logs" ("id") VALUES (NULL)', []))
    assert api(user_a).post("/test-audit/write-two", format="json").status_code == 201
    assert ResearchSession.objects.filter(user=user_a).count() == 2  # the request's work committed
    # The rows are written again once the transaction is over, marked as not part of it.
    assert actions() == [("create", True), ("update", True), ("create", True)]


@pytest.mark.urls("tests.audit.urls")
def test_a_failed_deferred_insert_is_an_error_when_strict(api, user_a, settings, monkeypatch):
    settings.AUDIT_STRICT = True
    monkeypatch.setattr(writer, "_rows_sql", lambda model, rows: ('INSERT INTO "audit_logs" ("id") VALUES (NULL)', []))
    client = api(user_a)
    with pytest.raises(writer.AuditError):
        client.post("/test-audit/write-two", format="json")
    assert not ResearchSession.objects.exists()

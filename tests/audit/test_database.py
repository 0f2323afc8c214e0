"""The database holds the rules by itself: append-only triggers, RLS, rows outliving their user."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

import audit
from audit.models import AUDIT_MODELS, AnalysisRun, AuditLog, UserActivity
from tests.audit.conftest import run_as

TABLES = [model._meta.db_table for model in AUDIT_MODELS]


def one_row_each(user):
    session = uuid.uuid4()
    audit.record("probe", user=user)
    audit.activity("login", user=user)
    audit.storage("set", session_id=session, key="k", user=user)
    audit.file_upload(file_name="f.csv", size_bytes=1, content_type="text/csv", sha256="0" * 64, stored_at="x", status="stored", user=user)
    with audit.analysis_run(session_id=session, analysis_type="probe", user=user):
        pass
    from audit.services import api_call

    api_call(service="probe", url="http://127.0.0.1/x", method="GET", status_code=200, user=user)


def refused(sql, params=()):
    with pytest.raises(DatabaseError) as info:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
    return str(info.value)


@pytest.mark.parametrize("table", TABLES)
def test_update_and_delete_are_refused_for_the_connection_role(user_a, table):
    one_row_each(user_a)
    assert "append-only" in refused(f"UPDATE {table} SET details = '{{\"forged\": true}}'")
    assert "append-only" in refused(f"DELETE FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] >= 1


def test_the_retention_switch_alone_does_not_open_the_table_to_authenticated(user_a):
    one_row_each(user_a)
    for table in TABLES:
        with pytest.raises(DatabaseError, match="permission denied"):
            run_as(user_a, f"SELECT set_config('audit.retention', 'on', true); DELETE FROM {table}")
        with pytest.raises(DatabaseError, match="permission denied"):
            run_as(user_a, f"UPDATE {table} SET details = '{{}}'")
        with pytest.raises(DatabaseError, match="permission denied"):
            run_as(user_a, f"TRUNCATE {table}")


def test_retention_switch_is_refused_when_the_caller_is_not_the_owner(user_a):
    """Even granted DELETE (and a policy letting it see the rows), a role that does not own the table
    stays refused by the trigger."""
    audit.record("probe", user=user_a)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("GRANT DELETE ON audit_logs TO authenticated")
            cursor.execute("CREATE POLICY probe_delete ON audit_logs FOR DELETE TO authenticated USING (true)")
        with pytest.raises(DatabaseError, match="append-only"):
            run_as(user_a, "SELECT set_config('audit.retention', 'on', true); DELETE FROM audit_logs")
        transaction.set_rollback(True)


def test_a_running_analysis_run_is_completed_once_and_then_frozen(user_a):
    with audit.analysis_run(session_id=uuid.uuid4(), analysis_type="probe", user=user_a) as run:
        pass
    assert "append-only" in refused("UPDATE audit_analysis_runs SET status = 'failed' WHERE id = %s", [run.id])
    assert "append-only" in refused("UPDATE audit_analysis_runs SET status = 'running' WHERE id = %s", [run.id])


def test_a_running_run_cannot_change_anything_but_its_completion(user_a):
    run_id = uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_analysis_runs (id, analysis_type, user_id) VALUES (%s, 'probe', %s)", [run_id, user_a.id])
    assert "append-only" in refused("UPDATE audit_analysis_runs SET status = 'succeeded', analysis_type = 'forged' WHERE id = %s", [run_id])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_analysis_runs SET status = 'succeeded', finished_at = now() WHERE id = %s", [run_id])
    assert AnalysisRun.objects.get(pk=run_id).status == "succeeded"


def test_user_reads_only_own_rows_and_cannot_insert_for_another(user_a, user_b):
    one_row_each(user_a)
    one_row_each(user_b)
    for table in TABLES:
        own = run_as(user_a, f"SELECT DISTINCT user_id FROM {table}")
        assert own == [(user_a.id,)], table
        with pytest.raises(DatabaseError, match="row-level security"):
            run_as(user_a, f"INSERT INTO {table} (user_id) SELECT %s FROM {table} LIMIT 1", [user_b.id])
    # One's own row may be added (a client writing its own activity through PostgREST).
    run_as(user_a, "INSERT INTO audit_user_activities (user_id, activity_type) VALUES (%s, 'page')", [user_a.id])
    with pytest.raises(DatabaseError, match="row-level security"):
        run_as(user_a, "INSERT INTO audit_user_activities (user_id, activity_type) VALUES (NULL, 'page')")


def test_retention_policies_are_not_readable_by_authenticated(user_a):
    with pytest.raises(DatabaseError, match="permission denied"):
        run_as(user_a, "SELECT * FROM retention_policies")


def test_a_deleted_users_rows_stay_with_user_id_null(make_user):
    user = make_user("leaving@example.com")
    one_row_each(user)
    counts = {table: _count(table, user.id) for table in TABLES}
    assert all(counts.values()), counts
    with connection.cursor() as cursor:
        cursor.execute('DELETE FROM "auth"."users" WHERE id = %s', [user.id])
    for table in TABLES:
        assert _count(table, user.id) == 0
    assert AuditLog.objects.filter(action="probe", user=None).exists()
    assert UserActivity.objects.filter(activity_type="signup", user=None).exists()
    # The SET NULL exception is for gone users only: a living user's rows cannot be orphaned by hand.
    other = make_user("staying@example.com")
    assert "append-only" in refused("UPDATE audit_user_activities SET user_id = NULL WHERE user_id = %s", [other.id])


def _count(table, user_id):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE user_id = %s", [user_id])
        return cursor.fetchone()[0]

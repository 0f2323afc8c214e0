"""`manage.py cleanup_retention`: exact survivors, bounded batches, last_run, one summary row."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from audit.models import AuditLog, RetentionPolicy


def add_log(action, age_days, user=None):
    row_id = uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_logs (id, action, user_id, created_at) VALUES (%s, %s, %s, now() - make_interval(days => %s))",
            [row_id, action, user.id if user else None, age_days],
        )
    return row_id


@pytest.fixture
def policies(db):
    """Only the policies a test sets are enabled (a transactional test elsewhere may have flushed the
    defaults)."""
    RetentionPolicy.objects.all().update(enabled=False)

    def set_policy(table, days, enabled=True):
        RetentionPolicy.objects.update_or_create(table_name=table, defaults={"retention_days": days, "enabled": enabled})

    return set_policy


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("cleanup_retention", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_defaults_cover_every_audit_table(db):
    """The data migration's defaults (applied again here: a transactional test elsewhere in the
    session may have flushed the seeded rows)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("audit.migrations.0003_default_retention_policies")
    RetentionPolicy.objects.all().delete()
    migration.add_defaults(apps, None)
    days = dict(RetentionPolicy.objects.values_list("table_name", "retention_days"))
    assert days == {"audit_logs": 365, "audit_user_activities": 365, "audit_file_uploads": 365, "audit_analysis_runs": 365,
                    "audit_api_calls": 90, "audit_data_storage": 90}
    assert all(RetentionPolicy.objects.values_list("enabled", flat=True))


def test_cleanup_deletes_exactly_the_rows_past_retention_in_batches(policies, user_a):
    policies("audit_logs", 30)
    old = {add_log("old", 31 + i, user_a) for i in range(5)}
    young = {add_log("young", 29), add_log("young", 1)}
    out, _ = run("--batch-size", "2")
    assert "audit_logs: deleted 5 rows" in out
    remaining = set(AuditLog.objects.exclude(action="retention_cleanup").values_list("id", flat=True))
    assert young <= remaining and not (old & remaining)
    policy = RetentionPolicy.objects.get(table_name="audit_logs")
    assert policy.last_run is not None and timezone.now() - policy.last_run < timedelta(minutes=1)
    (summary,) = AuditLog.objects.filter(action="retention_cleanup")
    assert summary.resource_type == "retention_policies" and summary.user_id is None
    assert summary.details["deleted"] == 5 and summary.details["batch_size"] == 2
    assert summary.details["tables"]["audit_logs"]["deleted"] == 5


def test_the_retention_switch_does_not_outlive_a_batch(policies):
    policies("audit_logs", 30)
    add_log("old", 40)
    run()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('audit.retention', true)")
        assert cursor.fetchone()[0] in (None, "", "off")


def test_dry_run_changes_nothing(policies):
    policies("audit_logs", 30)
    old = add_log("old", 40)
    out, _ = run("--dry-run")
    assert "audit_logs: 1 rows older than 30 days would be deleted" in out
    assert AuditLog.objects.filter(pk=old).exists()
    assert not AuditLog.objects.filter(action="retention_cleanup").exists()
    assert RetentionPolicy.objects.get(table_name="audit_logs").last_run is None


def test_any_table_with_created_at_is_handled_and_a_missing_one_is_skipped(policies):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE retention_probe (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), created_at timestamptz NOT NULL)")
        cursor.execute("INSERT INTO retention_probe (created_at) SELECT now() - make_interval(days => d) + interval '12 hours' FROM generate_series(1, 10) d")
    policies("retention_probe", 5)
    policies("no_such_table", 5)
    policies("audit_api_calls", 5, enabled=False)
    out, err = run()
    assert "retention_probe: deleted 5 rows" in out
    assert "no_such_table: skipped (table does not exist)" in err
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM retention_probe WHERE created_at > now() - interval '5 days'")
        assert cursor.fetchone()[0] == 5
        cursor.execute("SELECT count(*) FROM retention_probe")
        assert cursor.fetchone()[0] == 5
    summary = AuditLog.objects.get(action="retention_cleanup")
    assert summary.details["tables"]["no_such_table"] == {"retention_days": 5, "skipped": "table does not exist"}
    assert "audit_api_calls" not in summary.details["tables"]


def test_session_storage_has_one_retention_authority_its_own_expiry(db):
    """A table-wide rule from created_at would delete values a user asked to keep for a year, and
    without the per-value `expire` records: the database refuses such a policy."""
    import importlib

    from django.apps import apps
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError, match="retention_policies_not_self_expiring"):
        RetentionPolicy.objects.create(table_name="session_storage", retention_days=30)
    with connection.cursor() as cursor:  # as 0003 once made it, before the constraint
        cursor.execute("ALTER TABLE retention_policies DROP CONSTRAINT retention_policies_not_self_expiring")
        cursor.execute("INSERT INTO retention_policies (id, table_name, retention_days, enabled, created_at, updated_at) "
                       "VALUES (gen_random_uuid(), 'session_storage', 30, true, now(), now())")
    importlib.import_module("audit.migrations.0005_own_retention_tables").drop_policies_of_self_expiring_tables(apps, None)
    assert not RetentionPolicy.objects.filter(table_name="session_storage").exists()


def test_batch_size_must_be_positive(policies):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("--batch-size", "0")

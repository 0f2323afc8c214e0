"""Zero trust: forced RLS (the table owner held to the policies), staff counts, retention only past
each user's preference, the append-only hash-chained log and its verification, refused writes in
the audit trail, and the guardian's health report."""

import json
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditLog
from core import rls
from privacy import services
from privacy.models import FileEvent, PrivacyPrefs, RetentionRun, TelemetryEvent, TransparencyLogEntry
from tests.privacy.conftest import consent

ZERO_TRUST = ["telemetry_events", "privacy_transparency_log", "privacy_prefs"]


def _event(user, days_ago=0, **fields):
    return TelemetryEvent.objects.create(user=user, timestamp=timezone.now() - timedelta(days=days_ago), app_id="code",
                                         event_type="edit", **fields)


def _file(user, days_ago=0, path="/srv/a.py"):
    return FileEvent.objects.create(user=user, timestamp=timezone.now() - timedelta(days=days_ago), file_path=path, event_type="modified")


@pytest.fixture
def two_users(user_a, user_b):
    for user in (user_a, user_b):
        consent(user)
        _event(user)
        services.log(user, "test", "telemetry")
    return user_a, user_b


def _count_as_owner(table: str, claims: dict | None) -> int:
    """Rows of `table` seen by a non-superuser role that owns it (as the connection role would on a
    database where Django's role is not a superuser), with `claims` or none."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks: ALTER TABLE would refuse
        cursor.execute("CREATE ROLE privacy_probe_owner NOLOGIN")
        cursor.execute("GRANT USAGE ON SCHEMA auth TO privacy_probe_owner")
        cursor.execute(f'ALTER TABLE "{table}" OWNER TO privacy_probe_owner')
        cursor.execute("SET LOCAL ROLE privacy_probe_owner")
        cursor.execute("SELECT set_config('request.jwt.claims', %s, true)", [json.dumps(claims) if claims else ""])
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        count = cursor.fetchone()[0]
        transaction.set_rollback(True)  # the owner, the role and the claims all go back
    return count


@pytest.mark.django_db
@pytest.mark.parametrize("table", ZERO_TRUST)
def test_forced_rls_holds_the_table_owner(two_users, table):
    """The owner has no policy of its own: without the user's identity (role `authenticated` and
    the claims, as a request sets them) it reads nothing, with claims alone too."""
    user_a, _ = two_users
    assert _count_as_owner(table, None) == 0
    assert _count_as_owner(table, rls.claims_for(user_a)) == 0


@pytest.mark.django_db
def test_an_unforced_table_is_open_to_its_owner(two_users):
    for user in two_users:
        _file(user)
    assert _count_as_owner("file_events", None) == 2  # the control: owner-only RLS, not forced


@pytest.mark.django_db
def test_forced_in_the_catalog():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)", [ZERO_TRUST])
        assert {row[0]: row[1:] for row in cursor.fetchall()} == dict.fromkeys(ZERO_TRUST, (True, True))


@pytest.mark.django_db
def test_end_user_sees_only_own(two_users):
    user_a, user_b = two_users
    with rls.end_user(rls.claims_for(user_a)):
        assert set(TelemetryEvent.objects.values_list("user_id", flat=True)) == {user_a.pk}
        assert set(PrivacyPrefs.objects.values_list("user_id", flat=True)) == {user_a.pk}
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            TelemetryEvent.objects.create(user=user_b, timestamp=timezone.now(), app_id="x", event_type="y")


@pytest.mark.django_db
def test_staff_see_counts_only(two_users):
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, row_count, user_count FROM public.privacy_zero_trust_counts() ORDER BY 1")
        assert cursor.fetchall() == [("privacy_prefs", 2, 2), ("privacy_transparency_log", 2, 2), ("telemetry_events", 2, 2)]


@pytest.mark.django_db
def test_end_users_cannot_run_the_staff_functions(user_a):
    for function in ("cleanup_telemetry_by_retention()", "privacy_zero_trust_counts()"):
        with rls.end_user(rls.claims_for(user_a)):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM public.{function}")


@pytest.mark.django_db
def test_retention_deletes_only_what_it_may(user_a, user_b, make_user):
    consent(user_a, data_retention_days=7)
    consent(user_b, data_retention_days=30)
    no_prefs = make_user()
    old_a, new_a = _event(user_a, 10), _event(user_a, 3)
    old_b, older_b = _event(user_b, 10), _event(user_b, 40)
    old_file_a = _file(user_a, 8)
    kept_no_prefs = _event(no_prefs, 400)
    with connection.cursor() as cursor:
        cursor.execute("SELECT users, telemetry_deleted, file_events_deleted FROM public.cleanup_telemetry_by_retention()")
        assert cursor.fetchone() == (2, 2, 1)
    left = set(TelemetryEvent.objects.values_list("pk", flat=True))
    assert left == {new_a.pk, old_b.pk, kept_no_prefs.pk}
    assert old_a.pk not in left and older_b.pk not in left and not FileEvent.objects.filter(pk=old_file_a.pk).exists()
    logged = TransparencyLogEntry.objects.get(user=user_a, action="retention_delete")
    assert logged.metadata == {"telemetry_events": 1, "file_events": 1}
    assert RetentionRun.objects.get().telemetry_deleted == 2
    with connection.cursor() as cursor:  # again: nothing more to delete
        cursor.execute("SELECT users, telemetry_deleted FROM public.cleanup_telemetry_by_retention()")
        assert cursor.fetchone() == (0, 0)


@pytest.mark.django_db
def test_retention_task(user_a):
    from privacy.tasks import cleanup_telemetry

    consent(user_a, data_retention_days=1)
    _event(user_a, 2)
    assert cleanup_telemetry() == {"users": 1, "telemetry_deleted": 1, "file_events_deleted": 0}


def _chain(user, count=4):
    for index in range(count):
        services.log(user, "prefs_changed", "privacy_prefs", metadata={"n": index})


@pytest.mark.django_db
def test_chain_is_linked(user_a, user_b):
    _chain(user_a)
    _chain(user_b, 2)
    rows = list(TransparencyLogEntry.objects.filter(user=user_a).order_by("position"))
    assert [row.position for row in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == "" and all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))
    assert services.verify_chain(user_a) == {"valid": True, "entries": 4, "broken_at": None, "reason": ""}


@pytest.mark.django_db
def test_log_is_append_only(user_a):
    _chain(user_a, 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TransparencyLogEntry.objects.filter(user=user_a).update(action="nothing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TransparencyLogEntry.objects.filter(user=user_a).delete()
    user_a.delete()  # the account's deletion takes its log with it
    assert not TransparencyLogEntry.objects.exists()


def _as_superuser(sql, params):
    """What only a superuser can do: change the log with its triggers off."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = origin")


@pytest.mark.django_db
def test_verification_finds_an_edited_row(api, user_a):
    _chain(user_a)
    _as_superuser("UPDATE privacy_transparency_log SET metadata = '{\"n\": 99}' WHERE user_id = %s AND position = 2", [user_a.pk])
    body = api(user_a).get("/api/v1/privacy/log/verify").json()
    assert body["valid"] is False and body["broken_at"] == 2 and "changed after" in body["reason"]


@pytest.mark.django_db
def test_verification_finds_a_deleted_row(api, user_a):
    _chain(user_a)
    _as_superuser("DELETE FROM privacy_transparency_log WHERE user_id = %s AND position = 3", [user_a.pk])
    body = api(user_a).get("/api/v1/privacy/log/verify").json()
    assert body == {"valid": False, "entries": 3, "broken_at": 4, "reason": "The entry before this one was deleted or changed."}


@pytest.mark.django_db
def test_verification_finds_a_rehashed_row(api, user_a):
    """Editing a row and recomputing its own hash still breaks the link to the next one."""
    _chain(user_a)
    _as_superuser("""UPDATE privacy_transparency_log SET action = 'forged',
                     row_hash = public.privacy_log_row_hash(prev_hash, user_id, position, 'forged', resource, resource_id,
                                                            old_value_hash, new_value_hash, metadata, timestamp)
                     WHERE user_id = %s AND position = 2""", [user_a.pk])
    assert api(user_a).get("/api/v1/privacy/log/verify").json()["broken_at"] == 3


@pytest.mark.django_db
@pytest.mark.urls("tests.privacy.rls_urls")
def test_a_refused_write_is_in_the_audit_trail(api, user_a, user_b):
    response = api(user_a).post("/api/v1/privacy/test-write", {"user_id": str(user_b.pk)}, format="json")
    assert response.status_code == 404
    assert not TelemetryEvent.objects.exists()
    entry = AuditLog.objects.get(action="rls_violation")
    assert entry.user_id == user_a.pk and entry.resource_type == "telemetry_events"
    assert entry.details["operation"] == "POST"


@pytest.mark.django_db
def test_audit_rls_violation_as_rpc(user_a, user_b):
    with rls.end_user(rls.claims_for(user_a)), connection.cursor() as cursor:
        cursor.execute("SELECT public.audit_rls_violation('telemetry_events', %s, 'INSERT')", [user_b.pk])
    entry = AuditLog.objects.get(action="rls_violation")
    assert entry.user_id == user_a.pk and entry.resource_id == str(user_b.pk)
    assert entry.details == {"table": "telemetry_events", "attempted_user_id": str(user_b.pk), "operation": "INSERT"}


@pytest.mark.django_db
def test_health_check(api, user_a):
    body = api(user_a).get("/api/v1/privacy/health").json()
    assert body["redaction_trigger"] == {"present": True, "self_test": True}
    assert body["tables"] == dict.fromkeys(ZERO_TRUST, {"rls_enabled": True, "rls_forced": True})
    assert body["dropped_last_24h"] == {"allowlist": 0, "signal": 0, "sampling": 0} and body["scope"] == "own"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM public.cleanup_telemetry_by_retention()")
    assert services.health()["last_retention_run"]["telemetry_deleted"] == 0


@pytest.mark.django_db
def test_health_check_notices_a_disabled_trigger(user_a):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE telemetry_events DISABLE TRIGGER USER")
        try:
            assert services.health()["redaction_trigger"]["present"] is False
        finally:
            cursor.execute("ALTER TABLE telemetry_events ENABLE TRIGGER USER")

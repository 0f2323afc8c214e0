"""Seed 002's `audit_log` (id, user_id, action, meta, ts): a read-only view over `audit_logs`, under
the reader's row-level security."""

import json

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.models import AuditLog
from core import rls

pytestmark = pytest.mark.django_db


def test_it_maps_audit_logs(user_a):
    row = AuditLog.objects.create(user=user_a, action="export", resource_type="report", resource_id="42", details={"rows": 3})
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, user_id, action, meta::text, ts FROM audit_log WHERE id = %s", [row.pk])
        found = cursor.fetchone()
    assert found[:3] + (json.loads(found[3]), found[4]) == (
        row.pk, user_a.pk, "export", {"rows": 3, "resource_type": "report", "resource_id": "42"}, row.created_at)


def test_each_user_reads_only_their_own(user_a, user_b):
    AuditLog.objects.create(user=user_a, action="a")
    AuditLog.objects.create(user=user_b, action="b")
    with rls.end_user(rls.claims_for(user_a)), connection.cursor() as cursor:
        cursor.execute("SELECT action FROM audit_log")
        assert cursor.fetchall() == [("a",)]


@pytest.mark.parametrize("statement", [
    "INSERT INTO audit_log (id, user_id, action, meta, ts) VALUES (gen_random_uuid(), NULL, 'x', '{}', now())",
    "UPDATE audit_log SET action = 'changed'",
    "DELETE FROM audit_log",
])
def test_it_is_read_only_even_for_the_table_owner(user_a, statement):
    AuditLog.objects.create(user=user_a, action="kept")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["kept"]

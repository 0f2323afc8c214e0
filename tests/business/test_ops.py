"""Seed 002's monitoring functions are staff-only in the database itself; the metrics job samples
into metrics_log; the System page shows both to staff alone."""

import json

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from business import ops, tasks
from business.models import MetricsLog
from core import rls

pytestmark = pytest.mark.django_db

FUNCTIONS = ["get_table_sizes()", "get_index_usage()", "system_healthcheck()"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_end_users_and_anon_may_not_execute_them(function, user_a):
    with pytest.raises(DatabaseError, match="permission denied for function"), rls.end_user(rls.claims_for(user_a)):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {function}")
    with pytest.raises(DatabaseError, match="permission denied for function"), rls.request_transaction():
        rls.act_as_anon()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {function}")


def test_no_public_execute_grant_is_left():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, r.rolname FROM pg_proc p CROSS JOIN unnest(ARRAY['public', 'anon', 'authenticated']) AS r(rolname) "
            "WHERE p.proname IN ('get_table_sizes', 'get_index_usage', 'system_healthcheck') "
            "AND (CASE WHEN r.rolname = 'public' THEN has_function_privilege('public', p.oid, 'EXECUTE') "
            "          ELSE has_function_privilege(r.rolname, p.oid, 'EXECUTE') END)")
        assert cursor.fetchall() == []


def test_staff_read_sizes_indexes_and_health():
    sizes = {row["table_name"]: row for row in ops.table_sizes()}
    assert sizes["subscriptions"]["total_bytes"] > 0
    assert {"table_bytes", "index_bytes", "row_estimate"} <= set(sizes["subscriptions"])
    assert any(row["index_name"] == "subscriptions_user_new" for row in ops.index_usage())
    health = ops.healthcheck()
    assert health["status"] == "ok" and health["problems"] == []
    assert health["max_connections"] >= health["connections"] >= 1


def test_readyz_reads_the_database_health(client):
    response = Client().get("/readyz")
    assert response.json()["checks"]["database"] == "ok"


def test_the_metrics_job_samples_queue_sizes_and_ingest():
    assert tasks.record_metrics() == 3
    assert tasks.record_metrics() == 3
    samples = {source: [row.metric for row in MetricsLog.objects.filter(source=source)]
               for source in ("queue", "table_sizes", "ingest")}
    assert all(len(rows) == 2 for rows in samples.values())
    largest = samples["table_sizes"][0]
    assert 0 < len(largest) <= 20 and all(size > 0 for size in largest.values())
    ordered = sorted(MetricsLog.objects.filter(source="ingest"), key=lambda row: row.ts)
    assert [row.metric for row in ordered] == [{"events_today": 0, "events_per_minute": None},
                                              {"events_today": 0, "events_per_minute": 0.0}]
    json.dumps(samples)  # plain JSON


def test_the_system_page_is_for_staff_only(admin_client, user_a, pages):
    tasks.record_metrics()
    page = admin_client.get("/admin/system/")
    assert page.status_code == 200
    html = page.content.decode()
    for testid in ("health-status", "mrr-churn", "chart-table-sizes", "chart-queue", "chart-ingest"):
        assert f'data-testid="{testid}"' in html
    assert pages(user_a).get("/admin/system/").status_code == 302  # to the admin's login
    assert Client().get("/admin/system/").status_code == 302


def test_readyz_reports_what_the_health_check_finds(client):
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("""CREATE OR REPLACE FUNCTION public.system_healthcheck() RETURNS jsonb LANGUAGE sql
                          AS $$ SELECT '{"status": "degraded", "problems": ["99 of 100 connections in use"]}'::jsonb $$""")
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "99 of 100 connections in use"

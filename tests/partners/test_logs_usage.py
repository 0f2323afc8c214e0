"""Request logs (redacted, bounded, newest first) and the usage summary, compared with a count of the
raw rows (partners.usage_reference) on the same data."""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from core import rls
from partners import services
from partners.models import RequestLog
from partners.usage_reference import RAW_USAGE_SUMMARY
from tests.partners.conftest import event, key_client


def test_partner_requests_are_logged_with_secrets_redacted(partner_a, key_a):
    client = key_client(key_a)
    client.post("/api/v1/ingest/events", event(data={"password": "hunter2", "note": f"my key is {key_a}", "ok": 1}),
                format="json", HTTP_USER_AGENT="sdk/1.2")
    client.get("/api/v1/partner/usage?days=3")

    ingest_log, usage_log = RequestLog.objects.order_by("created_at")
    assert (ingest_log.endpoint, ingest_log.method, ingest_log.status) == ("/api/v1/ingest/events", "POST", 201)
    assert ingest_log.user_agent == "sdk/1.2" and ingest_log.ip_address == "127.0.0.1" and ingest_log.duration >= 0
    logged = json.dumps(ingest_log.request_body)
    assert "hunter2" not in logged and key_a not in logged and "[redacted]" in logged
    assert ingest_log.request_body["data"]["ok"] == 1
    assert ingest_log.response_body == {"received": 1, "stored": 1, "duplicates": []}
    assert usage_log.status == 200 and usage_log.request_body is None


def test_logged_bodies_are_bounded(partner_a, key_a):
    key_client(key_a).post("/api/v1/ingest/events", {"batch": [event(data={"blob": "x" * 5000})] * 10}, format="json")
    body = RequestLog.objects.get().request_body
    assert body["truncated"] is True and len(body["text"]) == services.MAX_LOGGED_BODY


def test_refused_requests_are_logged_too(partner_a, key_a):
    key_client(key_a).post("/api/v1/ingest/events", event(event_type=""), format="json")
    assert RequestLog.objects.get().status == 400


def test_owner_reads_logs_newest_first_with_limit_and_offset(partner_a, key_a, user_a, api):
    client = key_client(key_a)
    for days in range(1, 6):
        client.get(f"/api/v1/partner/usage?days={days}")
    response = api(user_a).get("/api/v1/partner/logs", {"limit": 2, "offset": 1}).json()
    assert response["count"] == 5
    assert [r["endpoint"] for r in response["results"]] == ["/api/v1/partner/usage"] * 2
    newest = api(user_a).get("/api/v1/partner/logs").json()["results"]
    assert [r["created_at"] for r in newest] == sorted((r["created_at"] for r in newest), reverse=True)
    assert set(newest[0]) == {"id", "endpoint", "method", "status", "duration", "created_at"}
    assert api(user_a).get("/api/v1/partner/logs", {"limit": 1001}).json()["results"]  # capped, not refused


def _generate(partner, days: int, seed: int):
    """Events and insights over `days` days, at random times of day, including today."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        for offset in range(days):
            day = (now - timedelta(days=offset)).replace(hour=0, minute=0, second=0, microsecond=0)
            count = rng.randint(1, 12)
            cursor.execute(
                    """INSERT INTO ingestion_events (id, partner_id, event_type, data, source, version, created_at)
                       SELECT gen_random_uuid(), %s, 'e', '{}'::jsonb, 's', '1', %s + random() * interval '23 hours'
                       FROM generate_series(1, %s)""", [partner.pk, day, count])
            if rng.random() < 0.5:
                cursor.execute(
                    """INSERT INTO insights (id, partner_id, model_id, content, created_at)
                       SELECT gen_random_uuid(), %s, (SELECT id FROM models LIMIT 1), '{}'::jsonb, %s + interval '1 hour'""",
                    [partner.pk, day])


@pytest.mark.parametrize("days", [1, 7, 30, 45])
def test_usage_summary_equals_the_count_of_raw_rows(partner_a, partner_b, user_a, api, days):
    _generate(partner_a, 50, seed=1)
    _generate(partner_b, 50, seed=2)  # another partner's rows must not count
    # a row deleted later leaves the rollup exact
    with connection.cursor() as cursor:
        cursor.execute("""DELETE FROM ingestion_events WHERE id IN (SELECT id FROM ingestion_events
                          WHERE partner_id = %s AND created_at < now() - interval '3 days' LIMIT 5)""", [partner_a.pk])

    with rls.end_user(rls.claims_for(user_a)), connection.cursor() as cursor:
        cursor.execute(RAW_USAGE_SUMMARY, {"days": days})
        expected = [{"date": d.isoformat(), "event_count": e, "insight_count": i} for d, e, i in cursor.fetchall()]

    response = api(user_a).get("/api/v1/partner/usage", {"days": days})
    assert response.status_code == 200
    assert response.json() == expected
    assert len(expected) == days and any(row["event_count"] for row in expected)


def test_usage_days_are_validated(user_a, partner_a, api):
    for bad in ["0", "367", "many"]:
        response = api(user_a).get("/api/v1/partner/usage", {"days": bad})
        assert response.status_code == 400 and "days" in response.json()["error"]["fields"]


def test_usage_reads_only_the_rollup(user_a, partner_a, api):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        api(user_a).get("/api/v1/partner/usage")
    assert not any("ingestion_events" in q["sql"] for q in captured)
    assert any("partner_usage_daily" in q["sql"] for q in captured)


def test_large_bodies_are_cut_then_redacted_as_text(partner_a, key_a):
    batch = [event(data={"api_token": "tok-123", "note": key_a})] + [event(data={"blob": "x" * 5000})] * 3
    key_client(key_a).post("/api/v1/ingest/events", {"batch": batch}, format="json")
    text = RequestLog.objects.get().request_body["text"]
    assert "tok-123" not in text and key_a not in text and text.count("[redacted]") == 2

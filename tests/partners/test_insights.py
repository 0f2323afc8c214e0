"""Built-in insight models on known data with known answers."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from partners import insights
from partners.models import Insight, PredictionModel

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def add_events(partner, when, count, event_type="page_view"):
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO ingestion_events (id, partner_id, event_type, data, source, version, created_at)
               SELECT gen_random_uuid(), %s, %s, '{}'::jsonb, 'test', '1', %s FROM generate_series(1, %s)""",
            [partner.pk, event_type, when, count],
        )


def test_builtin_models_are_registered(db):
    names = set(PredictionModel.objects.values_list("name", flat=True))
    assert {"daily_volume_anomaly", "top_event_types_trend"} <= names


def test_daily_volume_anomaly_flags_the_spike(partner_a):
    for offset in range(1, 44):  # a steady 10/day, alternating 9 and 11 so std > 0
        add_events(partner_a, NOW - timedelta(days=offset), 9 if offset % 2 else 11)
    add_events(partner_a, NOW, 40)  # today: a spike

    content = insights.daily_volume_anomaly(partner_a, NOW)

    assert content["window_days"] == 14 and len(content["days"]) == 30
    today = content["days"][-1]
    assert today["day"] == "2026-06-30" and today["count"] == 40
    assert today["mean"] == 10.0 and today["std"] == 1.0 and today["z"] == 30.0
    assert [a["day"] for a in content["anomalies"]] == ["2026-06-30"]


def test_daily_volume_anomaly_zero_fills_missing_days(partner_a):
    content = insights.daily_volume_anomaly(partner_a, NOW)
    assert all(day["count"] == 0 and day["z"] is None and not day["anomaly"] for day in content["days"])


def test_top_event_types_trend(partner_a, partner_b):
    add_events(partner_a, NOW - timedelta(days=1), 60, "page_view")
    add_events(partner_a, NOW - timedelta(days=2), 30, "click")
    add_events(partner_a, NOW - timedelta(days=3), 10, "signup")
    add_events(partner_a, NOW - timedelta(days=9), 40, "page_view")  # previous period
    add_events(partner_a, NOW - timedelta(days=10), 40, "click")
    add_events(partner_b, NOW - timedelta(days=1), 500, "page_view")  # another partner: ignored

    content = insights.top_event_types_trend(partner_a, NOW)

    assert (content["current_total"], content["previous_total"]) == (100, 80)
    assert content["types"] == [
        {"event_type": "page_view", "count": 60, "share": 0.6, "previous_count": 40, "change": 0.5},
        {"event_type": "click", "count": 30, "share": 0.3, "previous_count": 40, "change": -0.25},
        {"event_type": "signup", "count": 10, "share": 0.1, "previous_count": 0, "change": None},
    ]


def test_generate_endpoint_stores_one_insight_per_model(user_a, partner_a, api):
    add_events(partner_a, NOW, 5)
    client = api(user_a)
    response = client.post("/api/v1/partner/insights/generate", {}, format="json")
    assert response.status_code == 201, response.content
    assert sorted(i["model"]["name"] for i in response.json()) == ["daily_volume_anomaly", "top_event_types_trend"]
    assert Insight.objects.filter(partner=partner_a).count() == 2

    one = client.post("/api/v1/partner/insights/generate", {"models": ["top_event_types_trend"]}, format="json")
    assert one.status_code == 201 and len(one.json()) == 1
    bad = client.post("/api/v1/partner/insights/generate", {"models": ["astrology"]}, format="json")
    assert bad.status_code == 400 and "models" in bad.json()["error"]["fields"]

    listed = client.get("/api/v1/partner/insights").json()
    assert listed["count"] == 3 and listed["results"][0]["content"]["kind"] in {"daily_volume_anomaly", "top_event_types_trend"}


def test_generate_insights_command(partner_a, partner_b, capsys):
    add_events(partner_a, NOW, 3)
    call_command("generate_insights", "--model", "daily_volume_anomaly")
    assert Insight.objects.count() == 2  # one per partner
    call_command("generate_insights", "--partner", str(partner_a.pk))
    assert Insight.objects.filter(partner=partner_a).count() == 3
    assert capsys.readouterr().out.splitlines() == ["Stored 2 insights for 2 partners.", "Stored 2 insights for 1 partners."]
    with pytest.raises(CommandError, match="invalid choice: 'astrology'"):
        call_command("generate_insights", "--model", "astrology")
    with pytest.raises(CommandError, match="No partner"):
        call_command("generate_insights", "--partner", str(uuid.uuid4()))

"""`manage.py load_demo` and the demo-data registry (`core.demo`): every product filled for the demo
user, the same rows however often it runs, nothing about to expire, a re-run refreshing what would,
and every product's rows visible to the demo user through the pages."""

import io
import re
from datetime import timedelta

import pandas as pd
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts import services as accounts
from chat import demo as chat_demo
from chat.ga4 import demo as demo_property
from chat.models import ChatMessage, ChatSession, GA4Credential
from core import demo
from partners import demo as partners_demo
from partners import services as partner_services
from partners.models import ApiKey, IngestionEvent, Insight, Partner
from sessions_app import demo as sessions_demo
from sessions_app.models import AnalysisSession, AnalysisStatus, ResearchSession, StoredValue
from sessions_app.storage import SessionStorage
from workflows import demo as workflows_demo

pytestmark = pytest.mark.django_db
KEY = re.compile(r"epai_[A-Za-z0-9_\-]{20,}")
TABLES = ["research_sessions", "draft_files", "analysis_sessions", "session_storage", "partners", "api_keys",
          "ingestion_events", "insights", "ga4_credentials", "chat_sessions", "chat_messages",
          "analytics_events", "spend", "metrics_daily", "utm_tracks", "cohorts",
          "feature_flags", "offers", "subscriptions"]


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Row counts, the rollup's sums, and what the rows hold (not their ids or times)."""
    with connection.cursor() as cursor:
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT sum(event_count), sum(insight_count) FROM partner_usage_daily")
        counts["usage"] = cursor.fetchone()
    return {
        "counts": counts,
        "events": list(IngestionEvent.objects.order_by("client_event_id").values_list("client_event_id", "event_type", "data", "created_at")),
        "values": sorted(StoredValue.objects.values_list("storage_key", "value_type", "size_bytes")),
        "messages": list(ChatMessage.objects.order_by("created_at").values_list("role", "status", "content")),
        "insights": sorted(Insight.objects.values_list("created_at", "model__name")),
    }


def demo_user():
    return accounts.find_by_email("demo@example.com")


def test_every_installed_app_with_demo_data_declares_it_in_order():
    assert [(p.app_label, p.load.__module__) for p in demo.providers()] == [
        ("sessions_app", "sessions_app.demo"), ("partners", "partners.demo"), ("chat", "chat.demo"),
        ("organizations", "organizations.demo"), ("workflows", "workflows.demo"), ("privacy", "privacy.demo"),
        ("growth", "growth.demo"), ("business", "business.demo"),
    ]
    assert [p.app_label for p in demo.providers()] == [label for label in (a.split(".")[0] for a in settings.INSTALLED_APPS)
                                                       if label in {"sessions_app", "partners", "chat", "organizations", "workflows", "privacy", "growth", "business"}]


def test_twice_on_an_empty_database_is_the_same_state():
    first_output = load_demo()
    first = snapshot()
    second_output = load_demo()
    assert snapshot() == first

    counts = first["counts"]
    assert counts["research_sessions"] == 3 and counts["analysis_sessions"] == 1 and counts["partners"] == 1
    # The demo workflow's ask_chat step asked once in a chat session of its own.
    assert counts["session_storage"] == 8 and counts["ga4_credentials"] == 1 and counts["chat_sessions"] == 2
    assert counts["chat_messages"] == 2 * len(chat_demo.QUESTIONS) + 2
    assert counts["usage"] == (counts["ingestion_events"], counts["insights"])  # the rollup kept by the ingestion's triggers
    assert counts["insights"] == 2 * partners_demo.SHOWN_DAYS
    # The key's plaintext: once, when it was made.
    (plaintext,) = KEY.findall(first_output)
    assert not KEY.findall(second_output) and "API key epai_" in second_output
    assert ApiKey.objects.get().key_hash == partner_services.keys.hash_key(plaintext)


def test_nothing_expires_soon():
    load_demo()
    now = timezone.now()
    user = demo_user()
    session = AnalysisSession.objects.get(user=user)
    assert session.status == AnalysisStatus.ACTIVE
    assert session.expires_at >= now + timedelta(seconds=settings.SESSION_STORAGE["SESSION_IDLE_TTL"]) - timedelta(minutes=5)
    max_ttl = timedelta(seconds=settings.SESSION_STORAGE["MAX_TTL"])
    assert all(expires >= now + max_ttl - timedelta(minutes=5) for expires in StoredValue.objects.values_list("expires_at", flat=True))
    key = ApiKey.objects.get()
    assert partner_services.key_status(key) == "active" and key.expires_at > now + partners_demo.KEY_RENEWAL
    credential = GA4Credential.objects.get(user=user)
    assert (credential.status, credential.is_demo, credential.refresh_token, credential.access_token) == ("active", True, None, None)
    usage = partner_services.usage(Partner.objects.get(user=user), partners_demo.SHOWN_DAYS)
    assert all(day["event_count"] > 0 and day["insight_count"] == 2 for day in usage)


def test_a_run_refreshes_what_would_expire_and_restores_what_went():
    load_demo()
    user = demo_user()
    session = AnalysisSession.objects.get(user=user)
    soon = timezone.now() + timedelta(hours=1)
    StoredValue.objects.filter(storage_key="revenue chart").update(expires_at=soon)
    StoredValue.objects.filter(storage_key="sales").update(expires_at=timezone.now() - timedelta(seconds=1))  # gone
    AnalysisSession.objects.filter(pk=session.pk).update(status=AnalysisStatus.EXPIRED, expires_at=timezone.now())
    ApiKey.objects.update(expires_at=timezone.now() + timedelta(days=2))
    partner = Partner.objects.get(user=user)
    yesterday = timezone.now() - timedelta(days=1)
    IngestionEvent.objects.filter(partner=partner, created_at__date=yesterday.date()).delete()
    Insight.objects.filter(partner=partner, created_at__date=yesterday.date()).delete()
    GA4Credential.objects.filter(user=user).update(status=GA4Credential.Status.REVOKED)
    ChatMessage.objects.filter(role=ChatMessage.Role.ASSISTANT).update(status=ChatMessage.Status.ERROR, content={}, error="failed")
    before = snapshot()

    output = load_demo()

    after = snapshot()
    assert after["counts"]["ingestion_events"] > before["counts"]["ingestion_events"]
    assert after["counts"]["insights"] == before["counts"]["insights"] + 2
    assert after["counts"]["usage"] == (after["counts"]["ingestion_events"], after["counts"]["insights"])
    assert len(KEY.findall(output)) == 1  # a key due to expire is replaced, and the new one shown once
    storage = SessionStorage(AnalysisSession.objects.get(pk=session.pk))
    assert storage.get("sales").equals(sessions_demo.weekly_sales())
    assert all(e.expires_at > timezone.now() + timedelta(days=300) for e in storage.entries())
    assert AnalysisSession.objects.get(pk=session.pk).status == AnalysisStatus.ACTIVE
    assert GA4Credential.objects.get(user=user).status == GA4Credential.Status.ACTIVE
    assert set(ChatMessage.objects.filter(role=ChatMessage.Role.ASSISTANT, session__title=chat_demo.CHAT_TITLE)
               .values_list("status", flat=True)) == {"complete"}


def test_the_demo_user_sees_every_product_through_the_pages(pages):
    load_demo()
    user = demo_user()
    client = pages(user)
    analysis = AnalysisSession.objects.get(user=user)
    chat = ChatSession.objects.get(user=user, title=chat_demo.CHAT_TITLE)
    research = ResearchSession.objects.get(user=user, title="Churn drivers, Q3")
    expected = {
        "/": ["Market sizing for EU analytics", "Churn drivers, Q3", "Pricing page experiment"],
        f"/research/{research.pk}/": ["report.md"],
        "/analysis/": [sessions_demo.ANALYSIS_NAME],
        f"/analysis/{analysis.pk}/": ["sales summary", "revenue chart", "orders by region", "revenue sparkline", "warehouse token"],
        f"/analysis/{analysis.pk}/values/sales/": ["revenue", "orders"],
        f"/analysis/{analysis.pk}/values/revenue chart/": ["vega-lite"],
        f"/analysis/{analysis.pk}/values/orders by region/": ["Orders per week and region"],
        f"/analysis/{analysis.pk}/values/revenue sparkline/": ["data:image/svg+xml;base64,"],
        "/partner/": ["Demo Analytics Ltd", 'data-testid="key-status">active', "daily_volume_anomaly", "top_event_types_trend"],
        "/chat/": [chat_demo.CHAT_TITLE],
        f"/chat/{chat.pk}/": [*chat_demo.QUESTIONS, "By device category, desktop leads"],
        "/chat/ga4/": [demo_property.PROPERTY_NAME],
        "/workflows/": [workflows_demo.NAME],
        "/workflows/executions/?status=succeeded": [workflows_demo.NAME],
        "/privacy/": ["chain intact", "[REDACTED_EMAIL]", "/home/[USER]/shop", "vscode"],
    }
    for url, texts in expected.items():
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        for text in texts:
            assert text.replace("'", "&#x27;") in body, (url, text)
    usage = partner_services.usage(Partner.objects.get(user=user), partners_demo.SHOWN_DAYS)
    assert f"{sum(day['event_count'] for day in usage)} events" in client.get("/partner/").content.decode()


def test_the_demo_frame_is_the_one_stored():
    load_demo()
    storage = SessionStorage(AnalysisSession.objects.get())
    pd.testing.assert_frame_equal(storage.get("sales summary"), storage.get("sales").describe())
    assert [e.is_encrypted for e in storage.entries() if e.key == "warehouse token"] == [True]

"""The privacy guardian's lists, preferences, gate counts and ingestion: user B never sees or
changes user A's rows — with the application's scoping and with it switched off."""

import json
import uuid

import pytest
from django.utils import timezone

from privacy.models import PrivacyPrefs, TelemetryEvent
from privacy.services import log
from tests.isolation.resources import PRIVACY_FEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture(params=PRIVACY_FEEDS, ids=lambda feed: feed[0]._meta.db_table)
def feed(request):
    return request.param


def _make(feed, owner):
    model, fields, _ = feed
    if model._meta.db_table == "privacy_transparency_log":
        return log(owner, "prefs_changed", "privacy_prefs")
    return model.objects.create(user=owner, **fields())


def test_lists_show_own_rows_only(layers, feed, user_a, user_b, api):
    a_row, b_row = _make(feed, user_a), _make(feed, user_b)
    response = api(user_b).get(feed[2])
    assert response.status_code == 200
    seen = {row["id"] for row in response.json()["results"]}
    assert seen == {str(b_row.pk)} and str(a_row.pk) not in seen


def test_prefs_are_ones_own(layers, user_a, user_b, api, pages):
    PrivacyPrefs.objects.create(user=user_a, consent_given=True, monitoring_enabled=True, data_retention_days=11)
    assert api(user_b).get("/api/v1/privacy/prefs").json()["data_retention_days"] == 90  # B's defaults
    assert api(user_b).patch("/api/v1/privacy/prefs", {"data_retention_days": 5}, format="json").status_code == 200
    assert pages(user_b).post("/privacy/prefs/", {"data_retention_days": "6"}).status_code == 302
    assert PrivacyPrefs.objects.get(user=user_a).data_retention_days == 11
    assert PrivacyPrefs.objects.get(user=user_b).data_retention_days == 6


def test_gate_counts_and_chain_are_ones_own(layers, user_a, user_b, api):
    from tests.privacy.conftest import consent

    consent(user_a)
    batch = {"telemetry": [{"id": str(uuid.uuid4()), "timestamp": timezone.now().isoformat(), "app_id": "x", "event_type": "e"}]}
    api(user_a).post("/api/v1/privacy/ingest", json.dumps(batch), content_type="application/json")
    assert api(user_a).get("/api/v1/privacy/health").json()["dropped_last_24h"]["allowlist"] == 1
    assert api(user_b).get("/api/v1/privacy/health").json()["dropped_last_24h"]["allowlist"] == 0
    log(user_a, "prefs_changed", "privacy_prefs")
    assert api(user_b).get("/api/v1/privacy/log/verify").json()["entries"] == 0


def test_delete_my_telemetry_deletes_only_mine(layers, user_a, user_b, api):
    for user in (user_a, user_b):
        TelemetryEvent.objects.create(user=user, timestamp=timezone.now(), app_id="code", event_type="edit")
    assert api(user_b).delete("/api/v1/privacy/telemetry").json() == {"telemetry_events": 1, "file_events": 0}
    assert list(TelemetryEvent.objects.values_list("user_id", flat=True)) == [user_a.pk]

"""The other apps' work reaches the trail through the public API: session storage writes, analysis
runs (also a failing one) and what the API and pages do with them."""

import json

import pandas as pd
import pytest

from audit.models import AnalysisRun, AuditLog, DataStorage
from sessions_app import services
from sessions_app.models import AnalysisSession
from sessions_app.storage import SessionStorage


@pytest.fixture
def analysis(user_a):
    return AnalysisSession.objects.create(user=user_a, name="Audit probe")


def test_a_storage_write_and_read_are_audited_without_the_value(analysis, user_a):
    storage = SessionStorage(analysis)
    storage.set("answer", {"secret-value": "do not log me"})
    assert storage.get("answer") == {"secret-value": "do not log me"}
    rows = list(DataStorage.objects.filter(session_id=analysis.pk).order_by("created_at", "id"))
    assert [r.operation for r in rows][:2] == ["set", "get"]
    written = rows[0]
    assert (written.storage_key, written.user_id) == ("answer", user_a.id) and written.size_bytes
    assert "do not log me" not in json.dumps([r.details for r in rows])


def test_a_storage_write_through_the_api_is_audited(api, analysis, user_a):
    value = {"marker": "value-never-in-the-trail"}
    response = api(user_a).put(f"/api/v1/analysis-sessions/{analysis.pk}/storage/score", {"type": "json", "value": value}, format="json")
    assert response.status_code in (200, 201), response.content
    row = DataStorage.objects.get(session_id=analysis.pk, operation="set")
    assert row.storage_key == "score" and row.user_id == user_a.id and row.request_id == response["X-Request-ID"]
    trail = json.dumps([r.details for r in AuditLog.objects.all()] + [r.details for r in DataStorage.objects.all()])
    assert "value-never-in-the-trail" not in trail


def test_an_analysis_run_succeeds_and_a_failing_one_is_kept(analysis, user_a):
    SessionStorage(analysis).set("frame", pd.DataFrame({"x": [1, 2, 3]}))
    services.describe(analysis, "frame", "summary")
    ok = AnalysisRun.objects.get(session_id=analysis.pk, status="succeeded")
    assert ok.analysis_type == "describe" and ok.result_summary["source_rows"] == 3 and ok.user_id == user_a.id
    with pytest.raises(services.AnalysisRefused):
        services.describe(analysis, "missing", "summary2")
    failed = AnalysisRun.objects.get(session_id=analysis.pk, status="failed")
    assert failed.error.startswith("AnalysisRefused") and failed.parameters == {"source_key": "missing", "target_key": "summary2"}


def test_analysis_session_changes_are_captured(api, user_a):
    response = api(user_a).post("/api/v1/analysis-sessions/", {"name": "Captured", "analysis_type": "forecast"}, format="json")
    assert response.status_code == 201, response.content
    row = AuditLog.objects.get(resource_type="analysis_sessions", action="create")
    assert row.resource_id == response.json()["id"] and row.details["changes"]["name"] == {"new": "Captured"}

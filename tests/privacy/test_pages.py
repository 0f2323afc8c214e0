"""The privacy dashboard: every change through it is logged; MFA requirement; another user's rows 404."""

import pytest

from privacy.models import AllowedApp, DeviceToken, PrivacyPrefs, SignalToggle, TelemetryEvent, TransparencyLogEntry
from tests.privacy.conftest import allow, consent


def actions(user):
    return list(TransparencyLogEntry.objects.filter(user=user).order_by("position").values_list("action", flat=True))


@pytest.mark.django_db
def test_dashboard_flow(pages, user_a):
    client = pages(user_a)
    page = client.get("/privacy/")
    assert page.status_code == 200 and b"not collecting" in page.content
    saved = client.post("/privacy/prefs/", {"consent_given": "on", "monitoring_enabled": "on", "data_retention_days": "30"})
    assert saved.status_code == 302
    prefs = PrivacyPrefs.objects.get(user=user_a)
    assert prefs.consent_given and prefs.monitoring_enabled and prefs.data_retention_days == 30 and prefs.last_reviewed_at
    assert client.post("/privacy/apps/", {"app_id": "code", "app_name": "Code", "scope": "all"}).status_code == 302
    assert client.post("/privacy/apps/", {"app_id": "code", "app_name": "Again", "scope": "all"}).status_code == 409
    app = AllowedApp.objects.get(user=user_a)
    client.post(f"/privacy/apps/{app.pk}/toggle/")
    assert client.post("/privacy/signals/", {"signal_key": "edit", "enabled": "on", "sampling_rate": "0.5"}).status_code == 302
    client.post("/privacy/signals/", {"signal_key": "edit", "sampling_rate": "0.25"})  # changes it
    assert SignalToggle.objects.get(user=user_a).sampling_rate == 0.25
    made = client.post("/privacy/tokens/", {"name": "laptop"})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store" and b"pgd_" in made.content
    client.post(f"/privacy/tokens/{DeviceToken.objects.get(user=user_a).pk}/revoke/")
    client.post("/privacy/telemetry/delete/")
    assert actions(user_a) == ["prefs_changed", "app_added", "app_changed", "signal_added", "signal_changed",
                               "device_token_created", "device_token_revoked", "telemetry_deleted"]
    page = client.get("/privacy/")
    assert b"chain intact" in page.content and b"8 entries verified" in page.content


@pytest.mark.django_db
def test_dashboard_shows_redacted_telemetry(pages, user_a):
    consent(user_a)
    allow(user_a)
    TelemetryEvent.objects.create(user=user_a, timestamp="2026-01-01T00:00:00Z", app_id="code", event_type="edit",
                                  metadata_redacted_json={"password": "hunter2", "who": "ann@example.com"})
    content = pages(user_a).get("/privacy/").content.decode()
    assert "[REDACTED_EMAIL]" in content and "hunter2" not in content and "ann@example.com" not in content


@pytest.mark.django_db
def test_other_users_rows_are_404(pages, user_a, user_b):
    app = allow(user_b)
    assert pages(user_a).post(f"/privacy/apps/{app.pk}/remove/").status_code == 404
    assert AllowedApp.objects.filter(pk=app.pk).exists()


@pytest.mark.django_db
def test_mfa_required_sends_aal1_to_the_code_step(pages, api, user_a):
    consent(user_a, mfa_required=True)
    response = pages(user_a).get("/privacy/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/mfa")
    refused = api(user_a).get("/api/v1/privacy/prefs")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "mfa_required"


@pytest.mark.django_db
def test_mfa_requirement_needs_aal2_to_change(pages, api, user_a):
    response = pages(user_a).post("/privacy/prefs/", {"consent_given": "on", "data_retention_days": "30", "mfa_required": "on"})
    assert response.status_code == 403
    api_response = api(user_a).patch("/api/v1/privacy/prefs", {"mfa_required": True}, format="json")
    assert api_response.status_code == 403
    assert not PrivacyPrefs.objects.filter(user=user_a).exists()


@pytest.mark.django_db
def test_export_built_by_the_job_downloaded_once(pages, api, user_a, user_b):
    import io
    import json
    import zipfile

    from privacy.models import PrivacyExport
    from privacy.tasks import build_export

    consent(user_a)
    allow(user_a)
    TelemetryEvent.objects.create(user=user_a, timestamp="2026-01-01T00:00:00Z", app_id="code", event_type="edit",
                                  metadata_redacted_json={"who": "ann@example.com"})
    client = pages(user_a)
    assert client.post("/privacy/exports/").status_code == 302
    export = PrivacyExport.objects.get(user=user_a)
    assert export.status == "pending"
    build_export(str(export.pk), str(user_a.pk))  # what the worker runs
    assert pages(user_b).post(f"/privacy/exports/{export.pk}/download/").status_code == 404
    response = client.post(f"/privacy/exports/{export.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"privacy_prefs.json", "telemetry_events.csv", "privacy_transparency_log.json", "chain.json"} <= set(archive.namelist())
    assert json.loads(archive.read("telemetry_events.json"))[0]["metadata_redacted_json"] == {"who": "[REDACTED_EMAIL]"}
    assert client.post(f"/privacy/exports/{export.pk}/download/").status_code == 404  # once
    assert api(user_a).get(f"/api/v1/privacy/exports/{export.pk}/download").status_code == 404
    export.refresh_from_db()
    assert export.status == "downloaded" and export.archive is None
    assert actions(user_a)[-2:] == ["export_requested", "export_downloaded"]


@pytest.mark.django_db
def test_export_through_the_api(api, user_a):
    from privacy.tasks import build_export

    made = api(user_a).post("/api/v1/privacy/exports")
    assert made.status_code == 202 and made.json()["status"] == "pending"
    build_export(made.json()["id"], str(user_a.pk))
    assert api(user_a).get("/api/v1/privacy/exports").json()["results"][0]["status"] == "ready"
    assert api(user_a).get(f"/api/v1/privacy/exports/{made.json()['id']}/download").status_code == 200

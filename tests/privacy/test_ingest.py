"""The agent's batch endpoint: validation, the gates (each alone and together), idempotency, limits."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from privacy import ingest
from privacy.models import FileEvent, GateDrop, TelemetryEvent, TransparencyLogEntry
from tests.privacy.conftest import allow, consent, file_event, telemetry, toggle

URL = "/api/v1/privacy/ingest"


def post(client, body, **extra):
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


def drops(user):
    return {row.gate: row.dropped for row in GateDrop.objects.filter(user=user)}


@pytest.mark.django_db
def test_batch_stored_redacted(api, ready):
    response = post(api(ready), {"telemetry": [telemetry(metadata={"token": "t", "by": "ann@example.com"})],
                                 "file_events": [file_event()]})
    assert response.status_code == 201, response.json()
    assert response.json() == {"received": 2, "stored": {"telemetry": 1, "file_events": 1},
                               "dropped": {"allowlist": 0, "signal": 0, "sampling": 0}, "duplicates": []}
    assert TelemetryEvent.objects.get(user=ready).metadata_redacted_json == {"token": "[REDACTED]", "by": "[REDACTED_EMAIL]"}
    assert FileEvent.objects.get(user=ready).file_path == "/home/[USER]/src/a.py"


@pytest.mark.django_db
@pytest.mark.parametrize(("prefs", "code"), [
    (None, "consent_required"),
    ({"consent_given": False}, "consent_required"),
    ({"monitoring_enabled": False}, "monitoring_disabled"),
    ({"consent_given": False, "monitoring_enabled": False}, "consent_required"),
])
def test_consent_and_monitoring_refuse_everything(api, user_a, prefs, code):
    allow(user_a)
    if prefs is not None:
        consent(user_a, **prefs)
    response = post(api(user_a), {"telemetry": [telemetry()], "file_events": [file_event()]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == code
    assert not TelemetryEvent.objects.exists() and not FileEvent.objects.exists() and not GateDrop.objects.exists()


@pytest.mark.django_db
def test_allowlist_gate(api, ready):
    allow(ready, "browser", enabled=False)
    allow(ready, "files-only", scope="files")
    batch = {"telemetry": [telemetry(), telemetry("slack"), telemetry("browser"), telemetry("files-only")],
             "file_events": [file_event(), file_event("slack"), file_event("files-only")]}
    body = post(api(ready), batch).json()
    assert body["stored"] == {"telemetry": 1, "file_events": 2}
    assert body["dropped"] == {"allowlist": 4, "signal": 0, "sampling": 0}
    assert drops(ready) == {"allowlist": 4}


@pytest.mark.django_db
def test_signal_gate(api, ready):
    toggle(ready, "keystrokes", enabled=False)
    toggle(ready, "file_activity", enabled=False)
    toggle(ready, "focus", enabled=True)
    batch = {"telemetry": [telemetry(event_type="keystrokes"), telemetry(event_type="focus"), telemetry(event_type="other")],
             "file_events": [file_event()]}
    body = post(api(ready), batch).json()
    assert body["stored"] == {"telemetry": 2, "file_events": 0}
    assert body["dropped"] == {"allowlist": 0, "signal": 2, "sampling": 0}


@pytest.mark.django_db
def test_sampling_is_deterministic_by_event_id(api, ready):
    toggle(ready, "edit", sampling_rate=0.5)
    events = [telemetry() for _ in range(400)]
    expected = sum(ingest.sample_point(uuid.UUID(event["id"])) < 0.5 for event in events)
    body = post(api(ready), {"telemetry": events}).json()
    assert body["stored"]["telemetry"] == expected
    assert body["dropped"]["sampling"] == 400 - expected
    assert 120 < expected < 280
    again = post(api(ready), {"telemetry": events}).json()  # the same ids: the same ones kept, now duplicates
    assert again["stored"]["telemetry"] == 0
    assert len(again["duplicates"]) == expected and again["dropped"]["sampling"] == 400 - expected


@pytest.mark.django_db
def test_gates_combined(api, ready):
    toggle(ready, "noisy", enabled=False)
    toggle(ready, "never", sampling_rate=0.0)
    toggle(ready, "always", sampling_rate=1.0)
    batch = {"telemetry": [telemetry("other"), telemetry(event_type="noisy"), telemetry("other", event_type="noisy"),
                           telemetry(event_type="never"), telemetry(event_type="always")]}
    body = post(api(ready), batch).json()
    # the first gate that refuses an event counts it: the allowlist before the signal
    assert body["dropped"] == {"allowlist": 2, "signal": 2, "sampling": 0}
    assert body["stored"]["telemetry"] == 1


@pytest.mark.django_db
def test_idempotent_client_ids(api, ready):
    event = telemetry()
    first = post(api(ready), {"telemetry": [event, event]}).json()
    assert first["stored"]["telemetry"] == 1 and first["duplicates"] == [event["id"]]
    second = post(api(ready), {"telemetry": [event]}).json()
    assert second["stored"]["telemetry"] == 0 and second["duplicates"] == [event["id"]]
    assert TelemetryEvent.objects.count() == 1


@pytest.mark.django_db
def test_invalid_events_named_by_index_nothing_stored(api, ready):
    good = telemetry()
    batch = {"telemetry": [good, {**telemetry(), "id": "nope"}, {"app_id": "x"}, {**telemetry(), "extra": 1},
                           {**telemetry(), "timestamp": "2026-13-45T00:00:00Z"}, {**telemetry(), "timestamp": "2999-01-01T00:00:00Z"},
                           {**telemetry(), "duration_ms": -1}, "text"],
             "file_events": [{**file_event(), "file_path": ""}]}
    response = post(api(ready), batch)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields["telemetry"]) == {"1", "2", "3", "4", "5", "6", "7"}
    assert fields["telemetry"]["1"] == {"id": ["Must be a UUID."]}
    assert set(fields["telemetry"]["2"]) == {"id", "timestamp", "event_type"}
    assert "extra" in fields["telemetry"]["3"]
    assert fields["telemetry"]["5"] == {"timestamp": ["More than a day in the future."]}
    assert set(fields["file_events"]) == {"0"}
    assert not TelemetryEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, [], {"events": []}, {"telemetry": "x"}, {"telemetry": []}])
def test_malformed_batches(api, ready, body):
    response = post(api(ready), body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
def test_limits(api, ready):
    client = api(ready)
    over = post(client, {"telemetry": [telemetry() for _ in range(600)], "file_events": [file_event() for _ in range(401)]})
    assert over.status_code == 400
    assert "1001 events" in json.dumps(over.json())
    big = client.post(URL, b"{" + b" " * (ingest.MAX_BODY_BYTES + 1) + b"}", content_type="application/json")
    assert big.status_code == 413
    form = client.post(URL, "telemetry=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert not TelemetryEvent.objects.exists()


@pytest.mark.django_db
def test_device_token(api, ready):
    made = api(ready).post("/api/v1/privacy/device-tokens", {"name": "laptop"}, format="json")
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("pgd_") and made.json()["token_prefix"] == token[:10]
    agent = APIClient()
    agent.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert post(agent, {"telemetry": [telemetry()]}).status_code == 201
    assert TelemetryEvent.objects.filter(user=ready).count() == 1
    # a device token is for ingestion only
    assert agent.get("/api/v1/privacy/telemetry").status_code == 401
    listed = api(ready).get("/api/v1/privacy/device-tokens").json()["results"]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert api(ready).delete(f"/api/v1/privacy/device-tokens/{made.json()['id']}").status_code == 204
    refused = post(agent, {"telemetry": [telemetry()]})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "device_token_invalid"
    assert {"device_token_created", "device_token_revoked"} <= set(TransparencyLogEntry.objects.filter(user=ready).values_list("action", flat=True))


@pytest.mark.django_db
def test_unauthenticated(client):
    assert client.post(URL, "{}", content_type="application/json").status_code == 401

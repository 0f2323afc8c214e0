"""Analysis sessions and their storage through the API: CRUD and filters, values by key in every
type, ETag / If-Match (412), quotas (413), expiry, and the describe analysis."""

import base64
import datetime
import io
import json
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from audit.models import AnalysisRun, DataStorage
from sessions_app import codecs
from sessions_app.models import AnalysisSession, StoredValue
from sessions_app.storage import SessionStorage
from tests.sessions_app.test_storage import JPEG, PNG, SVG, sample_frame

SESSIONS = "/api/v1/analysis-sessions/"


@pytest.fixture
def client(user_a, api):
    return api(user_a)


@pytest.fixture
def session(user_a):
    return AnalysisSession.objects.create(user=user_a, name="Forecast", analysis_type="forecast")


def value_url(session, key):
    return f"{SESSIONS}{session.pk}/storage/{quote(key, safe='')}"


def put(client, session, key, body, **headers):
    return client.put(value_url(session, key), body, format="json", headers=headers)


def frame_json(frame) -> dict:
    return json.loads(frame.to_json(orient="table", date_unit="ns"))


# --- sessions ---------------------------------------------------------------------------------------

def test_session_crud_filters_and_pagination(client, user_a):
    created = client.post(SESSIONS, {"name": "Churn Q3", "analysis_type": "churn", "metadata": {"source": "crm"}}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "active" and body["metadata"] == {"source": "crm"} and body["expires_at"]
    session = AnalysisSession.objects.get(pk=body["id"])
    assert session.user_id == user_a.id
    client.post(SESSIONS, {"name": "Other", "analysis_type": "forecast"}, format="json")
    assert [s["name"] for s in client.get(f"{SESSIONS}?analysis_type=churn").json()["results"]] == ["Churn Q3"]
    patched = client.patch(f"{SESSIONS}{session.pk}/", {"status": "completed"}, format="json")
    assert patched.status_code == 200 and patched.json()["status"] == "completed"
    assert [s["name"] for s in client.get(f"{SESSIONS}?status=completed").json()["results"]] == ["Churn Q3"]
    page = client.get(f"{SESSIONS}?page_size=1").json()
    assert page["count"] == 2 and len(page["results"]) == 1
    assert client.get(f"{SESSIONS}?status=archived").status_code == 400
    assert client.delete(f"{SESSIONS}{session.pk}/").status_code == 204
    assert not AnalysisSession.objects.filter(pk=session.pk).exists()


@pytest.mark.parametrize(
    "payload, fields",
    [({}, {"name"}), ({"name": ""}, {"name"}), ({"name": "x", "status": "paused"}, {"status"}), ({"name": "x", "metadata": [1]}, {"metadata"})],
)
def test_invalid_session_input_is_400(client, payload, fields):
    response = client.post(SESSIONS, payload, format="json")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == fields
    assert not AnalysisSession.objects.exists()


def test_metadata_nul_is_refused_by_the_parser(client):
    response = client.post(SESSIONS, {"name": "x", "metadata": {"k\x00": "v\x00"}}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert not AnalysisSession.objects.exists()


def test_reopening_an_expired_session(client, session):
    AnalysisSession.objects.filter(pk=session.pk).update(status="expired", expires_at=timezone.now() - datetime.timedelta(days=1))
    response = client.patch(f"{SESSIONS}{session.pk}/", {"status": "active"}, format="json")
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == "active" and session.expires_at > timezone.now()


# --- values by type ---------------------------------------------------------------------------------

def test_json_value_put_get_list_delete(client, session):
    created = put(client, session, "result", {"type": "json", "value": {"auc": 0.91, "labels": ["a", "b"]}})
    assert created.status_code == 201, created.content
    assert created["ETag"] == created.json()["etag"]
    assert created.json()["type"] == "json" and "value" not in created.json()
    got = client.get(value_url(session, "result"))
    assert got.status_code == 200 and got.json()["value"] == {"auc": 0.91, "labels": ["a", "b"]}
    assert got["ETag"] == created["ETag"] and got["Cache-Control"] == "no-store"
    listed = client.get(f"{SESSIONS}{session.pk}/storage/").json()
    assert [(row["key"], row["type"]) for row in listed["results"]] == [("result", "json")]
    assert "value" not in listed["results"][0] and listed["results"][0]["size_bytes"] > 0
    replaced = put(client, session, "result", {"type": "text", "value": "now text"})
    assert replaced.status_code == 200 and replaced.json()["type"] == "text"
    assert client.delete(value_url(session, "result")).status_code == 204
    assert client.get(value_url(session, "result")).status_code == 404
    assert client.delete(value_url(session, "result")).status_code == 404


def test_dataframe_travels_as_table_schema_json(client, session):
    frame = sample_frame()
    plain = frame_json(frame)
    response = put(client, session, "frame", {"type": "dataframe", "value": plain})
    assert response.status_code == 201, response.content
    # Plain pandas JSON: stored as pandas itself reads it (its datetime resolution, int64 for uint8).
    pandas_reads = pd.read_json(io.StringIO(json.dumps(plain)), orient="table")
    pd.testing.assert_frame_equal(SessionStorage(session).get("frame"), pandas_reads)
    # With the exact dtypes (`x-dtype` per field, as the GET returns them): exactly the frame.
    put(client, session, "exact", {"type": "dataframe", "value": codecs.encode_frame(frame)})
    pd.testing.assert_frame_equal(SessionStorage(session).get("exact"), frame)
    returned = client.get(value_url(session, "exact")).json()["value"]
    pd.testing.assert_frame_equal(codecs.decode_frame(returned), frame)
    # and any table-schema reader gets the table: pandas' read_json ignores the extra field property.
    pd.testing.assert_frame_equal(pd.read_json(io.StringIO(json.dumps(returned)), orient="table"), pandas_reads)


@pytest.mark.parametrize("data, mime_type", [(PNG, "image/png"), (JPEG, "image/jpeg"), (SVG, "image/svg+xml")])
def test_images_travel_as_base64_with_their_mime_type(client, session, data, mime_type):
    encoded = base64.b64encode(data).decode()
    response = put(client, session, "img", {"type": "image", "value": {"mime_type": mime_type, "base64": encoded}})
    assert response.status_code == 201, response.content
    assert client.get(value_url(session, "img")).json()["value"] == {"mime_type": mime_type, "base64": encoded}


def test_figures_travel_as_library_and_spec(client, session):
    spec = {"mark": "line", "data": {"values": [{"x": 1, "y": 2}]}, "encoding": {"x": {"field": "x"}, "y": {"field": "y"}}}
    response = put(client, session, "chart", {"type": "figure", "value": {"library": "vega-lite", "spec": spec}})
    assert response.status_code == 201, response.content
    assert client.get(value_url(session, "chart")).json()["value"] == {"library": "vega-lite", "spec": spec}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"type": "yaml", "value": "a: 1"}, "type"),
        ({"value": 1}, "type"),
        ({"type": "json"}, "value"),
        ({"type": "text", "value": 5}, "value"),
        ({"type": "image", "value": {"mime_type": "image/png", "base64": base64.b64encode(b"GIF89a").decode()}}, "value"),
        ({"type": "image", "value": {"mime_type": "image/gif", "base64": "R0lGODlh"}}, "value"),
        ({"type": "figure", "value": {"library": "vega-lite", "spec": {"title": "no mark"}}}, "value"),
        ({"type": "dataframe", "value": {"schema": {"fields": [{"name": "a", "type": "integer"}]}, "data": [{"a": "x"}]}}, "value"),
        ({"type": "json", "value": 1, "ttl_seconds": 0}, "ttl_seconds"),
        ({"type": "json", "value": 1, "sensitive": "yes"}, "sensitive"),
        ({"type": "json", "value": 1, "extra": True}, "extra"),
    ],
)
def test_invalid_values_are_400_and_store_nothing(client, session, body, field):
    response = put(client, session, "k", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not StoredValue.objects.exists()


def test_keys_in_the_url(client, session):
    for key in ["with space", "ünï ✓", "?&#%", "x" * 255]:
        assert put(client, session, key, {"type": "json", "value": key}).status_code == 201
        assert client.get(value_url(session, key)).json()["value"] == key
    assert client.get(value_url(session, "x" * 256)).status_code == 400
    assert client.get(f"{SESSIONS}{session.pk}/storage/a%2Fb").status_code == 404  # "/" never reaches a key


def test_sensitive_value_via_api(client, session):
    response = put(client, session, "token", {"type": "text", "value": "s3cret", "sensitive": True})
    assert response.status_code == 201 and response.json()["is_encrypted"] is True
    assert StoredValue.objects.get().storage_value is None
    assert client.get(value_url(session, "token")).json()["value"] == "s3cret"


def test_ttl_and_expiry_at_read(client, session):
    response = put(client, session, "short", {"type": "json", "value": 1, "ttl_seconds": 60})
    expires = datetime.datetime.fromisoformat(response.json()["expires_at"])
    assert expires <= timezone.now() + datetime.timedelta(seconds=60)
    StoredValue.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(value_url(session, "short")).status_code == 404
    assert client.get(f"{SESSIONS}{session.pk}/storage/").json()["results"] == []


# --- concurrency: ETag and If-Match ------------------------------------------------------------------

def test_if_match_conflict_is_412_and_keeps_the_newer_value(client, session):
    first = put(client, session, "model", {"type": "json", "value": {"v": 1}})
    etag = first["ETag"]
    # Two workers read version 1; the first writes, the second's write must not overwrite it.
    assert put(client, session, "model", {"type": "json", "value": {"v": 2}}, **{"If-Match": etag}).status_code == 200
    late = put(client, session, "model", {"type": "json", "value": {"v": 3}}, **{"If-Match": etag})
    assert late.status_code == 412 and late.json()["error"]["code"] == "precondition_failed"
    assert client.get(value_url(session, "model")).json()["value"] == {"v": 2}
    current = client.get(value_url(session, "model"))["ETag"]
    assert put(client, session, "model", {"type": "json", "value": {"v": 3}}, **{"If-Match": current}).status_code == 200
    assert put(client, session, "missing", {"type": "json", "value": 1}, **{"If-Match": "*"}).status_code == 412


def test_if_none_match_star_creates_only(client, session):
    assert put(client, session, "once", {"type": "json", "value": 1}, **{"If-None-Match": "*"}).status_code == 201
    again = put(client, session, "once", {"type": "json", "value": 2}, **{"If-None-Match": "*"})
    assert again.status_code == 412
    assert client.get(value_url(session, "once")).json()["value"] == 1


# --- quotas and closed sessions -----------------------------------------------------------------------

def test_over_quota_is_413_and_stores_nothing(client, session, settings):
    settings.SESSION_STORAGE = {**settings.SESSION_STORAGE, "MAX_SESSION_BYTES": 100}
    assert put(client, session, "a", {"type": "text", "value": "x" * 60}).status_code == 201
    refused = put(client, session, "b", {"type": "text", "value": "x" * 60})
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "quota_exceeded" and "quota" in refused.json()["error"]["message"]
    assert list(StoredValue.objects.values_list("storage_key", flat=True)) == ["a"]
    assert DataStorage.objects.filter(storage_key="b").count() == 0


def test_an_expired_session_refuses_writes_with_409(client, session):
    AnalysisSession.objects.filter(pk=session.pk).update(status="expired")
    response = put(client, session, "k", {"type": "json", "value": 1})
    assert response.status_code == 409 and response.json()["error"]["code"] == "session_expired"


# --- the describe analysis ----------------------------------------------------------------------------

def test_describe_stores_the_summary_as_a_dataframe_and_is_audited(client, session):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"revenue": rng.normal(100, 10, 500), "units": rng.integers(1, 9, 500), "region": rng.choice(["n", "s"], 500)})
    SessionStorage(session).set("sales", frame)
    response = client.post(f"{SESSIONS}{session.pk}/analyses/describe", {"source_key": "sales", "target_key": "sales_summary"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["key"] == "sales_summary" and response.json()["type"] == "dataframe"
    pd.testing.assert_frame_equal(SessionStorage(session).get("sales_summary"), frame.describe())
    run = AnalysisRun.objects.get()
    assert (run.analysis_type, run.status, str(run.session_id)) == ("describe", "succeeded", str(session.pk))
    assert run.parameters == {"source_key": "sales", "target_key": "sales_summary"}
    assert run.result_summary["described_columns"] == ["revenue", "units"]


def test_describe_refusals(client, session):
    SessionStorage(session).set("note", "not a table")
    url = f"{SESSIONS}{session.pk}/analyses/describe"
    assert client.post(url, {"source_key": "missing", "target_key": "t"}, format="json").status_code == 404
    not_frame = client.post(url, {"source_key": "note", "target_key": "t"}, format="json")
    assert not_frame.status_code == 409 and not_frame.json()["error"]["code"] == "not_a_dataframe"
    assert client.post(url, {"source_key": "note"}, format="json").status_code == 400
    assert "t" not in SessionStorage(session).keys()
    assert set(AnalysisRun.objects.values_list("status", flat=True)) == {"failed"}

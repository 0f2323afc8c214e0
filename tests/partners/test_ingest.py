"""Ingestion: every field rule, batch limits, size limit, idempotency, all-or-nothing, one statement."""

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners import ingest
from partners.models import IngestionEvent
from tests.partners.conftest import event, key_client

URL = "/api/v1/ingest/events"


@pytest.fixture
def client(key_a):
    return key_client(key_a)


def test_one_event(client, partner_a):
    response = client.post(URL, event(metadata={"sdk": "js"}), format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"received": 1, "stored": 1, "duplicates": []}
    stored = IngestionEvent.objects.get()
    assert (stored.partner_id, stored.event_type, stored.data, stored.metadata) == (partner_a.pk, "page_view", {"path": "/"}, {"sdk": "js"})


def test_a_batch_of_1000_is_one_insert(client):
    batch = [event(id=str(uuid.uuid4()), data={"n": i}) for i in range(1000)]
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, {"batch": batch}, format="json")
    assert response.status_code == 201 and response.json()["stored"] == 1000
    inserts = [q["sql"] for q in captured if "ingestion_events" in q["sql"] and q["sql"].lstrip().startswith("INSERT")]
    assert len(inserts) == 1
    assert IngestionEvent.objects.count() == 1000


def test_nul_characters_in_data_are_stored_as_replacement_characters(client):
    client.post(URL, event(data={"text": "a\u0000b", "k\u0000": 1, "literal": "\\u0000", "both": "\\\u0000"}), format="json")
    assert IngestionEvent.objects.get().data == {"text": "a\ufffdb", "k\ufffd": 1, "literal": "\\u0000", "both": "\\\ufffd"}


def test_repeated_client_ids_are_stored_once(client):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert client.post(URL, {"batch": [event(id=first)]}, format="json").json()["stored"] == 1
    response = client.post(URL, {"batch": [event(id=first), event(id=second), event(id=second)]}, format="json")
    assert response.status_code == 201
    assert response.json() == {"received": 3, "stored": 1, "duplicates": [first, second]}
    assert IngestionEvent.objects.count() == 2


def test_client_ids_are_per_partner(client, key_b):
    shared = str(uuid.uuid4())
    assert client.post(URL, event(id=shared), format="json").json()["stored"] == 1
    assert key_client(key_b).post(URL, event(id=shared), format="json").json()["stored"] == 1


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"event_type": ""}, "event_type"),
        ({"event_type": "x" * 101}, "event_type"),
        ({"event_type": 5}, "event_type"),
        ({"data": [1, 2]}, "data"),
        ({"data": "text"}, "data"),
        ({"source": ""}, "source"),
        ({"version": None}, "version"),
        ({"metadata": [1]}, "metadata"),
        ({"id": "not-a-uuid"}, "id"),
        ({"unexpected": 1}, "unexpected"),
        ({"event_type": "nul\u0000"}, "event_type"),
    ],
)
def test_field_rules(client, bad, field):
    response = client.post(URL, event(**bad), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not IngestionEvent.objects.exists()


@pytest.mark.parametrize("missing", ["event_type", "data", "source", "version"])
def test_required_fields(client, missing):
    body = event()
    del body[missing]
    response = client.post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"] == {missing: ["This field is required."]}


def test_batch_is_all_or_nothing_with_errors_by_index(client):
    batch = [event(), event(event_type=""), event(), event(data=None)]
    response = client.post(URL, {"batch": batch}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]["batch"]) == {"1", "3"}
    assert "event_type" in error["fields"]["batch"]["1"] and "data" in error["fields"]["batch"]["3"]
    assert not IngestionEvent.objects.exists()


def test_batch_limits(client):
    too_many = client.post(URL, {"batch": [event()] * 1001}, format="json")
    assert too_many.status_code == 400 and "batch" in too_many.json()["error"]["fields"]
    empty = client.post(URL, {"batch": []}, format="json")
    assert empty.status_code == 400
    assert not IngestionEvent.objects.exists()


def test_body_over_5_mib_is_413(client):
    body = json.dumps(event(data={"blob": "x" * (ingest.MAX_BODY_BYTES + 1)}))
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not IngestionEvent.objects.exists()


def test_invalid_json_is_400(client):
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_owner_may_ingest_with_a_token_but_needs_a_profile(user_a, api, partner_a, make_user):
    assert api(user_a).post(URL, event(), format="json").status_code == 201
    response = api(make_user()).post(URL, event(), format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "no_partner"


def test_events_list_filters_and_cursor(client, partner_a):
    client.post(URL, {"batch": [event(event_type=f"type_{i % 3}", source="web" if i % 2 else "ios") for i in range(30)]}, format="json")
    page = client.get("/api/v1/partner/events", {"page_size": 10}).json()
    assert len(page["results"]) == 10 and page["next"] and "count" not in page
    seen = {r["id"] for r in page["results"]}
    while page["next"]:
        page = client.get(page["next"]).json()
        seen |= {r["id"] for r in page["results"]}
    assert len(seen) == 30
    assert len(client.get("/api/v1/partner/events", {"event_type": "type_1", "page_size": 100}).json()["results"]) == 10
    assert len(client.get("/api/v1/partner/events", {"source": "ios", "page_size": 100}).json()["results"]) == 15
    assert client.get("/api/v1/partner/events", {"created_after": "2999-01-01T00:00:00Z"}).json()["results"] == []
    assert client.get("/api/v1/partner/events", {"created_after": "yesterday"}).status_code == 400

"""Ingestion: every field rule, batch limits, size limit, idempotency, all-or-nothing, one statement."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core import rls
from partners import ingest
from partners.models import DailyUsage, IngestionEvent, RequestLog
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


def writes(captured) -> list[str]:
    return [q["sql"].split()[0] for q in captured if "ingestion_events" in q["sql"] and q["sql"].lstrip().startswith(("INSERT", "COPY"))]


def test_a_batch_of_1000_is_one_copy(client, partner_a):
    batch = [event(id=str(uuid.uuid4()), data={"n": i}) for i in range(1000)]
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, {"batch": batch}, format="json")
    assert response.status_code == 201 and response.json() == {"received": 1000, "stored": 1000, "duplicates": []}
    assert writes(captured) == ["COPY"]
    assert IngestionEvent.objects.count() == 1000
    assert DailyUsage.objects.get(partner=partner_a).event_count == 1000  # the rollup's triggers fire for COPY
    stored = IngestionEvent.objects.get(client_event_id=batch[7]["id"])
    assert (stored.event_type, stored.data, stored.source, stored.version, stored.metadata) == ("page_view", {"n": 7}, "web", "1.0", None)


def test_only_a_batch_with_client_ids_needs_a_savepoint(client):
    savepoints = []
    for ids in (False, True):
        with CaptureQueriesContext(connection) as captured:
            batch = [event(data={"n": i}, **({"id": str(uuid.uuid4())} if ids else {})) for i in range(50)]
            response = client.post(URL, {"batch": batch}, format="json")
        assert response.json() == {"received": 50, "stored": 50, "duplicates": []}
        assert writes(captured) == ["COPY"]
        savepoints.append(sum(q["sql"].startswith("SAVEPOINT") for q in captured))
    assert savepoints[1] == savepoints[0] + 1  # the tests' own transaction adds savepoints of its own


def test_text_with_tabs_newlines_backslashes_and_unicode_is_stored_as_sent(client):
    """COPY's text format escapes these: the values must come back unchanged."""
    odd = "tab\there\nnew line\\ back\\slash \\N é ☃ 𝄞"
    body = event(event_type=odd[:100], source=odd, version="v\t1", data={"k\tey": odd, "n": [1, None, True]}, metadata={"m": "\r\n"})
    assert client.post(URL, body, format="json").status_code == 201
    stored = IngestionEvent.objects.get()
    assert (stored.event_type, stored.source, stored.version) == (odd[:100], odd, "v\t1")
    assert stored.data == {"k\tey": odd, "n": [1, None, True]} and stored.metadata == {"m": "\r\n"}


def test_ids_in_any_accepted_spelling_are_one_id(client):
    plain = uuid.uuid4()
    spellings = [str(plain), str(plain).upper(), plain.hex]
    response = client.post(URL, {"batch": [event(id=spelling) for spelling in spellings]}, format="json")
    assert response.json() == {"received": 3, "stored": 1, "duplicates": [str(plain), str(plain)]}
    again = client.post(URL, event(id=plain.hex.upper()), format="json")
    assert again.json() == {"received": 1, "stored": 0, "duplicates": [str(plain)]}
    assert IngestionEvent.objects.get().client_event_id == plain


def test_a_retried_batch_falls_back_to_insert_and_stores_only_the_new_events(client, partner_a):
    known = [str(uuid.uuid4()) for _ in range(3)]
    assert client.post(URL, {"batch": [event(id=i) for i in known]}, format="json").json()["stored"] == 3
    fresh = str(uuid.uuid4())
    batch = [event(id=known[0]), event(id=fresh), event(), event(id=known[2]), event(id=fresh)]
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, {"batch": batch}, format="json")
    assert response.status_code == 201
    assert response.json() == {"received": 5, "stored": 2, "duplicates": [known[0], fresh, known[2]]}
    assert writes(captured) == ["COPY", "INSERT"]  # COPY met a stored id: its savepoint rolled back
    assert IngestionEvent.objects.count() == 5
    assert DailyUsage.objects.get(partner=partner_a).event_count == 5  # nothing counted twice


def test_a_backfill_stores_its_own_time_on_both_paths_and_the_rollup_follows(partner_a):
    received_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    known = str(uuid.uuid4())
    assert ingest.store(partner_a.pk, [event(id=known), event()], received_at=received_at)["stored"] == 2  # COPY
    assert ingest.store(partner_a.pk, [event(id=known), event(id=str(uuid.uuid4()))], received_at=received_at)["stored"] == 1  # INSERT
    assert set(IngestionEvent.objects.values_list("created_at", flat=True)) == {received_at}
    assert list(DailyUsage.objects.values_list("day", "event_count")) == [(received_at.date(), 3)]


@pytest.mark.parametrize("data", [{"text": "a\u0000b"}, {"k\u0000": 1}, {"both": "\\\u0000"}])
def test_nul_characters_in_data_are_refused(client, data):
    response = client.post(URL, event(data=data), format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert not IngestionEvent.objects.exists()


def test_an_escaped_backslash_before_u0000_is_text(client):
    assert client.post(URL, event(data={"literal": "\\u0000"}), format="json").status_code == 201
    assert IngestionEvent.objects.get().data == {"literal": "\\u0000"}


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


@pytest.mark.parametrize("text", ['{"x": NaN}', '{"x": -Infinity}', '{"x": [1, -1e400]}', '{"x": 1' + "0" * 400 + '.5}'])
def test_numbers_jsonb_cannot_hold_are_400(client, text):
    body = json.dumps(event(metadata={"ok": 1.5})).replace('{"path": "/"}', text)
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert not IngestionEvent.objects.exists()


def test_a_huge_number_stops_the_batch_before_any_statement(partner_a):
    batch = [event(id=str(uuid.uuid4())), event(data={"x": float("inf")})]
    with CaptureQueriesContext(connection) as captured, pytest.raises(ingest.NotStorable):
        ingest.store(partner_a.pk, batch)
    assert captured.captured_queries == []


@pytest.mark.parametrize("where", ["event_type", "data"])
def test_an_unpaired_surrogate_is_400_and_the_request_is_still_logged(client, partner_a, where):
    body = json.dumps(event(**({"event_type": "a\ud800"} if where == "event_type" else {"data": {"k": "\udfff"}})))
    assert "\\ud800" in body or "\\udfff" in body
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert not IngestionEvent.objects.exists()
    assert "\ufffd" in json.dumps(RequestLog.objects.get(partner=partner_a).request_body, ensure_ascii=False)


def test_a_surrogate_pair_is_one_character(client):
    body = json.dumps(event(data={"emoji": "😀 𝄞"}))  # ensure_ascii: \ud83d\ude00 \ud834\udd1e
    assert "\\ud83d\\ude00" in body
    assert client.post(URL, body, content_type="application/json").status_code == 201
    assert IngestionEvent.objects.get().data == {"emoji": "😀 𝄞"}


def test_the_json_written_for_copy_is_json_dumps_compact():
    values = [{}, [], "x", 1.5, -0.0, 10**30, 1e300, None, True, {"a": [1, 2.5, None, False, "é ☃ 𝄞 \\ \" \t"], "b": {"c": {}}}]
    for value in values:
        assert ingest._dumps(value) == json.dumps(value, separators=(",", ":"))
    for value in (float("nan"), {"a": [float("-inf")]}):
        with pytest.raises(ValueError):
            ingest._dumps(value)
    assert ingest._json({"k\u0000": "a\u0000b", "literal": "\\u0000"}) == '{"k\\ufffd":"a\\ufffdb","literal":"\\\\u0000"}'


def test_copy_writes_as_the_connection_role_only_after_checking_the_partner_under_rls(partner_a, partner_b, user_a):
    """COPY FROM is refused under row-level security, so store() checks what the insert policy
    would (the partner is the RLS user's), copies as the connection role, then restores the role."""
    with rls.end_user(rls.claims_for(user_a)):
        with pytest.raises(ProgrammingError, match="row-level security"):
            with transaction.atomic():
                ingest.store(partner_b.pk, [event(id=str(uuid.uuid4()))])
        result = ingest.store(partner_a.pk, [event(), event(id=str(uuid.uuid4()))])
        assert result == {"received": 2, "stored": 2, "duplicates": []}
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_setting('request.jwt.claims')::jsonb ->> 'sub'")
            assert cursor.fetchone() == ("authenticated", str(user_a.pk))
            cursor.execute("SELECT count(*) FROM ingestion_events")  # RLS: only partner A's rows
            assert cursor.fetchone()[0] == 2
    assert IngestionEvent.objects.filter(partner=partner_b).count() == 0


def test_row_ids_are_random_version_4_uuids(client):
    ids = [uuid.UUID(hex_id) for hex_id in ingest._new_ids(500)]
    assert len(set(ids)) == 500
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)
    assert client.post(URL, {"batch": [event() for _ in range(3)]}, format="json").status_code == 201
    assert all(row.id.version == 4 for row in IngestionEvent.objects.all())

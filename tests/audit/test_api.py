"""`GET /api/v1/audit/activity/`: mine only, across tables or one, keyset pages, filters."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

import audit

URL = "/api/v1/audit/activity/"


@pytest.fixture
def trail(user_a, user_b):
    session = uuid.uuid4()
    audit.activity("login", user=user_a)
    audit.storage("set", session_id=session, key="frame", value_type="dataframe", size_bytes=5, user=user_a)
    with audit.analysis_run(session_id=session, analysis_type="forecast", user=user_a):
        pass
    audit.record("export", resource_type="report", resource_id="r1", user=user_a)
    audit.storage("set", session_id=session, key="bob-key", user=user_b)
    return session


def test_needs_a_token(api, db):
    assert api().get(URL).status_code == 401


def test_lists_my_rows_across_tables_newest_first(api, user_a, trail):
    body = api(user_a).get(URL).json()
    tables = [item["table"] for item in body["results"]]
    assert set(tables) == {"audit_user_activities", "audit_data_storage", "audit_analysis_runs", "audit_logs"}
    assert "bob-key" not in str(body)
    stamps = [item["created_at"] for item in body["results"]]
    assert stamps == sorted(stamps, reverse=True) and body["next"] is None
    storage = next(item for item in body["results"] if item["table"] == "audit_data_storage")
    assert storage["kind"] == "set" and storage["summary"] == "frame" and storage["session_id"] == str(trail)


def test_filters(api, user_a, trail):
    client = api(user_a)
    only = client.get(URL, {"table": "audit_analysis_runs"}).json()["results"]
    assert [(i["kind"], i["summary"]) for i in only] == [("succeeded", "forecast")]
    assert [i["table"] for i in client.get(URL, {"kind": "login"}).json()["results"]] == ["audit_user_activities"]
    assert len(client.get(URL, {"session_id": str(trail)}).json()["results"]) == 2
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get(URL, {"created_after": future}).json()["results"] == []
    assert len(client.get(URL, {"created_before": future}).json()["results"]) == 5  # with the sign-up


def test_keyset_pages_cover_every_row_once(api, user_a):
    for i in range(7):
        audit.storage("get", session_id=uuid.uuid4(), key=f"k{i}", user=user_a)
    client, seen, url = api(user_a), [], URL + "?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 8  # 7 storage rows and the sign-up


@pytest.mark.parametrize("params", [
    {"table": "auth_users"}, {"page_size": "0"}, {"page_size": "101"},
    {"session_id": "nope"}, {"created_after": "yesterday"}, {"kind": ""},
])
def test_invalid_parameters_are_400(api, user_a, params):
    response = api(user_a).get(URL, params)
    assert response.status_code == 400 and "error" in response.json()


def test_an_unknown_cursor_is_400_invalid_cursor(api, user_a):
    response = api(user_a).get(URL, {"cursor": "0"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"

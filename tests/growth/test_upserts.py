"""upsert_events and upsert_spend: called directly in SQL and through the API (same results), idempotent
by their keys, refusing bad batches whole with each bad row named by its index."""

import json
import uuid

import pytest
from django.db import DataError, ProgrammingError, connection, transaction

from core import rls
from growth import services
from growth.models import AnalyticsEvent, Spend
from tests.growth.helpers import event, spend, sql_call

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/events/"


def stored(user):
    return sorted(AnalyticsEvent.objects.filter(user=user).values_list("event_id", "occurred_at", "event_name", "props"))


def test_the_function_and_the_api_store_the_same_events(user_a, user_b, api):
    batch = [event("session_start", props={"utm_source": "google"}), event("order_completed", props={"revenue_cents": 1234})]
    assert sql_call("upsert_events", batch, user=user_a) == (2, 0)
    response = api(user_b).post(URL, {"rows": batch}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"received": 2, "inserted": 2, "updated": 0, "unchanged": 0}
    assert [row[1:] for row in stored(user_a)] == [row[1:] for row in stored(user_b)]
    assert {row[0] for row in stored(user_a)} == {row[0] for row in stored(user_b)}  # event ids are unique per user only


def test_a_resent_event_is_stored_once_and_a_changed_one_updated(user_a, api):
    batch = [event("page_view"), event("add_to_cart", props={"sku": "A"})]
    client = api(user_a)
    assert client.post(URL, {"rows": batch}, format="json").json()["inserted"] == 2
    assert client.post(URL, {"rows": batch}, format="json").json() == {"received": 2, "inserted": 0, "updated": 0, "unchanged": 2}
    batch[1]["props"] = {"sku": "B"}
    assert client.post(URL, {"rows": batch + [event()]}, format="json").json() == {"received": 3, "inserted": 1, "updated": 1, "unchanged": 1}
    assert AnalyticsEvent.objects.filter(user=user_a).count() == 3
    assert AnalyticsEvent.objects.get(user=user_a, event_name="add_to_cart").props == {"sku": "B"}


def test_server_side_code_records_events_for_a_user(user_a):
    rows = [event("order_completed", props={"revenue_cents": 500})]
    assert services.record_events(user_a.pk, rows) == {"received": 1, "inserted": 1, "updated": 0, "unchanged": 0}
    assert services.record_events(user_a.pk, rows)["unchanged"] == 1
    assert AnalyticsEvent.objects.get().user_id == user_a.pk


BAD_EVENTS = [
    ([event(), {"occurred_at": "2026-03-01T00:00:00Z", "event_name": "x"}], {"1": {"event_id"}}),
    ([event(event_id="not-a-uuid")], {"0": {"event_id"}}),
    ([event(at="2026-03-01 12:00")], {"0": {"occurred_at"}}),  # no offset
    ([event(at="2026-02-30T12:00:00Z")], {"0": {"occurred_at"}}),  # no such day
    ([event(name="")], {"0": {"event_name"}}),
    ([event(name=7)], {"0": {"event_name"}}),
    ([event(props=[1, 2])], {"0": {"props"}}),
    ([event(), event(user_id=str(uuid.uuid4()))], {"1": {"user_id"}}),  # the API takes no user_id
    ([event(), 5], {"1": {"non_field_errors"}}),
]


@pytest.mark.parametrize(("rows", "errors"), BAD_EVENTS)
def test_bad_event_batches_are_refused_whole_with_per_index_errors(user_a, api, rows, errors):
    response = api(user_a).post(URL, {"rows": [event()] * 0 + rows}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert {index: set(fields) for index, fields in body["fields"]["rows"].items()} == errors
    assert not AnalyticsEvent.objects.exists()


def test_a_repeated_event_id_in_one_batch_is_refused(user_a, api):
    first = event()
    response = api(user_a).post(URL, {"rows": [first, event(), {**first, "event_name": "other"}]}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]["rows"]) == ["2"]
    assert not AnalyticsEvent.objects.exists()


def test_the_same_event_twice_in_one_batch_is_written_once(user_a, api):
    first = event()
    response = api(user_a).post(URL, {"rows": [first, event(), dict(first)]}, format="json")
    assert response.json() == {"received": 3, "inserted": 2, "updated": 0, "unchanged": 1}
    assert AnalyticsEvent.objects.filter(user=user_a).count() == 2


@pytest.mark.parametrize("body", [[], {"rows": []}, {"rows": "x"}, {"rows": [event()] * 1001}, {"rows": [event()], "more": 1}])
def test_malformed_bodies_are_400(user_a, api, body):
    response = api(user_a).post(URL, body, format="json")
    assert response.status_code == 400
    assert not AnalyticsEvent.objects.exists()


def test_the_function_refuses_bad_rows_by_index_too(user_a):
    rows = [event(), {"event_id": "x", "occurred_at": 5, "bogus": 1}, "text", event(at="yesterday")]
    with pytest.raises(DataError) as raised, transaction.atomic():
        sql_call("upsert_events", rows, user=user_a)
    detail = json.loads(raised.value.__cause__.diag.message_detail)
    assert set(detail) == {"1", "2", "3"}
    assert set(detail["1"]) == {"event_id", "occurred_at", "event_name", "unknown"}
    assert not AnalyticsEvent.objects.exists()


def test_an_end_user_cannot_write_events_for_someone_else(user_a, user_b):
    with pytest.raises(DataError), transaction.atomic():
        sql_call("upsert_events", [event(user_id=str(user_b.pk))], user=user_a)
    # Nor overwrite theirs: the same event id lands in the caller's own rows.
    shared = event(name="b's")
    services.record_events(user_b.pk, [shared])
    assert sql_call("upsert_events", [{**shared, "event_name": "a's"}], user=user_a) == (1, 0)
    assert AnalyticsEvent.objects.get(user=user_b).event_name == "b's"


def test_the_connection_role_must_name_the_user(db):
    with pytest.raises(DataError) as raised, transaction.atomic():
        sql_call("upsert_events", [event()])
    assert "user_id" in raised.value.__cause__.diag.message_detail


def test_upsert_spend_inserts_updates_and_leaves_alone():
    rows = [spend(), spend(platform="facebook", adset_id="a1", clicks=3, impressions=100, conv=1)]
    assert services.upsert_spend(rows) == {"received": 2, "inserted": 2, "updated": 0, "unchanged": 0}
    assert sql_call("upsert_spend", rows) == (0, 0)
    rows[0]["spend_cents"] = 2500
    assert sql_call("upsert_spend", rows) == (0, 1)
    assert Spend.objects.get(platform="google").spend_cents == 2500
    assert Spend.objects.get(platform="facebook").adset_id == "a1"


BAD_SPEND = [
    ([spend(), {"platform": "google", "date": "2026-03-01", "spend_cents": 1}], {"1": {"campaign_id"}}),
    ([spend(cents=-1)], {"0": {"spend_cents"}}),
    ([spend(cents=1.5)], {"0": {"spend_cents"}}),
    ([spend(cents="100")], {"0": {"spend_cents"}}),
    ([spend(day="03/01/2026")], {"0": {"date"}}),
    ([spend(day="2026-02-30")], {"0": {"date"}}),
    ([spend(), spend(cents=5)], {"1": {"platform"}}),  # the same key twice
    ([spend(clicks=-2, extra=1)], {"0": {"clicks", "extra"}}),
]


@pytest.mark.parametrize(("rows", "errors"), BAD_SPEND)
def test_bad_spend_is_refused_whole(rows, errors):
    with pytest.raises(services.BatchInvalid) as raised:
        services.upsert_spend(rows)
    found = {index: set(fields) for index, fields in raised.value.fields["rows"].items()}
    assert set(found) == set(errors)
    assert all(found[index] & errors[index] for index in errors)
    assert not Spend.objects.exists()


def test_the_spend_function_refuses_the_same_batches(db):
    for rows, errors in BAD_SPEND:
        if rows[0].get("date") == "2026-02-30":
            continue  # a date the pattern lets through: PostgreSQL's own cast refuses it (below)
        with pytest.raises(DataError) as raised, transaction.atomic():
            sql_call("upsert_spend", rows)
        assert set(json.loads(raised.value.__cause__.diag.message_detail)) == set(errors)
    with pytest.raises(DataError), transaction.atomic():
        sql_call("upsert_spend", [spend(day="2026-02-30")])
    assert not Spend.objects.exists()


@pytest.mark.parametrize("function", ["upsert_spend(%s::jsonb)", "recompute_metrics_daily('2026-01-01', '2026-01-02')"])
def test_staff_functions_are_refused_to_end_users(user_a, function):
    with pytest.raises(ProgrammingError, match="permission denied"), rls.end_user(rls.claims_for(user_a)), connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {function}", [json.dumps([spend()])] if "%s" in function else None)


@pytest.mark.parametrize("table", ["spend", "metrics_daily", "utm_tracks", "cohorts", "growth_pending_days", "growth_pending_users"])
def test_staff_tables_are_out_of_end_users_reach(user_a, table):
    with pytest.raises(ProgrammingError, match="permission denied"), rls.end_user(rls.claims_for(user_a)), connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")


def test_anon_may_not_upsert_events(db):
    with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE anon")
        cursor.execute("SELECT * FROM upsert_events('[]'::jsonb)")


def test_an_end_user_reads_only_their_own_events_in_sql(user_a, user_b):
    services.record_events(user_a.pk, [event()])
    services.record_events(user_b.pk, [event(), event()])
    with rls.end_user(rls.claims_for(user_a)), connection.cursor() as cursor:
        cursor.execute("SELECT user_id FROM analytics_events")
        assert {row[0] for row in cursor.fetchall()} == {user_a.pk}


def test_my_events_are_listed_newest_first(user_a, user_b, api):
    services.record_events(user_a.pk, [event(at="2026-03-01T10:00:00Z", name="older"), event(at="2026-03-02T10:00:00Z", name="newer")])
    services.record_events(user_b.pk, [event(name="b's")])
    rows = api(user_a).get(URL).json()["results"]
    assert [row["event_name"] for row in rows] == ["newer", "older"]
    one = api(user_a).get(f"{URL}{rows[0]['id']}/")
    assert one.status_code == 200 and one.json()["event_name"] == "newer"


def test_anonymous_requests_are_refused(db, api):
    assert api().post(URL, {"rows": [event()]}, format="json").status_code == 401
    assert not AnalyticsEvent.objects.exists()

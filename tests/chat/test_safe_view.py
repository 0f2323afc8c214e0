"""Seed 003's `ga4_credentials_safe` view, read in SQL as a Supabase client would: the caller's own
credentials only, in the API's safe shape, never a token."""

from django.db import connection

from core import rls


def read_view(user):
    with rls.end_user(rls.claims_for(user)), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ga4_credentials_safe ORDER BY created_at")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_the_view_shows_the_apis_safe_shape_of_my_credentials_only(make_credential, user_a, user_b, api):
    make_credential(user_a, "111111111")
    make_credential(user_a, "222222222")
    make_credential(user_b, "333333333")

    rows = read_view(user_a)
    answer = api(user_a).get("/api/v1/ga4/credentials").json()["results"]
    assert {str(row["id"]) for row in rows} == {a["id"] for a in answer} and len(rows) == 2
    assert all(str(row.pop("user_id")) == str(user_a.id) for row in rows)
    assert set(rows[0]) == set(answer[0])  # the same columns as the API's answer: no token
    by_id = {a["id"]: a for a in answer}
    for row in rows:
        expected = by_id[str(row["id"])]
        assert (row["property_id"], row["status"], row["scopes"]) == (expected["property_id"], expected["status"], expected["scopes"])
    assert [row["property_id"] for row in read_view(user_b)] == ["333333333"]


def test_the_view_runs_as_its_caller_and_only_signed_in_callers_read_it(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'ga4_credentials_safe'::regclass")
        assert cursor.fetchone()[0] == ["security_invoker=true"]
        cursor.execute("SELECT has_table_privilege('anon', 'ga4_credentials_safe', 'SELECT'),"
                       " has_table_privilege('authenticated', 'ga4_credentials_safe', 'SELECT')")
        assert cursor.fetchone() == (False, True)

"""What the database itself guarantees, whatever route a write takes: cascades from auth.users,
the updated_at trigger, CHECK constraints and row-level security."""

import json

import pytest
from django.db import IntegrityError, connection, transaction

from core import rls
from sessions_app.models import DraftFile, ResearchSession


def sql(query, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else None


@pytest.fixture
def session_a(user_a):
    session = ResearchSession.objects.create(user=user_a, title="A's study")
    DraftFile.objects.create(session=session, file_name="a.md", content="secret")
    return session


def test_deleting_the_auth_user_cascades_to_sessions_and_files(session_a, user_a, user_b):
    ResearchSession.objects.create(user=user_b, title="B's study")
    sql("DELETE FROM auth.users WHERE id = %s", [user_a.id])  # as Supabase Auth would
    assert list(ResearchSession.objects.values_list("title", flat=True)) == ["B's study"]
    assert not DraftFile.objects.exists()


def test_deleting_a_session_cascades_to_its_files(session_a):
    sql("DELETE FROM research_sessions WHERE id = %s", [session_a.id])
    assert not DraftFile.objects.exists()


def test_updated_at_trigger_on_a_raw_sql_update(session_a):
    before = session_a.updated_at
    sql("UPDATE research_sessions SET updated_at = '2000-01-01', title = 'raw' WHERE id = %s", [session_a.id])
    session_a.refresh_from_db()
    assert session_a.updated_at > before
    sql("UPDATE draft_files SET updated_at = '2000-01-01', content = 'x' WHERE session_id = %s", [session_a.id])
    assert DraftFile.objects.get().updated_at.year > 2000


@pytest.mark.parametrize("column, value", [("status", "archived"), ("stage", "9_done")])
def test_check_constraints_refuse_unknown_enum_values(session_a, column, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(f"UPDATE research_sessions SET {column} = %s WHERE id = %s", [value, session_a.id])


def test_foreign_key_refuses_an_unknown_user(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        sql("INSERT INTO research_sessions (user_id, title) VALUES (gen_random_uuid(), 'orphan')")
        sql("SET CONSTRAINTS ALL IMMEDIATE")


def test_rls_hides_and_protects_another_users_rows(session_a, user_b):
    """As the `authenticated` role with B's claims, raw SQL sees and changes none of A's rows."""
    with rls.end_user(rls.claims_for(user_b)):
        assert sql("SELECT count(*) FROM research_sessions") == [(0,)]
        assert sql("SELECT count(*) FROM draft_files") == [(0,)]
        assert sql("UPDATE research_sessions SET title = 'pwned' RETURNING id") == []
        assert sql("DELETE FROM draft_files RETURNING id") == []
        with pytest.raises(Exception, match="row-level security"), transaction.atomic():
            sql("INSERT INTO research_sessions (user_id, title) VALUES (%s, 'planted')", [session_a.user_id])
        with pytest.raises(Exception, match="row-level security"), transaction.atomic():
            sql("INSERT INTO draft_files (session_id, file_name) VALUES (%s, 'planted.md')", [session_a.id])
    session_a.refresh_from_db()
    assert session_a.title == "A's study" and DraftFile.objects.count() == 1


def test_rls_lets_the_owner_in(session_a, user_a):
    with rls.end_user(rls.claims_for(user_a)):
        assert sql("SELECT title FROM research_sessions") == [("A's study",)]
        assert sql("SELECT current_user, auth.uid()") == [("authenticated", user_a.id)]
    assert sql("SELECT current_user") != [("authenticated",)]  # the role ends with the block


def test_claims_are_the_tokens_claims(user_a):
    claims = rls.claims_for(user_a)
    with rls.end_user(claims):
        (row,) = sql("SELECT auth.jwt()")
    assert json.loads(row[0]) if isinstance(row[0], str) else row[0] == claims

"""Statements sent past Django's cursor (core.statements): sent together in one round trip, with the
transaction's BEGIN (and COMMIT when asked), bound and prepared on the server, failing as Django's
cursors fail."""

from unittest import mock

import psycopg
import pytest
from django.db import DataError, OperationalError, ProgrammingError, connection, transaction
from psycopg.pq import TransactionStatus

from core import statements


def status():
    return connection.connection.info.transaction_status


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE NOT from_sql")
        return {name for (name,) in cursor.fetchall()}


def setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [name])
        return cursor.fetchone()[0]


@pytest.mark.usefixtures("committed_db")
def test_a_transaction_begins_with_the_first_statements_and_ends_with_commit():
    with transaction.atomic():
        connection.ensure_connection()
        assert status() == TransactionStatus.IDLE  # Django's atomic() sends nothing before a statement
        rows = statements.fetch_all([("SELECT %s::int + 1", (1,)), ("SELECT generate_series(1, %s)", (3,))])
        assert rows == [[(2,)], [(1,), (2,), (3,)]] and status() == TransactionStatus.INTRANS
        assert statements.fetch_all([("SELECT set_config('core.test', 'kept', true)", ())], commit=True) == [[("kept",)]]
        assert status() == TransactionStatus.IDLE  # committed in that round trip
    assert setting("core.test") in ("", None)  # local to the committed transaction


@pytest.mark.usefixtures("committed_db")
def test_in_autocommit_each_statement_is_a_transaction_of_its_own():
    with pytest.raises(DataError, match="division by zero"):
        statements.fetch_all([
            ("SELECT set_config('core.test', 'first', false)", ()),
            ("SELECT 1 / %s", (0,)),
            ("SELECT %s::int", ("not a number",)),  # runs, and fails too: the first failure is raised
        ])
    assert setting("core.test") == "first"  # the first statement's transaction committed all the same
    assert statements.execute("SELECT %s", ("next",), fetch=True) == ("next",)


@pytest.mark.django_db
def test_the_first_failure_is_raised_as_djangos_and_the_rest_is_not_run():
    with pytest.raises(DataError, match="division by zero"):
        with transaction.atomic():
            statements.fetch_all([
                ("SELECT set_config('core.test', 'before', true)", ()),
                ("SELECT 1 / %s", (0,)),
                ("SELECT set_config('core.test', 'after', true)", ()),
            ])
    assert statements.execute("SELECT %s::text", ("usable",), fetch=True) == ("usable",)


@pytest.mark.django_db
def test_a_value_psycopg_cannot_send_fails_before_anything_is_sent():
    with pytest.raises(ProgrammingError, match="parameter missing"):
        statements.execute("SELECT %(missing)s", {"other": 1})
    assert statements.execute("SELECT 1", (), fetch=True) == (1,)


@pytest.mark.django_db
def test_asked_to_prepare_a_statement_is_prepared_once_and_reused(settings):
    assert settings.DATABASE_PREPARED_STATEMENTS
    sql = "SELECT %s::text AS core_prepared_once"
    for value in ("a", "b", "c"):
        assert statements.execute(sql, (value,), prepare=True, fetch=True) == (value,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%core_prepared_once%"])
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_fetch_all_prepares_a_text_once_it_has_come_back():
    sql = "SELECT %s::int AS core_reparsed"
    for round_ in range(1, statements.REPARSE_LIMIT + 2):
        statements.fetch_all([(sql, (round_,))])
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%core_reparsed%"])
            assert cursor.fetchone()[0] == (0 if round_ < statements.REPARSE_LIMIT else 1)


@pytest.mark.django_db
def test_without_prepared_statements_nothing_is_prepared(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    before = prepared_names()
    for _ in range(statements.REPARSE_LIMIT + 1):
        statements.execute("SELECT %s::text AS core_never_prepared", ("x",), prepare=True)
        statements.fetch_all([("SELECT %s::text AS core_never_prepared_either", ("x",))])
    assert prepared_names() == before


@pytest.mark.django_db
def test_the_statements_prepared_per_connection_are_bounded(monkeypatch):
    monkeypatch.setattr(statements, "PREPARED_LIMIT", len(statements._kept(connection.connection).prepared.names) + 2)
    for i in range(4):
        statements.execute(f"SELECT %s::int AS core_bounded_{i}", (i,), prepare=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%core_bounded_%"])
        assert cursor.fetchone()[0] == 2
    assert statements.execute("SELECT %s::int AS core_bounded_3", (3,), prepare=True, fetch=True) == (3,)  # unprepared


@pytest.mark.django_db
def test_statements_deallocated_behind_its_back_are_prepared_again():
    """Someone ran DEALLOCATE ALL (or DISCARD ALL) on the connection: the statement sent under a name
    that is gone fails, once, and the next one prepares it again."""
    sql = "SELECT %s::int AS core_deallocated"
    statements.execute(sql, (1,), prepare=True)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(ProgrammingError, match="does not exist"), transaction.atomic():
        statements.execute(sql, (2,), prepare=True)
    assert statements.execute(sql, (3,), prepare=True, fetch=True) == (3,)


@pytest.mark.usefixtures("committed_db")
def test_a_round_trip_cut_short_closes_the_connection():
    """Results left unread would answer the next statement: the connection is not used again."""
    connection.ensure_connection()
    raw = connection.connection

    def cut(pgconn):
        raise psycopg.OperationalError("the server went away")
        yield

    with mock.patch.object(statements.generators, "fetch_many", cut), pytest.raises(OperationalError, match="went away"):
        statements.fetch_all([("SELECT 1", ()), ("SELECT 2", ())])
    assert raw.closed
    connection.close()
    assert statements.execute("SELECT 1", (), fetch=True) == (1,)  # a new connection

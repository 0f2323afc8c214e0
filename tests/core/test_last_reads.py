"""A list's last reads (core.rls.last_reads): once a GET list has read its page, the request's
transaction ends with that read — its COMMIT in the same round trip as the count and the page
where the transaction is the outermost one — and no statement may follow until its block ends."""

from unittest import mock

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from psycopg.pq import TransactionStatus

from core import rls, statements
from core.api.pagination import Paginator
from sessions_app.models import ResearchSession

GET, POST = RequestFactory().get("/"), RequestFactory().post("/")


@pytest.fixture
def sessions(user_a, user_b):
    return [ResearchSession.objects.create(user=user, title=f"{user.email} {i}") for user in (user_a, user_b) for i in range(3)]


def status():
    return connection.connection.info.transaction_status


def read_last_page(request, user):
    """Page 1 of `user`'s sessions as rows, read as the last reads of `request`; the transaction's
    status right after."""
    with rls.last_reads(request):
        page = Paginator(ResearchSession.objects.filter(user=user).order_by("-created_at").values_list("id", "title"), 2).page(1)
    return list(page), status()


def expected_page(user):
    return list(ResearchSession.objects.filter(user=user).order_by("-created_at").values_list("id", "title")[:2])


@pytest.mark.usefixtures("committed_db")
def test_the_outermost_transaction_commits_with_its_last_reads(sessions, user_a):
    with rls.request_transaction():
        rls.act_as(rls.claims_for(user_a))
        rows, after = read_last_page(GET, user_a)
        assert after == TransactionStatus.IDLE  # committed in the page's round trip
        with pytest.raises(TransactionManagementError, match="last reads"):
            ResearchSession.objects.count()  # would run outside the transaction, as the connection's role
        with pytest.raises(TransactionManagementError):
            statements.execute("SELECT 1", ())
    assert rows == expected_page(user_a)
    assert ResearchSession.objects.count() == 6  # the block is over: statements go out again


@pytest.mark.django_db
def test_nested_in_a_transaction_no_commit_goes_but_no_statement_follows(sessions, user_a):
    """The tests' request transactions are nested in the test's: nothing is committed there, and
    the rule that no statement follows the last reads holds all the same."""
    with rls.request_transaction():
        rls.act_as(rls.claims_for(user_a))
        rows, after = read_last_page(GET, user_a)
        assert after == TransactionStatus.INTRANS
        with pytest.raises(TransactionManagementError):
            ResearchSession.objects.exists()
    assert rows == expected_page(user_a)
    assert rls.current_claims() == {}  # the role and claims undone on the way out, as before


@pytest.mark.usefixtures("committed_db")
def test_a_transaction_with_work_to_run_on_commit_ends_as_usual(sessions, user_a):
    ran = []
    with rls.request_transaction():
        transaction.on_commit(lambda: ran.append(status()))
        rows, after = read_last_page(GET, user_a)
        assert after == TransactionStatus.INTRANS and ran == []
    assert ran == [TransactionStatus.IDLE] and rows == expected_page(user_a)


@pytest.mark.usefixtures("committed_db")
def test_only_safe_requests_end_with_their_reads(sessions, user_a):
    with rls.request_transaction():
        rows, after = read_last_page(POST, user_a)
        assert after == TransactionStatus.INTRANS
        assert ResearchSession.objects.count() == 6  # statements may follow
    assert rows == expected_page(user_a)


@pytest.mark.django_db
def test_outside_a_request_transaction_nothing_changes(sessions, user_a):
    rows, _ = read_last_page(GET, user_a)
    assert rows == expected_page(user_a) and ResearchSession.objects.count() == 6


@pytest.mark.usefixtures("committed_db")
def test_a_failed_block_leaves_the_connection_usable(sessions, user_a):
    with pytest.raises(TransactionManagementError):
        with rls.request_transaction():
            read_last_page(GET, user_a)
            ResearchSession.objects.count()
    assert not connection.reads_finished and ResearchSession.objects.count() == 6


@pytest.mark.usefixtures("committed_db")
def test_a_list_request_sends_its_commit_with_its_page(api, sessions, user_a):
    """Through the API: two round trips (the token's with BEGIN, then count, page and COMMIT); the
    statements shown are the same as before, Django's COMMIT included."""
    sent = []
    run = statements._run

    def recording(queries, *args, **kwargs):
        cursors = run(queries, *args, **kwargs)
        sent.append((len(queries), kwargs.get("commit", False), status()))
        return cursors

    client = api(user_a)
    with mock.patch.object(statements, "_run", recording), CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/research-sessions/?page_size=2")
    assert response.status_code == 200, response.content
    assert [r["title"] for r in response.json()["results"]] == [title for _, title in expected_page(user_a)]
    assert sent == [(1, False, TransactionStatus.INTRANS), (2, True, TransactionStatus.IDLE)]
    shown = [q["sql"].split()[0] for q in ctx.captured_queries]
    assert shown[0] == "BEGIN" and shown[-1] == "COMMIT" and len(shown) == 5

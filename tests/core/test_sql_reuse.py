"""Reused SELECT statements (core/db/compiler.py): a query of a plain shape has only its WHERE clause
compiled per execution, a COUNT of one its COUNT statement kept. Each query below runs twice (so
the second run reuses the first's statement) and must give what Django's own compilation gives;
the suite runs with SQL_CACHE_VERIFY, which compares every reuse with a fresh compilation too."""

import uuid
from unittest import mock

import pytest
from django.core.paginator import EmptyPage
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.test.utils import CaptureQueriesContext

from core import statements
from core.api.pagination import Paginator
from core.db import compiler
from sessions_app.models import ResearchSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(user_a, user_b):
    rows = [ResearchSession.objects.create(user=user, title=f"{user.email} {i}", status=status)
            for user in (user_a, user_b) for i, status in enumerate(["in_progress", "completed", "failed"] * 2)]
    return rows


def twice(make):
    """`make()` evaluated twice, each time on a new queryset (as a request builds its own)."""
    return [list(make()) for _ in range(2)]


QUERIES = {
    "owned rows": lambda user: ResearchSession.objects.filter(user=user),
    "values_list, ordered": lambda user: ResearchSession.objects.filter(user=user).order_by("title").values_list("id", "title"),
    "sliced": lambda user: ResearchSession.objects.filter(user=user).order_by("-title")[1:3],
    "in, lookups": lambda user: ResearchSession.objects.filter(user=user, status__in=["failed", "completed"], title__icontains="1"),
    "or, not": lambda user: ResearchSession.objects.filter(Q(status="failed") | ~Q(title__endswith="0"), user=user),
    "only": lambda user: ResearchSession.objects.filter(user=user).only("title"),
    "defer": lambda user: ResearchSession.objects.filter(user=user).defer("title"),
    "unfiltered": lambda user: ResearchSession.objects.order_by("id").values_list("id", flat=True),
    "values": lambda user: ResearchSession.objects.filter(user=user).values("status"),
    "joined (not reused)": lambda user: ResearchSession.objects.filter(user__email=user.email),
    "annotated (not reused)": lambda user: ResearchSession.objects.filter(user=user).annotate(n=Count("id")),
    "expression": lambda user: ResearchSession.objects.filter(user=user, title=F("title")),
}


@pytest.mark.parametrize("name", QUERIES)
def test_reused_statements_give_djangos_rows(name, sessions, user_a, user_b):
    make = QUERIES[name]
    for user in (user_a, user_b, user_a):  # the same shape with other values, then the first again
        compiler._statements.clear()
        first, second = twice(lambda user=user: make(user))
        assert first == second
        kept = [v for v in compiler._statements.values() if v is not compiler._UNCACHEABLE]
        assert bool(kept) == ("(not reused)" not in name)
        compiler._statements.clear()
        assert list(make(user)) == first  # compiled afresh


def test_a_reused_statement_binds_this_executions_values(sessions, user_a, user_b):
    rows = {user: list(ResearchSession.objects.filter(user=user).values_list("title", flat=True)) for user in (user_a, user_b)}
    assert set(rows[user_a]).isdisjoint(rows[user_b]) and len(rows[user_a]) == 6
    statements = [k for k in compiler._statements if k[0] != "count"]
    assert statements  # kept for the shape, whoever's rows


def test_in_lists_of_other_lengths_are_other_statements(sessions, user_a):
    for statuses in (["failed"], ["failed", "completed"], ["failed"], []):
        expected = [s.pk for s in sessions if s.user_id == user_a.id and s.status in statuses]
        got = ResearchSession.objects.filter(user=user_a, status__in=statuses).values_list("pk", flat=True)
        assert sorted(got) == sorted(expected)


def test_counts_reuse_djangos_count_statement(sessions, user_a, user_b):
    for user, status, expected in [(user_a, "failed", 2), (user_b, "failed", 2), (user_a, None, 6), (None, None, 12)]:
        qs = ResearchSession.objects.all()
        if user:
            qs = qs.filter(user=user)
        if status:
            qs = qs.filter(status=status)
        with CaptureQueriesContext(connection) as django:
            assert qs.count() == expected
        compiler._statements.clear()
        for _ in range(2):
            with CaptureQueriesContext(connection) as ours:
                assert compiler.count(qs) == expected
            assert [q["sql"] for q in ours] == [q["sql"] for q in django]


def test_counts_of_other_shapes_are_djangos(sessions, user_a):
    assert compiler.count(ResearchSession.objects.filter(user=user_a)[:2]) == 2
    assert compiler.count(ResearchSession.objects.filter(user=user_a).distinct()) == 6
    assert compiler.count(ResearchSession.objects.filter(user=user_a, status__in=[])) == 0
    evaluated = ResearchSession.objects.filter(user=user_a)
    list(evaluated)
    with CaptureQueriesContext(connection) as ctx:
        assert compiler.count(evaluated) == 6
    assert not ctx.captured_queries


def test_paginator_counts_querysets_and_lists(sessions, user_a):
    assert Paginator(ResearchSession.objects.filter(user=user_a).order_by("id"), 4).count == 6
    assert Paginator(list(range(5)), 2).count == 5


def test_verification_catches_a_statement_that_differs(sessions, user_a):
    compiler._statements.clear()
    list(ResearchSession.objects.filter(user=user_a))
    key = next(k for k in compiler._statements if k[0] != "count")
    (head, tail), *rest = compiler._statements[key]
    compiler._statements[key] = ((head, tail + " LIMIT 1"), *rest)
    with pytest.raises(AssertionError, match="differs from Django"):
        list(ResearchSession.objects.filter(user=user_a))
    compiler._statements.clear()


def test_the_cache_is_bounded(sessions, user_a, monkeypatch):
    monkeypatch.setattr(compiler, "MAX_STATEMENTS", 3)
    compiler._statements.clear()
    for n in range(1, 6):
        list(ResearchSession.objects.filter(user=user_a, title__in=[str(uuid.uuid4()) for _ in range(n)]))
    assert len(compiler._statements) <= 3


# --- A page and its count in one round trip (Paginator.page, compiler.count_and_rows) -------------

ROWS = {
    "owned, newest first": lambda user: ResearchSession.objects.filter(user=user).order_by("-created_at", "-id"),
    "filtered": lambda user: ResearchSession.objects.filter(user=user, status__in=["failed", "completed"]).order_by("title"),
    "text lookup": lambda user: ResearchSession.objects.filter(user=user, title__icontains=" 1").order_by("id"),
    "matches nothing": lambda user: ResearchSession.objects.filter(user=user, title="no such title").order_by("id"),
}


@pytest.mark.parametrize("name", ROWS)
@pytest.mark.parametrize("per_page, number", [(2, 1), (2, 2), (4, 2), (50, 1)])
def test_a_page_and_its_count_are_djangos(name, per_page, number, sessions, user_a):
    from django.core.paginator import Paginator as DjangoPaginator

    queryset = ROWS[name](user_a).values_list("id", "title", "status", "created_at")
    expected = DjangoPaginator(queryset, per_page)
    if number > expected.num_pages:
        with pytest.raises(EmptyPage):
            Paginator(queryset, per_page).page(number)
        return
    for _ in range(2):  # the second time from the kept statements
        ours = Paginator(queryset, per_page)
        with CaptureQueriesContext(connection) as ctx:
            page = ours.page(number)
        assert (ours.count, list(page)) == (expected.count, list(expected.page(number)))
        assert [q["sql"].split()[1] for q in ctx.captured_queries] == ["COUNT(*)", '"research_sessions"."id"']


def test_the_count_and_the_page_go_out_together(sessions, user_a):
    """One exchange (one round trip, core.statements) inside the request's transaction; each shown
    as Django shows its own."""
    queryset = ROWS["owned, newest first"](user_a).values_list("id", "title")
    exchanged = []
    exchange = statements._exchange
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        with mock.patch.object(statements, "_exchange", lambda raw, queries, *rest: exchanged.append(len(queries)) or exchange(raw, queries, *rest)):
            page = Paginator(queryset, 2).page(2)
    assert exchanged == [2] and len(page) == 2
    assert [q["sql"].split()[1] for q in ctx.captured_queries] == ["COUNT(*)", '"research_sessions"."id"']


def test_a_page_beyond_the_last_is_refused_after_the_count(sessions, user_a):
    paginator = Paginator(ROWS["owned, newest first"](user_a).values_list("id"), 4)
    with pytest.raises(EmptyPage):
        paginator.page(3)
    assert paginator.count == 6


def test_querysets_of_instances_go_djangos_way(sessions, user_a):
    queryset = ROWS["owned, newest first"](user_a)
    assert compiler.count_and_rows(queryset, 0, 2) is None  # instances: Django reads them
    assert [s.pk for s in Paginator(queryset, 2).page(1)] == [s.pk for s in queryset[:2]]


def test_a_page_is_read_whole_in_one_query(sessions, user_a):
    """Iterating a page of instances runs its query once and yields Django's rows, read from the
    page's list as a whole, not through `Page.__getitem__` one row at a time."""
    queryset = ROWS["owned, newest first"](user_a)
    page = Paginator(queryset, 4).page(1)
    with (mock.patch.object(type(page), "__getitem__", side_effect=AssertionError("read row by row")),
          CaptureQueriesContext(connection) as ctx):
        first, again = list(page), list(page)
    assert [s.pk for s in first] == [s.pk for s in again] == [s.pk for s in queryset[:4]]
    assert len(ctx.captured_queries) == 1 and page[0].pk == first[0].pk


def test_the_api_answers_an_invalid_page_with_404(api, user_a, sessions):
    response = api(user_a).get("/api/v1/research-sessions/?page=9&page_size=2")
    assert response.status_code == 404 and response.json()["error"]["message"].startswith("Invalid page")

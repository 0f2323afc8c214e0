"""SELECT statements compiled once per shape: Django compiles every query from scratch (its SELECT
list, FROM clause, ordering; for a count, a clone of the query turned into an aggregate first),
about a fifth of a list request. Here a query of a plain shape — one model's columns, no joins,
annotations, extra(), DISTINCT, GROUP BY, locking or set operations — has only its WHERE clause
compiled per execution (its values bound as parameters, as always); the rest of the statement is
Django's own text from the first execution of the same shape, kept per process.

The shape is everything but the WHERE clause that the compiler reads to write the statement (see
`_shape`), plus the WHERE clause's compiled text itself, so two queries that differ in anything
but the values of their filters never share a statement. With `settings.SQL_CACHE_VERIFY` (on in
the test suite) every reuse is checked against a fresh compilation.
"""

import contextvars

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.backends.postgresql import compiler as postgresql
from django.db.backends.postgresql.compiler import (  # noqa: F401 - the backend's other compilers
    SQLAggregateCompiler,
    SQLDeleteCompiler,
    SQLInsertCompiler,
    SQLUpdateCompiler,
)
from django.db.models.expressions import Col
from django.db.models.query import ValuesListIterable
from django.db.models.sql.datastructures import BaseTable
from django.db.models.sql.query import Query
from django.db.models.sql.where import WhereNode

from core import statements

__all__ = ["SQLAggregateCompiler", "SQLCompiler", "SQLDeleteCompiler", "SQLInsertCompiler", "SQLUpdateCompiler", "count", "count_and_rows"]

MAX_STATEMENTS = 2048  # shapes kept per process; the cache starts over when full
_statements: dict = {}
_UNCACHEABLE = object()
# Set while a statement is only being written, not run (`_django_sql`): execute_sql records it.
_dry_run = contextvars.ContextVar("dry_run", default=None)


def _shape(query) -> tuple | None:
    """What, besides the WHERE clause, makes a query's statement: None when the query is not of the
    plain shape reused here."""
    if (
        type(query) is not Query
        or query.annotations or query.extra or query.extra_order_by or query.extra_tables
        or query.distinct or query.combinator or query.group_by is not None or query.select_related
        or query.select_for_update or query.subquery or query.explain_info is not None
        or type(query.where) is not WhereNode or query.where.contains_aggregate or query.where.contains_over_clause
    ):
        return None
    refcount = query.alias_refcount
    for alias, table in query.alias_map.items():
        # The model's table, or a join a filter made and then trimmed (not written out).
        if not (type(table) is BaseTable and table.table_alias == alias) and refcount[alias]:
            return None
    select = []
    for col in query.select:
        if type(col) is not Col:
            return None
        select.append((col.alias, col.target, col.output_field))
    order_by = query.order_by
    if not all(type(term) is str for term in order_by):
        return None
    selected = query.selected
    if selected is not None:
        if not all(type(index) is int for index in selected.values()):
            return None
        selected = tuple(selected.items())
    loading = query.deferred_loading
    return (
        query.model, tuple(query.alias_map), tuple(query.alias_refcount.items()), query.alias_cols,
        query.default_cols, tuple(select), selected, query.values_select, (frozenset(loading[0]), loading[1]),
        order_by, query.default_ordering, query.standard_ordering, query.low_mark, query.high_mark,
    )


def _where(compiler) -> tuple[str, tuple] | None:
    """The query's WHERE clause compiled, as Django's as_sql() does; None when it matches no row
    (Django's own path decides what then)."""
    try:
        sql, params = compiler.compile(compiler.query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "", ()
    return sql, tuple(params)


def _template(sql, params, where_sql, where_params):
    """`sql` as the text around its WHERE clause, when the WHERE clause's parameters are all of
    its parameters (so that another execution's WHERE clause and parameters can take their place)."""
    if tuple(params) != where_params:
        return _UNCACHEABLE
    if not where_sql:
        return sql, ""
    marker = " WHERE " + where_sql
    if sql.count(marker) != 1:
        return _UNCACHEABLE
    head, tail = sql.split(marker)
    return head + " WHERE ", tail


def _store(key, value):
    if len(_statements) >= MAX_STATEMENTS:
        _statements.clear()
    _statements[key] = value


class SQLCompiler(postgresql.SQLCompiler):
    # The WHERE clause compiled already for a query with the same one (count_and_rows: the count's).
    compiled_where = None

    def as_sql(self, with_limits=True, with_col_aliases=False):
        query = self.query
        shape = _shape(query)
        if shape is None:
            return super().as_sql(with_limits, with_col_aliases)
        where = self.compiled_where
        if where is None:
            refcounts = query.alias_refcount.copy()
            try:
                if all(query.alias_refcount[a] == 0 for a in query.alias_map):
                    query.get_initial_alias()  # as setup_query() does
                where = _where(self)
            finally:
                query.reset_refcounts(refcounts)
        if where is None:
            return super().as_sql(with_limits, with_col_aliases)
        key = (self.using, self.elide_empty, with_limits, with_col_aliases, where[0], shape)
        kept = _statements.get(key)
        if kept is None:
            sql, params = super().as_sql(with_limits, with_col_aliases)
            template = _template(sql, params, *where)
            _store(key, _UNCACHEABLE if template is _UNCACHEABLE else (
                template, self.select, self.klass_info, self.annotation_col_map, self.has_extra_select))
            return sql, params
        if kept is _UNCACHEABLE:
            return super().as_sql(with_limits, with_col_aliases)
        (head, tail), select, self.klass_info, self.annotation_col_map, self.has_extra_select = kept
        self.select, self.col_count = list(select), len(select)
        self.where, self.having, self.qualify = query.where, None, None
        sql = head + where[0] + tail
        if settings.SQL_CACHE_VERIFY:
            _verify(self, (sql, where[1]), with_limits, with_col_aliases)
        return sql, where[1]

    def execute_sql(self, *args, **kwargs):
        captured = _dry_run.get()
        if captured is None:
            return super().execute_sql(*args, **kwargs)
        try:
            captured.append(self.as_sql())
        except EmptyResultSet:
            pass
        return None


def _verify(compiler, statement, with_limits, with_col_aliases):
    fresh = postgresql.SQLCompiler(compiler.query, compiler.connection, compiler.using, compiler.elide_empty)
    expected = fresh.as_sql(with_limits, with_col_aliases)
    if statement != expected or [c for c, _, _ in compiler.select] != [c for c, _, _ in fresh.select]:
        raise AssertionError(f"reused statement {statement!r} differs from Django's {expected!r}")


def _django_sql(run) -> tuple[str, tuple] | None:
    """The statement Django would execute in `run()`, written but not executed (None if none)."""
    captured = []
    token = _dry_run.set(captured)
    try:
        run()
    finally:
        _dry_run.reset(token)
    return captured[0] if len(captured) == 1 else None


def _count_statement(queryset) -> tuple[tuple[str, tuple], tuple[str, tuple]] | None:
    """The COUNT statement of `queryset.count()`, from the kept text of its shape, and the compiled
    WHERE clause in it; None when its shape is not kept (queryset.count() then counts as Django does)."""
    query = queryset.query
    shape = None if queryset._result_cache is not None or query.is_sliced else _shape(query)
    if shape is None:
        return None
    compiler = query.get_compiler(queryset.db)
    where = _where(compiler)
    if where is None:
        return None
    key = ("count", compiler.using, where[0], shape)
    template = _statements.get(key)
    if template is None:
        statement = _django_sql(lambda: query.get_count(compiler.using))
        template = _UNCACHEABLE if statement is None else _template(*statement, *where)
        _store(key, template)
    if template is _UNCACHEABLE:
        return None
    sql = template[0] + where[0] + template[1]
    if settings.SQL_CACHE_VERIFY:
        expected = _django_sql(lambda: query.get_count(compiler.using))
        if (sql, where[1]) != expected:
            raise AssertionError(f"reused statement {sql!r} differs from Django's {expected!r}")
    return (sql, where[1]), where


def count(queryset) -> int:
    """`queryset.count()`, with Django's COUNT statement for the queryset's shape reused."""
    counting = _count_statement(queryset)
    if counting is None:
        return queryset.count()
    [[(number,)]] = statements.fetch_all([counting[0]], queryset.db)
    return int(number)


def count_and_rows(queryset, bottom: int, top: int, commit: bool = False) -> tuple[int, list[tuple]] | None:
    """`queryset.count()` and the rows of `queryset[bottom:top]`, a `values_list()` (tuples), as
    Django reads them (its converters applied), both statements sent together (statements.fetch_all:
    one round trip; with `commit`, the transaction's COMMIT too): a page of a list and the count it
    needs. None when either is not of a kept shape, or the queryset does not read tuples (nothing
    is sent): the caller then goes Django's way."""
    if queryset._iterable_class is not ValuesListIterable:
        return None
    counting = _count_statement(queryset)
    page = queryset[bottom:top]
    if counting is None or _shape(page.query) is None:
        return None
    compiler = page.query.get_compiler(page.db)
    compiler.compiled_where = counting[1]  # slicing left the WHERE clause as it was
    try:
        reading = compiler.as_sql()
    except EmptyResultSet:
        return None
    [[(number,)], rows] = statements.fetch_all([counting[0], reading], queryset.db, commit=commit)
    return int(number), list(compiler.results_iter(results=[rows], tuple_expected=True))

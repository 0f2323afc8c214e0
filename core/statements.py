"""Statements sent past Django's cursor, on the psycopg connection Django holds (same transaction):
for the hot paths whose cost is the ORM and client-side binding themselves: authenticating a
request (the access token's user, `accounts.tokens`; the API key, `partners.keys`), each by one
fixed statement that also switches the transaction's identity; a list's count and page, sent
together (`core.db.compiler.count_and_rows`); and batch ingestion by COPY (`partners.ingest`)."""

import functools
import threading
import time
from contextlib import contextmanager, nullcontext

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.base import ModelState
from psycopg.pq import TransactionStatus

_reused = threading.local()  # per thread, as Django's connections: the cursors of execute() and fetch_all()
ONLY_WHEN_ASKED = 2**31 - 1  # a prepare_threshold no statement reaches: only prepare=True prepares
REPARSE_LIMIT = 5  # fetch_all(): executions of a text before it is prepared (psycopg's default threshold)


@contextmanager
def cursor(alias: str = DEFAULT_DB_ALIAS):
    """A psycopg cursor with server-side binding (Django's own cursors bind client-side and never
    prepare) on the connection Django uses now, so in the request's transaction and role. Errors
    come out as Django's (`django.db.OperationalError` while the database is down, `IntegrityError`
    ...), as from a Django cursor."""
    wrapper = connections[alias]
    wrapper.ensure_connection()
    wrapper.validate_no_broken_transaction()
    with wrapper.wrap_database_errors, psycopg.Cursor(wrapper.connection) as raw:
        yield raw


def execute(sql: str, params: tuple, *, prepare: bool = False, fetch: bool = False, alias: str = DEFAULT_DB_ALIAS):
    """One statement as `cursor()` sends it, on a cursor kept for the connection (a new cursor costs
    its row loaders again), shown where Django shows its own queries; the first row if `fetch`.
    `prepare=True` prepares the statement once per connection (psycopg keeps its name per connection,
    and forgets it when the connection rolls back or is replaced) where `DATABASE_PREPARED_STATEMENTS`
    allows it (config/settings.py), and sends it unprepared otherwise."""
    [cursor] = _run([(sql, params)], prepare, alias, shown_with_values=False)
    return cursor.fetchone() if fetch else None


def fetch_all(queries: list[tuple[str, tuple]], alias: str = DEFAULT_DB_ALIAS, *, commit: bool = False) -> list[list[tuple]]:
    """Every row of each statement of `queries` ((sql, params) pairs, sent as `execute()` sends
    them). A statement whose text the connection has run `REPARSE_LIMIT` times already is prepared
    (psycopg's prepare_threshold) where `DATABASE_PREPARED_STATEMENTS` allows: a page's LIMIT and
    OFFSET are in its text, and only the texts that come back are worth a prepared statement. Shown
    with their values in the text, as Django shows the statements these stand in for. With
    `commit`, the transaction's COMMIT goes out after them in the same round trip (core.rls.ending:
    `atomic()` then finds the transaction committed, and shows its COMMIT as usual)."""
    return [cursor.fetchall() for cursor in _run(queries, None, alias, shown_with_values=True, commit=commit)]


def _run(queries, prepare: bool | None, alias, shown_with_values: bool, commit: bool = False) -> list[psycopg.Cursor]:
    """`queries` executed, each on a cursor of its own kept for the connection. Inside a transaction
    (or one about to begin) they go out together in psycopg's pipeline mode, psycopg's BEGIN with
    them (and the COMMIT after them, with `commit`): one round trip for all, not one each; a
    transaction keeps a pooler's server connection for the whole of it, so this holds behind a
    transaction-mode pooler too."""
    started = time.perf_counter()
    wrapper = connections[alias]
    wrapper.ensure_connection()
    wrapper.validate_no_broken_transaction()
    raw = wrapper.connection
    together = not raw.autocommit and (len(queries) > 1 or commit or raw.pgconn.transaction_status == TransactionStatus.IDLE)
    cursors = _cursors(alias, raw, len(queries) + (commit and together))
    threshold = raw.prepare_threshold
    with wrapper.wrap_database_errors:
        if settings.DATABASE_PREPARED_STATEMENTS:
            # Django makes its connections with prepare_threshold None, which turns preparing off
            # altogether, prepare=True included. Lifted for these statements only: with a
            # threshold, psycopg would also count (and keep the text of) every query Django sends.
            raw.prepare_threshold = REPARSE_LIMIT if prepare is None else ONLY_WHEN_ASKED
        try:
            with raw.pipeline() if together else nullcontext():
                for cursor, (sql, params) in zip(cursors, queries):
                    cursor.execute(sql, params, prepare=prepare and settings.DATABASE_PREPARED_STATEMENTS)
                if len(cursors) > len(queries):
                    cursors.pop().execute("COMMIT", prepare=False)
        finally:
            raw.prepare_threshold = threshold
            for sql, params in queries:  # a failed statement too, as Django does
                _log(wrapper, _shown(raw, sql, params) if shown_with_values and wrapper.queries_logged else sql, started)
    return cursors


def _shown(raw, sql: str, params) -> str:
    """`sql` with its values in the text, as Django shows its own statements; as it is when they
    cannot be written (the value that made the statement fail, say)."""
    try:
        return psycopg.ClientCursor(raw).mogrify(sql, params)
    except Exception:
        return sql


def _cursors(alias, raw, count: int) -> list[psycopg.Cursor]:
    """`count` cursors kept for the connection `raw`, made again when Django's connection changes."""
    kept = getattr(_reused, alias, None)
    if kept is None or kept[0].connection is not raw or kept[0].closed:
        kept = []
        setattr(_reused, alias, kept)
    while len(kept) < count:
        kept.append(psycopg.Cursor(raw))
    return kept[:count]


def record(sql: str, started: float, alias: str = DEFAULT_DB_ALIAS) -> None:
    """Show a statement sent past Django's cursor where Django shows its own (DEBUG,
    `CaptureQueriesContext`)."""
    _log(connections[alias], sql, started)


def _log(wrapper, sql: str, started: float) -> None:
    if wrapper.queries_logged:
        wrapper.queries_log.append({"sql": sql, "time": f"{time.perf_counter() - started:.3f}"})


def in_model_order(model, names: set[str]) -> list[str]:
    """`names` in the order of the model's columns, the order `Model.from_db` takes values in."""
    return [field.attname for field in model._meta.concrete_fields if field.attname in names]


def loaded(model, names: list[str], values, alias: str = DEFAULT_DB_ALIAS) -> models.Model:
    """The instance `model.from_db()` makes of these columns (the other fields deferred: read on
    first access; `_state` of a saved row), without running `Model.__init__`, most of the cost of
    an instance in a lookup whose budget is tens of µs. Values pass through their field's
    `from_db_value` as the ORM's would (Django's connections load jsonb as text, for one). For
    models with no `pre_init`/`post_init` receiver."""
    instance = model.__new__(model)
    connection = connections[alias]
    instance.__dict__.update(
        (name, value if convert is None else convert(value, None, connection))
        for name, convert, value in zip(names, _converters(model, tuple(names)), values)
    )
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    return instance


@functools.cache
def _converters(model, names: tuple[str, ...]) -> tuple:
    fields = {field.attname: field for field in model._meta.concrete_fields}
    return tuple(getattr(fields[name], "from_db_value", None) for name in names)

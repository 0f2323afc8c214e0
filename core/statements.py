"""Statements sent past Django's cursor, on the psycopg connection Django holds (same transaction):
for the hot paths whose cost is the ORM and client-side binding themselves: authenticating a
request (the access token's user, `accounts.tokens`; the API key, `partners.keys`), each by one
fixed statement that also switches the transaction's identity; a list's count and page, sent
together (`core.db.compiler.count_and_rows`); and batch ingestion by COPY (`partners.ingest`).

`execute()` and `fetch_all()` speak libpq's pipeline mode through psycopg's own wrapper of libpq
(`pgconn`), its parameter conversion (`psycopg._queries.PostgresQuery`, the one private name used)
and its row loaders: every statement of a call, with the transaction's BEGIN and COMMIT, goes in one
write and comes back in one read. psycopg's `Connection.pipeline()` flushes and polls once a
statement, which on a list request made 29 system calls where these make 7."""

import functools
import time
from collections import OrderedDict
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.base import ModelState
from psycopg import errors, generators
from psycopg._queries import PostgresQuery  # psycopg's own placeholder conversion and parameter dumping
from psycopg.adapt import Transformer
from psycopg.pq import ExecStatus, TransactionStatus

REPARSE_LIMIT = 5  # fetch_all(): executions of a text before it is prepared (psycopg's default threshold)
PREPARED_LIMIT = 100  # statements prepared, and texts counted, per connection (psycopg's prepared_max)
_SYNC = object()  # a result slot: the pipeline's Sync


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
    """One statement as `_run()` sends it, shown where Django shows its own queries; the first row
    if `fetch`. `prepare=True` prepares the statement on its first execution on a connection, where
    `DATABASE_PREPARED_STATEMENTS` allows it (config/settings.py), and sends it unprepared otherwise."""
    [rows] = _run([(sql, params)], prepare, alias, shown_with_values=False)
    return (rows[0] if rows else None) if fetch else None


def fetch_all(queries: list[tuple[str, tuple]], alias: str = DEFAULT_DB_ALIAS, *, commit: bool = False) -> list[list[tuple]]:
    """Every row of each statement of `queries` ((sql, params) pairs), sent together by `_run()`. A
    text the connection has run `REPARSE_LIMIT` times already is prepared where
    `DATABASE_PREPARED_STATEMENTS` allows: a page's LIMIT and OFFSET are in its text, and only the
    texts that come back are worth a prepared statement. Shown with their values in the text, as
    Django shows the statements these stand in for. With `commit`, the transaction's COMMIT goes
    out after them in the same round trip (core.rls.ending: `atomic()` then finds the transaction
    committed, and shows its COMMIT as usual)."""
    return _run(queries, None, alias, shown_with_values=True, commit=commit)


def _run(queries, prepare: bool | None, alias, shown_with_values: bool, commit: bool = False) -> list[list[tuple]]:
    """The rows of each of `queries`, all sent in one write and read back in one round trip (libpq's
    pipeline mode), bound on the server: inside a transaction, with the `BEGIN` psycopg would
    otherwise send first in a round trip of its own when the transaction has not begun (and the
    COMMIT after them, with `commit`); in autocommit, each statement in a transaction of its own.
    psycopg's own pipeline writes and polls once a statement (29 system calls a list request, where
    this makes 7), each step through its Python generators; a transaction keeps a pooler's server
    connection for the whole of it, so this holds behind a transaction-mode pooler too. Errors are
    psycopg's, wrapped as Django's: the first statement's to fail, once the round trip is over."""
    started = time.perf_counter()
    wrapper = connections[alias]
    wrapper.ensure_connection()
    wrapper.validate_no_broken_transaction()
    raw = wrapper.connection
    try:
        with wrapper.wrap_database_errors, raw.lock:
            return _exchange(raw, queries, prepare, commit)
    finally:
        for sql, params in queries:  # a failed statement too, as Django does
            _log(wrapper, _shown(raw, sql, params) if shown_with_values and wrapper.queries_logged else sql, started)


def _exchange(raw: psycopg.Connection, queries, prepare: bool | None, commit: bool) -> list[list[tuple]]:
    pgconn, in_transaction = raw.pgconn, not raw.autocommit
    kept = _kept(raw)
    transformer = kept.transformer
    converted = []
    for sql, params in queries:  # before anything is sent: a value psycopg cannot send fails here
        query = PostgresQuery(transformer)
        query.convert(sql, params)
        converted.append(query)
    prepared = kept.prepared if settings.DATABASE_PREPARED_STATEMENTS else None
    slots = []  # what each result read back answers: a statement's index, a PREPARE, a command, a Sync
    pgconn.enter_pipeline_mode()
    try:
        if in_transaction and pgconn.transaction_status == TransactionStatus.IDLE:
            pgconn.send_query_params(_begin(raw), None)
            slots.append(None)
        for index, query in enumerate(converted):
            name, new = prepared.name(query, prepare) if prepared is not None else (None, False)
            if new:
                pgconn.send_prepare(name, query.query, param_types=query.types)
                slots.append((query, name))
            if name is None:
                pgconn.send_query_params(query.query, query.params, param_types=query.types, param_formats=query.formats)
            else:
                pgconn.send_query_prepared(name, query.params, param_formats=query.formats)
            slots.append(index)
            if not in_transaction:
                pgconn.pipeline_sync()
                slots.append(_SYNC)
        if in_transaction:
            if commit:
                pgconn.send_query_params(b"COMMIT", None)
                slots.append(None)
            pgconn.pipeline_sync()
            slots.append(_SYNC)
        raw.wait(generators.send(pgconn))  # all of it, in one write unless it outgrows the socket's buffer
        rows, failure = [[] for _ in queries], None
        for slot in slots:
            [result, *_] = raw.wait(generators.fetch_many(pgconn))
            if slot is _SYNC or result.status == ExecStatus.PIPELINE_ABORTED:
                continue
            if result.status == ExecStatus.FATAL_ERROR:
                failure = failure or errors.error_from_result(result, encoding=raw.info.encoding)
            elif type(slot) is tuple:
                prepared.add(*slot)
            elif slot is not None and result.status == ExecStatus.TUPLES_OK:
                transformer.set_pgresult(result)
                rows[slot] = transformer.load_rows(0, result.ntuples, tuple)
    except BaseException:
        _abandon(raw)
        raise
    pgconn.exit_pipeline_mode()
    if failure is not None:
        if prepared is not None and failure.sqlstate == "26000":  # our statements were deallocated
            prepared.clear()
        raise failure
    return rows


def _abandon(raw: psycopg.Connection) -> None:
    """Leave pipeline mode after a round trip cut short (the connection lost, an interrupt): with
    results still unread the connection cannot be used again, and is closed (Django and the pool
    then replace it)."""
    try:
        raw.pgconn.exit_pipeline_mode()
    except psycopg.OperationalError:
        raw.close()


def _begin(raw: psycopg.Connection) -> bytes:
    """The BEGIN psycopg sends for a transaction of this connection's characteristics."""
    parts = [b"BEGIN"]
    if raw.isolation_level is not None:
        parts.append(b"ISOLATION LEVEL " + raw.isolation_level.name.replace("_", " ").encode())
    if raw.read_only is not None:
        parts.append(b"READ ONLY" if raw.read_only else b"READ WRITE")
    if raw.deferrable is not None:
        parts.append(b"DEFERRABLE" if raw.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


class _Prepared:
    """The statements `_run()` prepared on one connection, and how often each other text came back.
    Prepared statements outlive a rollback; a connection replaced starts afresh; `clear()` after the
    server said one was missing (someone ran `DEALLOCATE ALL` or `DISCARD ALL`)."""

    def __init__(self):
        self.names: dict[tuple, bytes] = {}
        self.seen: OrderedDict[tuple, int] = OrderedDict()
        self.made = 0

    def name(self, query: PostgresQuery, prepare: bool | None) -> tuple[bytes | None, bool]:
        """The statement's name and whether it must be prepared first; no name: sent unprepared."""
        key = (query.query, query.types)
        if (name := self.names.get(key)) is not None:
            return name, False
        if prepare is False or len(self.names) >= PREPARED_LIMIT:
            return None, False
        if prepare is None:
            seen = self.seen.pop(key, 0) + 1
            if seen < REPARSE_LIMIT:
                self.seen[key] = seen
                if len(self.seen) > PREPARED_LIMIT:
                    self.seen.popitem(last=False)
                return None, False
        self.made += 1
        return b"core_%d" % self.made, True

    def add(self, query: PostgresQuery, name: bytes) -> None:
        self.names[(query.query, query.types)] = name

    def clear(self) -> None:
        self.names.clear()


class _Kept:
    """What `_run()` keeps for one psycopg connection, on it: its Transformer (which keeps the
    dumpers and loaders it has looked up) and its prepared statements."""

    def __init__(self, raw: psycopg.Connection):
        self.transformer = Transformer(raw)
        self.prepared = _Prepared()


def _kept(raw: psycopg.Connection) -> _Kept:
    kept = getattr(raw, "_core_statements", None)
    if kept is None:
        kept = raw._core_statements = _Kept(raw)
    return kept


def _shown(raw, sql: str, params) -> str:
    """`sql` with its values in the text, as Django shows its own statements; as it is when they
    cannot be written (the value that made the statement fail, say)."""
    try:
        return psycopg.ClientCursor(raw).mogrify(sql, params)
    except Exception:
        return sql


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

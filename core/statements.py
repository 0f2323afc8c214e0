"""Statements sent past Django's cursor, on the psycopg connection Django holds (same transaction):
for the hot paths whose cost is the ORM and client-side binding themselves: authenticating a
request (the access token's user, `accounts.tokens`; the API key, `partners.keys`), each by one
fixed statement that also switches the transaction's identity, and batch ingestion by COPY
(`partners.ingest`)."""

import functools
import threading
import time
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.base import ModelState

_reused = threading.local()  # per thread, as Django's connections: the cursor of execute()
ONLY_WHEN_ASKED = 2**31 - 1  # a prepare_threshold no statement reaches: only prepare=True prepares


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
    started = time.perf_counter()
    wrapper = connections[alias]
    wrapper.ensure_connection()
    wrapper.validate_no_broken_transaction()
    raw = wrapper.connection
    reused = getattr(_reused, alias, None)
    if reused is None or reused.connection is not raw or reused.closed:
        reused = psycopg.Cursor(raw)
        setattr(_reused, alias, reused)
    prepare = prepare and settings.DATABASE_PREPARED_STATEMENTS
    threshold = raw.prepare_threshold
    with wrapper.wrap_database_errors:
        if prepare and threshold is None:
            # Django makes its connections with prepare_threshold None, which turns preparing off
            # altogether, prepare=True included. Lifted for this one statement only: with a
            # threshold, psycopg would also count (and keep the text of) every query Django sends.
            raw.prepare_threshold = ONLY_WHEN_ASKED
        try:
            reused.execute(sql, params, prepare=prepare)
        finally:
            raw.prepare_threshold = threshold
            _log(wrapper, sql, started)  # a failed statement too, as Django does
        return reused.fetchone() if fetch else None


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

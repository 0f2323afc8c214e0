"""Statements sent past Django's cursor, on the psycopg connection Django holds (same transaction):
for the two hot paths whose cost is the ORM and client-side binding themselves, the API-key lookup
(`partners.keys`) and batch ingestion by COPY (`partners.ingest`)."""

import threading
import time
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

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

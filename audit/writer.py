"""The audit trail's one writer: how a row is inserted, and the deferred and rolled-back rows.

How a row is written
--------------------
Rows are inserted as the connection's own role, also inside a request that runs as `authenticated`
under RLS: the insert switches the role off and back on inside a savepoint, in one round trip
(`SAVEPOINT; SET LOCAL ROLE NONE; INSERT; restore role; RELEASE`). The savepoint keeps a failed audit
insert from aborting the caller's transaction; the role switch lets the system write rows RLS would
refuse (a staff action, a row about another user). `authenticated` itself may only insert its own rows.

Rows that must outlive a rollback
---------------------------------
A row about a failure (`durable=True`, every captured model change, every analysis run) is inserted
in the current transaction *and* remembered in the request's scope with an on-commit marker. When
the scope closes (after the request's transaction), a row whose marker neither ran nor is still
waiting for an outer commit was rolled back: it is written again, marked `"rolled_back": true`.

Captured rows are deferred: collected during a request's transaction and written in one statement
at its end, with its COMMIT (`deferred`).
"""

import functools
import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from audit import scope as context

logger = logging.getLogger("audit")


class AuditError(Exception):
    """An audit row could not be written (raised only when AUDIT_STRICT is on, as in tests)."""


def strict() -> bool:
    return bool(getattr(settings, "AUDIT_STRICT", False))


def fail(message: str, exc: BaseException | None = None):
    if strict():
        raise AuditError(message) from exc
    logger.error("audit: %s", message, exc_info=exc is not None)


# --- one row -------------------------------------------------------------------------------------

def time_ordered_uuid() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Audit rows only grow, so
    their keys land at the right edge of the primary-key index instead of at random pages."""
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | (random_bits >> 68) << 64 | 0b10 << 62 | random_bits & ((1 << 62) - 1)
    return uuid.UUID(int=value)


@dataclass
class _Written:
    """A row kept in the scope until its transaction is known to have committed."""

    model: type
    values: dict
    upsert: tuple = ()
    committed: bool = False
    marker: object = None
    failed: bool = False  # not in the database: written again (marked rolled back) when the scope closes

    def __post_init__(self):
        self.marker = self._mark

    def _mark(self):
        self.committed = True


def _insert_sql(model, values: dict, upsert=()):
    sql, fields = _statement(model, tuple(values), tuple(upsert))
    return sql, [model_field.get_db_prep_save(value, connection) for model_field, value in zip(fields, values.values())]


@functools.lru_cache(maxsize=256)
def _statement(model, attnames: tuple, upsert: tuple):
    """The INSERT for these columns (by attname), built once: (sql, fields in order)."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[attname] for attname in attnames]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if upsert:
        sets = ", ".join(f"{quote(by_attname[a].column)} = EXCLUDED.{quote(by_attname[a].column)}" for a in upsert)
        sql += f" ON CONFLICT (id) DO UPDATE SET {sets}"
    else:
        sql += " ON CONFLICT (id) DO NOTHING"
    return sql, fields


# Inside a transaction: a savepoint (a failure must not abort the caller's work) and the connection's
# own role for the statement, restored afterwards — all in one round trip (client-side binding).
_AS_OWNER = (
    "SAVEPOINT audit_write; "
    "SELECT set_config('audit.saved_role', current_setting('role'), true); "
    "SET LOCAL ROLE NONE; "
    "{statement}; "
    "SELECT set_config('role', current_setting('audit.saved_role'), true); "
    "RELEASE SAVEPOINT audit_write"
)


def execute_as_owner(sql: str, params) -> None:
    """Run one statement as the connection's own role; inside a transaction it is isolated in a
    savepoint, so a failure leaves the caller's transaction usable. Raises DatabaseError."""
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    with connection.cursor() as cursor:
        try:
            cursor.execute(_AS_OWNER.format(statement=sql), params)
        except DatabaseError:
            try:
                cursor.execute("ROLLBACK TO SAVEPOINT audit_write; RELEASE SAVEPOINT audit_write")
            except DatabaseError:
                pass
            raise


def write(model, values: dict, *, keep=False, upsert=(), defer=False) -> uuid.UUID | None:
    """Insert one row of `model` (values by attname). `keep`: write it again after the request if
    its transaction rolls back. `defer`: inside a request transaction, leave the insert to the end
    of the transaction (`deferred`), batched with the others and sent with its COMMIT."""
    values.setdefault("id", time_ordered_uuid())
    scope = context.current()
    in_transaction = connection.in_atomic_block
    if defer and scope is not None and scope.deferred is not None and in_transaction and not connection.needs_rollback:
        written = _Written(model, values, upsert, failed=True)  # not written yet
        scope.pending.append(written)
        scope.deferred.append(written)
        transaction.on_commit(written.marker)  # dropped by Django if an inner savepoint rolls back
        return values["id"]
    written = _Written(model, values, upsert) if keep and scope is not None and in_transaction else None
    if written is not None:
        scope.pending.append(written)
    if in_transaction and connection.needs_rollback:
        # The caller's transaction is already doomed: nothing can be written in it now.
        if written is None:
            fail(f"{model._meta.db_table} row not written: the transaction is being rolled back")
        else:
            written.failed = True
        return values["id"]
    try:
        execute_as_owner(*_insert_sql(model, values, upsert))
    except DatabaseError as exc:
        if written is not None and not strict():
            written.failed = True  # tried again once the transaction is over
        else:
            fail(f"{model._meta.db_table} row not written: {exc}", exc)
        return values["id"]
    if written is not None:
        transaction.on_commit(written.marker)
    return values["id"]


# --- deferred rows: one statement at the end of a request transaction --------------------------

def _rows_sql(model, rows: list):
    """One INSERT of several rows with the same columns."""
    sql, fields = _statement(model, tuple(rows[0].values), tuple(rows[0].upsert))
    if len(rows) > 1:
        head, values_clause, tail = _split_values(sql)
        sql = head + ", ".join([values_clause] * len(rows)) + tail
    params = [model_field.get_db_prep_save(value, connection) for row in rows for model_field, value in zip(fields, row.values.values())]
    return sql, params


@functools.lru_cache(maxsize=64)
def _split_values(sql: str):
    head, rest = sql.split(" VALUES ", 1)
    end = rest.index(")") + 1
    return head + " VALUES ", rest[:end], rest[end:]


@contextmanager
def deferred(*, commit: bool):
    """Entered by `core.rls.request_transaction` around a request's block: the capture's rows
    (`write(..., defer=True)`) are collected instead of inserted one by one, then written in one
    statement when the block ends cleanly — with the transaction's COMMIT in the same round trip
    when `commit` (the outermost transaction; `atomic()` then finds it committed). A block that
    raises or is marked for rollback writes nothing here: its rows are written when the scope
    closes, marked `"rolled_back": true`, like any rolled-back durable row."""
    scope = context.current()
    if scope is None or not scope.capture:
        yield
        return
    outer, rows = scope.deferred, []
    scope.deferred = rows
    try:
        yield
    finally:
        scope.deferred = outer
    if rows and connection.in_atomic_block and not connection.needs_rollback:
        _write_deferred(rows, commit=commit)


def _write_deferred(rows: list, *, commit: bool) -> None:
    # A row whose marker Django dropped was written inside a savepoint that rolled back.
    registered = {id(entry[1]) for entry in connection.run_on_commit}
    live = [row for row in rows if id(row.marker) in registered]
    if not live:
        return
    groups: dict = {}
    for row in live:
        groups.setdefault((row.model, tuple(row.values), row.upsert), []).append(row)
    statements, params = [], []
    for (model, _, _), group in groups.items():
        sql, values = _rows_sql(model, group)
        statements.append(sql)
        params.extend(values)
    text = _AS_OWNER.format(statement="; ".join(statements)) + ("; COMMIT" if commit else "")
    with connection.cursor() as cursor:
        try:
            cursor.execute(text, params)
        except DatabaseError as exc:
            raw = connection.connection
            if raw is None or raw.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
                raise  # the COMMIT failed, or the connection: the request's work is gone with its rows
            # The audit insert failed: undo it alone; the request's own work goes on (and commits).
            try:
                cursor.execute("ROLLBACK TO SAVEPOINT audit_write; RELEASE SAVEPOINT audit_write")
            except DatabaseError:
                raise exc from None
            fail(f"{len(live)} captured row(s) not written: {exc}", exc)  # rewritten when the scope closes
            return
    for row in live:
        row.failed = False
        row.committed = commit


# --- rows a rollback took away ---------------------------------------------------------------

def _rolled_back(written: _Written) -> bool:
    if written.failed:
        return True
    if written.committed:
        return False
    # Still waiting for an outer transaction to commit (a test case, a command's atomic block)?
    return not any(entry[1] is written.marker for entry in connection.run_on_commit)


def flush_pending(scope) -> None:
    """Write again what a rolled-back transaction took away (called when a scope closes)."""
    if scope is None or not scope.pending:
        return
    for written in scope.pending:
        if not _rolled_back(written):
            continue
        values = dict(written.values)
        values["details"] = {**(values.get("details") or {}), "rolled_back": True}
        try:
            execute_as_owner(*_insert_sql(written.model, values, written.upsert))
        except DatabaseError as exc:
            fail(f"{written.model._meta.db_table} row lost with its rolled-back transaction: {exc}", exc)
    scope.pending.clear()

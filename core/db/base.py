"""PostgreSQL backend that writes a foreign key's `db_on_delete` into its constraint, reads time
stamps with psycopg's C loader, and reuses the statements of plain SELECTs (core/db/compiler.py).

Django 5.2 emulates ON DELETE in Python only. Rows of ours reference `auth.users`, which Supabase
deletes with SQL, so the database itself must cascade (or set null): see `core.fields.ForeignKey`.
"""

import datetime
import functools
import time

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base, operations, schema
from django.db.transaction import TransactionManagementError
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg_pool import ConnectionPool

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
# psycopg's own loader: its C implementation when psycopg's binary package is installed.
_PSYCOPG_TIMESTAMPTZ = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class TimestamptzLoader(Loader):
    """Django's timestamptz loader (postgresql.psycopg_any.BaseTzLoader: the value in `timezone`),
    over psycopg's C loader rather than its Python one, which Django's subclasses and which costs
    ~10 µs a value: 1 ms for a page of 50 rows with two time stamps. Django's `create_cursor` reads
    `timezone` to tell whether a cursor needs a loader of its own."""

    timezone = None

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._load = _PSYCOPG_TIMESTAMPTZ(oid, context).load

    def load(self, data):
        return self._load(data).replace(tzinfo=self.timezone)


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    # Adding a column with a foreign key goes through _create_fk_sql too.
    sql_create_column_inline_fk = None

    def _create_fk_sql(self, model, field, suffix):
        statement = super()._create_fk_sql(model, field, suffix)
        action = getattr(field, "db_on_delete", None)
        if action:
            statement.parts["deferrable"] = f" ON DELETE {action}{statement.parts['deferrable']}"
        return statement


class UTCTimestamptzLoader:
    """psycopg's C loader itself, where Django's time zone is UTC (USE_TZ without a database
    TIME_ZONE): Django keeps the connection's TimeZone at UTC then, for which psycopg's loader gives
    `datetime.timezone.utc`, Django's own tzinfo, with no Python call per value. A class (psycopg's
    cannot be subclassed) carrying the `timezone` Django's `create_cursor` reads, whose instances are
    psycopg's C loaders."""

    format = Format.TEXT
    timezone = datetime.UTC

    def __new__(cls, oid, context=None):
        return _PSYCOPG_TIMESTAMPTZ(oid, context)


@functools.cache
def _loader_in(timezone):
    if timezone is datetime.UTC:
        return UTCTimestamptzLoader
    return type("TimestamptzLoader", (TimestamptzLoader,), {"timezone": timezone})


class DatabaseOperations(operations.DatabaseOperations):
    compiler_module = "core.db.compiler"


def check_unless_recently_used(conn) -> None:
    """The pool's health check (CONN_HEALTH_CHECKS: an empty statement, a round trip) for a
    connection last lent more than `DATABASE_POOL_CHECK_IDLE` seconds ago; one lent more recently
    goes out unchecked, as PgBouncer's `server_check_delay` does. A busy server then pays no round
    trip per request for it, and a connection the database dropped while it was in use is still
    thrown away when it comes back broken (psycopg_pool discards it on return)."""
    now = time.monotonic()
    if now - getattr(conn, "_lent_at", float("-inf")) > settings.DATABASE_POOL_CHECK_IDLE:
        ConnectionPool.check_connection(conn)
    conn._lent_at = now


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
    ops_class = DatabaseOperations
    # Set by core.rls once a request's last reads have gone out (`rls.last_reads`), perhaps with the
    # transaction's COMMIT: a statement sent now would run outside the request's transaction and
    # its role, so every cursor (Django's, core.statements') refuses one until the block ends.
    reads_finished = False

    def validate_no_broken_transaction(self):
        if self.reads_finished:
            raise TransactionManagementError(
                "The request's last reads have been sent (core.rls.last_reads): no statement may follow "
                "them before its transaction block ends.")
        super().validate_no_broken_transaction()

    @property
    def pool(self):
        pool = super().pool
        # Django hands psycopg_pool its check only as `check=ConnectionPool.check_connection`.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_unless_recently_used
        return pool

    def get_connection_params(self):
        params = super().get_connection_params()
        if "context" in params:  # Django's adapters for the connection (get_adapters_template)
            params["context"].register_loader(TIMESTAMPTZ_OID, _loader_in(self.timezone))
        return params

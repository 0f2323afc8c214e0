"""Retention: delete rows older than their table's policy, in bounded batches.

The only code allowed past the audit tables' append-only trigger: each batch runs in its own
transaction that switches on `audit.retention` (transaction-local) as the table owner, and switches
it off again before it commits, so the switch never outlives the batch.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from audit.models import RetentionPolicy

logger = logging.getLogger("audit")

LOCK_KEY = 0x61756469  # pg advisory lock: one cleanup at a time


@dataclass
class TableResult:
    table: str
    retention_days: int
    cutoff: datetime | None = None
    due: int = 0
    deleted: int = 0
    skipped: str = ""

    def as_details(self) -> dict:
        if self.skipped:
            return {"retention_days": self.retention_days, "skipped": self.skipped}
        return {"retention_days": self.retention_days, "cutoff": self.cutoff.isoformat(), "due": self.due, "deleted": self.deleted}


@dataclass
class CleanupRun:
    dry_run: bool
    batch_size: int
    tables: list = field(default_factory=list)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table_shape(table: str) -> tuple[bool, str]:
    """(has created_at, key column: id or ctid) of a table in the search path, or (False, "") if absent."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [_quote(table)])
        if not cursor.fetchone()[0]:
            return False, ""
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped "
            "AND attname IN ('id', 'created_at')",
            [_quote(table)],
        )
        columns = {row[0] for row in cursor.fetchall()}
    return "created_at" in columns, "id" if "id" in columns else "ctid"


def count_due(table: str, cutoff: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {_quote(table)} WHERE created_at < %s", [cutoff])
        return cursor.fetchone()[0]


def delete_batch(table: str, key: str, cutoff: datetime, batch_size: int) -> int:
    """Delete at most `batch_size` of the oldest past-retention rows, in one transaction."""
    quoted = _quote(table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('audit.retention', 'on', true)")
            cursor.execute(
                f"DELETE FROM {quoted} WHERE {key} = ANY(ARRAY("
                f"SELECT {key} FROM {quoted} WHERE created_at < %s ORDER BY created_at LIMIT %s))",
                [cutoff, batch_size],
            )
            deleted = cursor.rowcount
            cursor.execute("SELECT set_config('audit.retention', 'off', true)")
    return deleted


def cleanup(*, batch_size: int = 1000, dry_run: bool = False, tables=None, progress=None, now=None) -> CleanupRun:
    """Apply every enabled policy (or those of `tables`). `progress(total, table)` returns a tqdm-like
    object with `update(n)` and `close()`. Records `last_run` and writes one `audit_logs` summary row
    (not in a dry run)."""
    import audit

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    run = CleanupRun(dry_run=dry_run, batch_size=batch_size)
    policies = RetentionPolicy.objects.filter(enabled=True).order_by("table_name")
    if tables:
        policies = policies.filter(table_name__in=tables)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise RuntimeError("another cleanup_retention is running")
    try:
        for policy in policies:
            result = TableResult(policy.table_name, policy.retention_days)
            run.tables.append(result)
            has_created_at, key = table_shape(policy.table_name)
            if not key:
                result.skipped = "table does not exist"
                logger.warning("cleanup_retention: table %s does not exist; skipped", policy.table_name)
                continue
            if not has_created_at:
                result.skipped = "table has no created_at column"
                logger.warning("cleanup_retention: table %s has no created_at; skipped", policy.table_name)
                continue
            result.cutoff = now - timedelta(days=policy.retention_days)
            result.due = count_due(policy.table_name, result.cutoff)
            if dry_run:
                continue
            bar = progress(result.due, policy.table_name) if progress else None
            try:
                while True:
                    deleted = delete_batch(policy.table_name, key, result.cutoff, batch_size)
                    result.deleted += deleted
                    if bar is not None:
                        bar.update(deleted)
                    if deleted < batch_size:
                        break
            finally:
                if bar is not None:
                    bar.close()
            RetentionPolicy.objects.filter(pk=policy.pk).update(last_run=timezone.now())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    if not dry_run:
        audit.record(
            "retention_cleanup", resource_type="retention_policies", user=None,
            details={"batch_size": batch_size, "tables": {r.table: r.as_details() for r in run.tables},
                     "deleted": sum(r.deleted for r in run.tables)},
        )
    return run

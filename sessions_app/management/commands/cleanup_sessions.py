"""Time- and size-based cleanup of analysis sessions and their stored values (docs/sessions.md).

Safe to run while the site serves requests: each batch is one short transaction that skips rows
another transaction holds (FOR UPDATE SKIP LOCKED), and eviction takes the same per-user lock as a
write, so a quota check never sees a half-trimmed user.
"""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from tqdm import tqdm

import audit
from sessions_app.storage import owner_lock

EXPIRED_VALUES = """
WITH doomed AS (
    SELECT id FROM session_storage WHERE expires_at <= statement_timestamp()
    ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED
)
DELETE FROM session_storage s USING doomed WHERE s.id = doomed.id
RETURNING s.session_id, s.user_id, s.storage_key, s.value_type, s.size_bytes
"""
EXPIRED_SESSIONS = """
WITH due AS (
    SELECT id FROM analysis_sessions WHERE status = 'active' AND expires_at <= statement_timestamp()
    ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED
)
UPDATE analysis_sessions a SET status = 'expired' FROM due WHERE a.id = due.id
RETURNING a.id, a.user_id
"""
USERS_OVER_QUOTA = """
SELECT user_id, SUM(size_bytes) - %s FROM session_storage GROUP BY user_id HAVING SUM(size_bytes) > %s ORDER BY user_id
"""
LEAST_RECENTLY_USED = """
SELECT id, size_bytes FROM session_storage WHERE user_id = %s
ORDER BY last_accessed_at, id LIMIT %s FOR UPDATE SKIP LOCKED
"""


class Command(BaseCommand):
    help = (
        "Delete expired stored values, mark expired analysis sessions `expired`, and trim users over "
        "their storage quota, least recently accessed values first. Batched, safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=settings.SESSION_STORAGE["CLEANUP_BATCH_SIZE"],
                            help="Rows per transaction (default: SESSION_STORAGE_CLEANUP_BATCH_SIZE).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bars (the summary line only).")

    def handle(self, *args, batch_size, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.batch_size, self.quiet = batch_size, no_progress
        started = time.monotonic()
        expired, expired_bytes = self.expire_values()
        sessions = self.expire_sessions()
        evicted, evicted_bytes, users = self.evict()
        self.stdout.write(
            f"cleanup_sessions: deleted {expired} expired value{'s' * (expired != 1)} ({filesizeformat(expired_bytes)}), "
            f"marked {sessions} session{'s' * (sessions != 1)} expired, evicted {evicted} value{'s' * (evicted != 1)} "
            f"({filesizeformat(evicted_bytes)}) from {users} user{'s' * (users != 1)} over quota, "
            f"in {time.monotonic() - started:.2f} s."
        )

    def progress(self, total, desc, unit):
        return tqdm(total=total, desc=desc, unit=f" {unit}", file=sys.stderr, disable=self.quiet, leave=False)

    def scalar(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def expire_values(self) -> tuple[int, int]:
        count = total_bytes = 0
        due = self.scalar("SELECT count(*) FROM session_storage WHERE expires_at <= statement_timestamp()")
        with self.progress(due, "expired values", "value") as bar:
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(EXPIRED_VALUES, [self.batch_size])
                    rows = cursor.fetchall()
                    for session_id, user_id, key, value_type, size in rows:
                        audit.storage("expire", session_id=session_id, key=key, value_type=value_type, size_bytes=size, user=user_id)
                count += len(rows)
                total_bytes += sum(row[4] for row in rows)
                bar.update(len(rows))
                if len(rows) < self.batch_size:
                    return count, total_bytes

    def expire_sessions(self) -> int:
        count = 0
        due = self.scalar("SELECT count(*) FROM analysis_sessions WHERE status = 'active' AND expires_at <= statement_timestamp()")
        with self.progress(due, "expired sessions", "session") as bar:
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(EXPIRED_SESSIONS, [self.batch_size])
                    rows = cursor.fetchall()
                    for session_id, user_id in rows:
                        audit.record("analysis_session.expired", resource_type="analysis_session", resource_id=str(session_id),
                                     session_id=session_id, user=user_id)
                count += len(rows)
                bar.update(len(rows))
                if len(rows) < self.batch_size:
                    return count

    def evict(self) -> tuple[int, int, int]:
        quota = settings.SESSION_STORAGE["MAX_USER_BYTES"]
        with connection.cursor() as cursor:
            cursor.execute(USERS_OVER_QUOTA, [quota, quota])
            over = cursor.fetchall()
        count = total_bytes = 0
        with self.progress(len(over), "users over quota", "user") as bar:
            for user_id, _ in over:
                evicted, freed = self.trim(user_id, quota)
                count, total_bytes = count + evicted, total_bytes + freed
                bar.update(1)
        return count, total_bytes, len(over)

    def trim(self, user_id, quota) -> tuple[int, int]:
        """Evict the user's least recently accessed values until the rest fits the quota."""
        count = freed = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                owner_lock(cursor, user_id)  # no write of this user checks its quota meanwhile
                cursor.execute("SELECT COALESCE(SUM(size_bytes), 0) FROM session_storage WHERE user_id = %s", [user_id])
                excess = cursor.fetchone()[0] - quota
                if excess <= 0:
                    return count, freed
                cursor.execute(LEAST_RECENTLY_USED, [user_id, self.batch_size])
                doomed, planned = [], 0
                for value_id, size in cursor.fetchall():
                    if planned >= excess:
                        break
                    doomed.append(value_id)
                    planned += size
                if not doomed:  # everything left is locked by others: the next run continues
                    return count, freed
                cursor.execute(
                    "DELETE FROM session_storage WHERE id = ANY(%s) RETURNING session_id, storage_key, value_type, size_bytes",
                    [doomed],
                )
                for session_id, key, value_type, size in cursor.fetchall():
                    audit.storage("evict", session_id=session_id, key=key, value_type=value_type, size_bytes=size, user=user_id,
                                  details={"reason": "user_quota", "quota_bytes": quota})
                    count, freed = count + 1, freed + size

"""Re-encrypt every encrypted value of the project under the current key.

    CRYPTOGRAPHY_KEY=<new> CRYPTOGRAPHY_OLD_KEYS=<old> manage.py rotate_encryption_key [--batch-size N]

Every django-cryptography field of every installed model is found through the app registry
(`core.encryption.encrypted_fields()`): GA4 credentials, session storage, and any added later. Rows
are read in primary-key order, in batches of `--batch-size`, each batch in its own transaction:
interrupted, the command resumes where it stopped when run again, because a value already under the
current key is recognised and left alone. A value changed by the application between the read and
the write is not overwritten (the update matches the old ciphertext); the next run takes it.

Afterwards no value opens with the old key: remove it from CRYPTOGRAPHY_OLD_KEYS. The procedure is
in docs/chat.md ("Key rotation").
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from tqdm import tqdm

from core.encryption import KEYRING, Undecryptable, encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields under CRYPTOGRAPHY_KEY (resumable; already-current values are skipped)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per read and per transaction (default 500).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, batch_size=500, no_progress=False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        KEYRING.reset()  # the keys as configured now
        fields = encrypted_fields()
        totals = {(model, field): self._count(model, field) for model, field in fields}
        counts = {"reencrypted": 0, "current": 0, "changed": 0, "unreadable": 0}
        bar = tqdm(
            total=sum(totals.values()),
            desc="Encrypted values",
            unit="value",
            file=getattr(self.stderr, "_out", sys.stderr),
            disable=no_progress,
        )
        with bar:
            for model, field in fields:
                for batch in self._rotate(model, field, batch_size):
                    for key, value in batch.items():
                        counts[key] += value
                    bar.update(sum(batch.values()))
        described = ", ".join(f"{model._meta.db_table}.{field.column}" for model, field in fields)
        summary = (
            f"{sum(totals.values())} encrypted value(s) in {len(fields)} column(s) ({described}): "
            f"{counts['reencrypted']} re-encrypted, {counts['current']} already under the current key, "
            f"{counts['changed']} changed meanwhile (run again), {counts['unreadable']} unreadable with the configured keys."
        )
        if counts["unreadable"]:
            raise CommandError(summary + " Add the key they were written with to CRYPTOGRAPHY_OLD_KEYS and run again.")
        self.stdout.write(self.style.SUCCESS(summary))

    @staticmethod
    def _names(model, field):
        quote = connection.ops.quote_name
        return quote(model._meta.db_table), quote(model._meta.pk.column), quote(field.column)

    def _count(self, model, field) -> int:
        table, _, column = self._names(model, field)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL")
            return cursor.fetchone()[0]

    def _rotate(self, model, field, batch_size):
        """Yield the counts of each batch."""
        table, pk, column = self._names(model, field)
        pk_type = model._meta.pk.db_type(connection)
        last = None
        while True:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    after = "" if last is None else f"AND {pk} > %s"
                    cursor.execute(
                        f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL {after} ORDER BY {pk} LIMIT %s",
                        ([] if last is None else [last]) + [batch_size],
                    )
                    rows = cursor.fetchall()
                    if not rows:
                        return
                    last = rows[-1][0]
                    counts = {"reencrypted": 0, "current": 0, "changed": 0, "unreadable": 0}
                    ids, old_values, new_values = [], [], []
                    for row_id, value in rows:
                        value = bytes(value)
                        try:
                            new = KEYRING.reencrypt(value)
                        except Undecryptable:
                            counts["unreadable"] += 1
                            self.stderr.write(f"{model._meta.db_table}.{field.column} of {row_id}: no configured key opens it")
                            continue
                        if new is None:
                            counts["current"] += 1
                        else:
                            ids.append(row_id)
                            old_values.append(value)
                            new_values.append(new)
                    if ids:
                        # One statement per batch; a value the application rewrote since the read is kept.
                        cursor.execute(
                            f"""UPDATE {table} AS t SET {column} = v.new_value
                                FROM unnest(%s::{pk_type}[], %s::bytea[], %s::bytea[]) AS v(id, old_value, new_value)
                                WHERE t.{pk} = v.id AND t.{column} = v.old_value""",
                            [ids, old_values, new_values],
                        )
                        counts["reencrypted"] += cursor.rowcount
                        counts["changed"] += len(ids) - cursor.rowcount
            yield counts
            if len(rows) < batch_size:
                return

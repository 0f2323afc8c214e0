from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audit import retention


class Command(BaseCommand):
    help = (
        "Delete rows older than their table's retention policy (retention_policies), in bounded batches; "
        "records last_run and one audit_logs summary row. Tables that do not exist are skipped with a warning."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="rows deleted per transaction (default 1000)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; change nothing")
        parser.add_argument("--table", action="append", dest="tables", help="only this table (repeatable)")

    def handle(self, *args, batch_size, dry_run, tables, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")

        def progress(total, table):
            return tqdm(total=total, desc=table, unit="rows", file=self.stderr._out, disable=None, leave=False)

        try:
            run = retention.cleanup(batch_size=batch_size, dry_run=dry_run, tables=tables, progress=progress)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        for result in run.tables:
            if result.skipped:
                self.stderr.write(self.style.WARNING(f"{result.table}: skipped ({result.skipped})"))
            elif dry_run:
                self.stdout.write(f"{result.table}: {result.due} rows older than {result.retention_days} days would be deleted")
            else:
                self.stdout.write(f"{result.table}: deleted {result.deleted} rows older than {result.retention_days} days")
        if not run.tables:
            self.stdout.write("No enabled retention policy.")

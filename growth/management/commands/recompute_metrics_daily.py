from datetime import date

from django.core.management.base import BaseCommand, CommandError

from growth import services


class Command(BaseCommand):
    help = ("Rebuild metrics_daily for --start .. --end (UTC days, at most 366), or, without them, do what "
            "the periodic job does: the days and users marked since its last run.")

    def add_arguments(self, parser):
        parser.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, help="last day, YYYY-MM-DD (default: --start)")

    def handle(self, *args, start=None, end=None, **options):
        if start is None:
            if end is not None:
                raise CommandError("--end needs --start.")
            done = services.refresh_pending()
            self.stdout.write(f"{done['days']} pending day(s), {done['days_changed']} changed; {done['users']} user(s) refreshed.")
            return
        try:
            changed = services.recompute(start, end or start)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"metrics_daily {start} .. {end or start}: {changed} day(s) changed.")

"""Refresh the access tokens of active GA4 credentials that expire soon, ahead of their use.

    manage.py refresh_ga4_tokens [--within SECONDS] [--no-progress]

Each credential goes through `chat.ga4.tokens` (row lock, re-check, one refresh even when a request
refreshes the same credential at the same moment). Safe to run from cron as often as wanted.
Exits with status 1 when a refresh failed (provider unreachable); credentials that need
reconnecting are the user's to fix and only counted. The periodic job `chat.refresh_ga4_tokens`
runs the same function (`chat.ga4.refresh`) every few minutes.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from chat.ga4 import refresh


class Command(BaseCommand):
    help = "Refresh GA4 access tokens that expire within --within seconds."

    def add_arguments(self, parser):
        parser.add_argument(
            "--within",
            type=int,
            default=None,
            help="Refresh tokens expiring within this many seconds (default: 3 × GA4_TOKEN_REFRESH_MARGIN).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, within=None, no_progress=False, **options):
        if within is not None and within < 0:
            raise CommandError("--within must be 0 or more seconds")
        within = 3 * settings.GA4_TOKEN_REFRESH_MARGIN if within is None else within

        def progress(ids):
            return tqdm(ids, desc="GA4 tokens", unit="credential", file=getattr(self.stderr, "_out", sys.stderr), disable=no_progress or not ids)

        def failed(credential, error):
            self.stderr.write(f"{credential.pk} ({credential.property_id}): {error}")

        counts = refresh.refresh_expiring(within, progress=progress, failed=failed)
        summary = (
            f"{counts['due']} credential(s) expiring within {within} s: {counts['refreshed']} refreshed, "
            f"{counts['fresh']} already fresh, {counts['needs_reauth']} need reconnecting, {counts['failed']} failed."
        )
        if counts["failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

"""Refresh the access tokens of active GA4 credentials that expire soon, ahead of their use.

    manage.py refresh_ga4_tokens [--within SECONDS] [--no-progress]

Each credential goes through `chat.ga4.tokens` (row lock, re-check, one refresh even when a request
refreshes the same credential at the same moment). Safe to run from cron as often as wanted.
Exits with status 1 when a refresh failed (provider unreachable); credentials that need
reconnecting are the user's to fix and only counted.
"""

import sys
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

import audit
from chat.ga4 import tokens
from chat.models import GA4Credential


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
        if within is None:
            within = 3 * settings.GA4_TOKEN_REFRESH_MARGIN
        if within < 0:
            raise CommandError("--within must be 0 or more seconds")
        horizon = timezone.now() + timedelta(seconds=within)
        due = list(
            GA4Credential.objects.filter(status=GA4Credential.Status.ACTIVE, refresh_token__isnull=False)
            .filter(Q(token_expiry__isnull=True) | Q(token_expiry__lte=horizon))
            .order_by("token_expiry")
            .values_list("pk", flat=True)
        )
        counts = {"refreshed": 0, "fresh": 0, "needs_reauth": 0, "failed": 0}
        with audit.context("command"):
            for pk in tqdm(due, desc="GA4 tokens", unit="credential", file=getattr(self.stderr, "_out", sys.stderr), disable=no_progress or not due):
                credential = GA4Credential.objects.filter(pk=pk).first()
                if credential is None:  # deleted meanwhile
                    continue
                try:
                    _, refreshed = tokens.refresh_if_needed(credential, within=within)
                except tokens.NeedsReauth:
                    counts["needs_reauth"] += 1
                except tokens.TokenRefreshFailed as error:
                    counts["failed"] += 1
                    self.stderr.write(f"{credential.pk} ({credential.property_id}): {error}")
                else:
                    counts["refreshed" if refreshed else "fresh"] += 1
        summary = (
            f"{len(due)} credential(s) expiring within {within} s: {counts['refreshed']} refreshed, "
            f"{counts['fresh']} already fresh, {counts['needs_reauth']} need reconnecting, {counts['failed']} failed."
        )
        if counts["failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

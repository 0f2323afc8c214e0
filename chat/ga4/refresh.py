"""Refreshing, ahead of their use, the access tokens of active GA4 credentials that expire soon: the
periodic job `chat.refresh_ga4_tokens` and `manage.py refresh_ga4_tokens` both run `refresh_expiring`.

Each credential goes through `chat.ga4.tokens` (row lock, re-check, one refresh even when a request
refreshes the same credential at the same moment). Runs as the connection role: a maintenance run
over every user's credentials.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

import audit
from chat.ga4 import tokens
from chat.models import GA4Credential


class RefreshRunFailed(Exception):
    """Some refreshes failed (the provider was unreachable): the run should be tried again."""


def due(within: int) -> list:
    """Ids of active credentials whose access token expires within `within` seconds."""
    horizon = timezone.now() + timedelta(seconds=within)
    return list(
        GA4Credential.objects.filter(status=GA4Credential.Status.ACTIVE, refresh_token__isnull=False)
        .filter(Q(token_expiry__isnull=True) | Q(token_expiry__lte=horizon))
        .order_by("token_expiry")
        .values_list("pk", flat=True)
    )


def refresh_expiring(within: int | None = None, *, progress=iter, failed=None) -> dict:
    """Refresh what `due(within)` lists (default 3 × GA4_TOKEN_REFRESH_MARGIN); the counts of
    `due`, `refreshed`, `fresh` (refreshed meanwhile by someone else), `needs_reauth` and `failed`.
    `progress` wraps the list of ids (a progress bar); `failed(credential, error)` hears each failure."""
    if within is None:
        within = 3 * settings.GA4_TOKEN_REFRESH_MARGIN
    ids = due(within)
    counts = {"due": len(ids), "refreshed": 0, "fresh": 0, "needs_reauth": 0, "failed": 0}
    with audit.context("command"):
        for pk in progress(ids):
            credential = GA4Credential.objects.filter(pk=pk).first()
            if credential is None:  # deleted meanwhile
                continue
            try:
                _, refreshed = tokens.refresh_if_needed(credential, within=within)
            except tokens.NeedsReauth:
                counts["needs_reauth"] += 1
            except tokens.TokenRefreshFailed as error:
                counts["failed"] += 1
                if failed is not None:
                    failed(credential, error)
            else:
                counts["refreshed" if refreshed else "fresh"] += 1
    return counts

"""What staff read about revenue and what the API reads about flags and offers."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from business import flags
from business.models import FeatureFlag, Subscription

PAYING = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)

# One period's price as a monthly amount (cents): what MRR sums.
_MONTHLY = """
CASE interval WHEN 'month' THEN amount_cents::numeric / interval_count
              WHEN 'year' THEN amount_cents::numeric / (12 * interval_count)
              WHEN 'week' THEN amount_cents::numeric * 52 / (12 * interval_count)
              WHEN 'day' THEN amount_cents::numeric * 365 / (12 * interval_count) END
"""
REVENUE = f"""
SELECT currency,
       round(coalesce(sum({_MONTHLY}) FILTER (WHERE status = ANY(%(paying)s)), 0))::bigint AS mrr_cents,
       count(*) FILTER (WHERE status = ANY(%(paying)s)) AS paying,
       count(*) FILTER (WHERE started_at < %(start)s AND (canceled_at IS NULL OR canceled_at >= %(start)s)
                        AND status NOT IN ('incomplete', 'incomplete_expired')) AS active_at_start,
       count(*) FILTER (WHERE canceled_at >= %(start)s AND canceled_at < %(end)s AND started_at < %(start)s) AS churned,
       round(coalesce(sum({_MONTHLY}) FILTER (WHERE canceled_at >= %(start)s AND canceled_at < %(end)s
                                              AND started_at < %(start)s), 0))::bigint AS churned_mrr_cents,
       count(*) FILTER (WHERE started_at >= %(start)s AND started_at < %(end)s) AS new
  FROM subscriptions
 GROUP BY currency
 ORDER BY mrr_cents DESC, currency
"""


@dataclass
class Revenue:
    currency: str
    mrr_cents: int
    paying: int
    active_at_start: int
    churned: int
    churned_mrr_cents: int
    new: int

    @property
    def churn_rate(self) -> float | None:
        """Subscriptions that ended in the period ÷ those live at its start (None: none were)."""
        return self.churned / self.active_at_start if self.active_at_start else None


@dataclass
class RevenueSummary:
    start: datetime
    end: datetime
    currencies: list[Revenue] = field(default_factory=list)


def revenue_summary(start: datetime | None = None, end: datetime | None = None) -> RevenueSummary:
    """MRR now (active and past-due subscriptions, each period's price as a monthly amount), and
    over [start, end) — the last 30 days by default — the churn: subscriptions live at `start` that
    ended before `end`, and their share. Per currency. Reads as the connection role (staff)."""
    end = end or timezone.now()
    start = start or end - timedelta(days=30)
    if start >= end:
        raise ValueError("the period must end after it starts")
    with connection.cursor() as cursor:
        cursor.execute(REVENUE, {"start": start, "end": end, "paying": list(PAYING)})
        rows = [Revenue(*row) for row in cursor.fetchall()]
    return RevenueSummary(start, end, rows)


def plans_of(user) -> frozenset:
    """The plans `user` subscribes to now (active or trialing): what flags target with `plans`."""
    if user is None:
        return frozenset()
    live = (Subscription.Status.ACTIVE, Subscription.Status.TRIALING, Subscription.Status.PAST_DUE)
    return frozenset(Subscription.objects.for_user(user).filter(status__in=live).values_list("plan", flat=True))


def flags_for(user, organization_id=None) -> dict[str, bool]:
    """Every flag, evaluated for `user` (None: anonymous) and an optional organization."""
    caller = flags.Caller(user_id=getattr(user, "pk", None), organization_id=organization_id, plans=plans_of(user))
    return flags.evaluate(FeatureFlag.objects.values_list("key", "enabled", "metadata"), caller)

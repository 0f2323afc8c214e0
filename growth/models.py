"""Product analytics (seed 002, "Analytics & Events"; docs/growth.md): the product's own events, ad
spend, the daily metrics rolled up from both, and what jobs derive per user (first and last UTM
touch, acquisition cohort).

Every write to `analytics_events` or `spend` marks the days (and, for events, the users) it touched
in `growth_pending_days` / `growth_pending_users`, by statement-level triggers running as the table
owner (growth/migrations/0002_sql.py), so any writer (the SQL functions, COPY, the ORM, a cascade)
leaves the periodic job its work list.
"""

from django.db import models

from core.fields import ForeignKey
from core.models import OwnedModel, TimestampedModel


class AnalyticsEvent(OwnedModel):
    """Seed 002's second `events` table (occurred_at, user_id, event_name, props), owned by the user
    who sent it. `event_id` is the sender's own id: unique per user, so a resent event is stored once."""

    event_id = models.UUIDField(help_text="The sender's own event id: a repeat updates the stored event.")
    occurred_at = models.DateTimeField()
    event_name = models.CharField(max_length=100)
    props = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()))
    # Migration 0002 adds three stored generated columns (revenue_cents, cost_cents, refund_cents: the
    # amounts of orders and refunds, from props) and the index recompute_metrics_daily reads them
    # from, so a range of days is counted by an index-only scan. Not mapped: nothing here writes them.

    class Meta(OwnedModel.Meta):
        db_table = "analytics_events"
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_id"], name="analytics_events_user_event_id"),
        ]
        indexes = [
            models.Index(fields=["user", "-occurred_at"], name="analytics_events_user_time"),
            # new customers: has this user ordered before?
            models.Index(fields=["user", "occurred_at"], name="analytics_events_user_orders",
                         condition=models.Q(event_name="order_completed")),
        ]

    def __str__(self):
        return f"{self.event_name} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Spend(TimestampedModel):
    """Ad spend per platform, campaign, ad set and day: staff data (no end-user grant)."""

    platform = models.CharField(max_length=50)
    campaign_id = models.CharField(max_length=255)
    adset_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    date = models.DateField()
    spend_cents = models.BigIntegerField()
    clicks = models.BigIntegerField(default=0, db_default=0)
    impressions = models.BigIntegerField(default=0, db_default=0)
    conv = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "spend"
        verbose_name_plural = "spend"
        ordering = ["-date", "platform", "campaign_id", "adset_id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "campaign_id", "adset_id", "date"], name="spend_platform_campaign_adset_date"),
            models.CheckConstraint(condition=models.Q(spend_cents__gte=0, clicks__gte=0, impressions__gte=0, conv__gte=0),
                                   name="spend_counts_not_negative"),
        ]
        indexes = [models.Index(fields=["date"], name="spend_date")]

    def __str__(self):
        return f"{self.platform} {self.campaign_id}/{self.adset_id} {self.date}"


class MetricsDaily(TimestampedModel):
    """One UTC day of metrics, rebuilt from events and spend by recompute_metrics_daily()."""

    day = models.DateField(unique=True)
    sessions = models.BigIntegerField(default=0)
    add_to_carts = models.BigIntegerField(default=0)
    orders = models.BigIntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)
    refunds_cents = models.BigIntegerField(default=0)
    aov_cents = models.BigIntegerField(null=True, blank=True)
    cac_cents = models.BigIntegerField(null=True, blank=True)
    conversion_rate = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    gross_margin_cents = models.BigIntegerField(default=0)
    traffic = models.BigIntegerField(default=0)
    # Beyond the seed: the inputs of CAC, kept so the dashboard need not recount them.
    spend_cents = models.BigIntegerField(default=0)
    new_customers = models.BigIntegerField(default=0)

    class Meta:
        db_table = "metrics_daily"
        verbose_name_plural = "metrics (daily)"
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)


class PendingDay(models.Model):
    """A UTC day whose metrics are out of date (written by the triggers of migration 0002)."""

    day = models.DateField(primary_key=True)

    class Meta:
        db_table = "growth_pending_days"


class PendingUser(models.Model):
    """A user with new or changed events, whose UTM touches and cohort the job refreshes. Not a
    foreign key: a deleted user's cascade marks them too, and the job then finds no events."""

    user_id = models.UUIDField(primary_key=True)

    class Meta:
        db_table = "growth_pending_users"


class UtmTrack(TimestampedModel):
    """A user's first or last touch: the UTM parameters of their earliest / latest event that carries
    any (`props.utm_source`, `utm_medium`, `utm_campaign`, `utm_term`, `utm_content`). Two rows per
    user: `first_touch` true on one, `last_touch` true on the other (the seed's columns)."""

    user = ForeignKey("accounts.AuthUser", db_on_delete="CASCADE", related_name="+", db_index=False)
    source = models.CharField(max_length=255, blank=True, default="")
    medium = models.CharField(max_length=255, blank=True, default="")
    campaign = models.CharField(max_length=255, blank=True, default="")
    term = models.CharField(max_length=255, blank=True, default="")
    content = models.CharField(max_length=255, blank=True, default="")
    first_touch = models.BooleanField()
    last_touch = models.BooleanField()
    timestamp = models.DateTimeField()

    class Meta:
        db_table = "utm_tracks"
        constraints = [
            models.UniqueConstraint(fields=["user", "first_touch"], name="utm_tracks_user_touch"),
            models.CheckConstraint(condition=~models.Q(first_touch=models.F("last_touch")), name="utm_tracks_one_touch_per_row"),
        ]
        indexes = [models.Index(fields=["first_touch", "source"], name="utm_tracks_touch_source")]

    def __str__(self):
        return f"{'first' if self.first_touch else 'last'} touch {self.source}/{self.medium}"


class Cohort(TimestampedModel):
    """The month a user was acquired: that of their first event."""

    user = ForeignKey("accounts.AuthUser", db_on_delete="CASCADE", related_name="+", db_index=False)
    cohort_month = models.DateField(help_text="First day of the month of acquired_at (UTC).")
    acquired_at = models.DateTimeField()

    class Meta:
        db_table = "cohorts"
        constraints = [models.UniqueConstraint(fields=["user"], name="cohorts_user")]
        indexes = [models.Index(fields=["cohort_month"], name="cohorts_month")]

    def __str__(self):
        return f"{self.cohort_month:%Y-%m}"

"""Seed 002's business tables (subscriptions, feature_flags, offers) and metrics_log, with the names
the seed gives them in snake_case (docs/business.md has the column mapping)."""

from django.db import models
from django.db.models.functions import Now

from core.models import CreatedModel, OwnedModel, TimestampedModel, choices_check


class SubscriptionStatus(models.TextChoices):  # Stripe's subscription statuses
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


class BillingInterval(models.TextChoices):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"



# Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal): amounts in whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})


class Subscription(OwnedModel):
    """A user's plan, kept by the billing webhook (business.billing) from Stripe's subscription
    events; the user reads their own row (RLS), nobody but the connection role writes it."""

    Status = SubscriptionStatus
    Interval = BillingInterval

    plan = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices)
    stripe_id = models.CharField(max_length=255, unique=True, help_text="Stripe's subscription id (sub_…)")
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False, db_default=False)
    # What MRR is computed from: the price of one period, its length and currency.
    amount_cents = models.BigIntegerField(default=0, db_default=0)
    currency = models.CharField(max_length=3, default="usd", db_default="usd")
    interval = models.CharField(max_length=5, choices=BillingInterval.choices, default=BillingInterval.MONTH, db_default="month")
    interval_count = models.PositiveIntegerField(default=1, db_default=1)
    started_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    # The newest event applied (its `created` and type): an older event arriving later changes nothing.
    last_event_created = models.DateTimeField()
    last_event_type = models.CharField(max_length=100)

    class Meta(OwnedModel.Meta):
        db_table = "subscriptions"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="subscriptions_user_new")]
        constraints = [
            choices_check("status", SubscriptionStatus, "subscriptions_status_check"),
            choices_check("interval", BillingInterval, "subscriptions_interval_check"),
            models.CheckConstraint(condition=models.Q(amount_cents__gte=0), name="subscriptions_amount_check"),
            models.CheckConstraint(condition=models.Q(interval_count__gte=1), name="subscriptions_interval_count_min"),
        ]

    def __str__(self):
        return f"{self.plan} ({self.status})"

    @property
    def price(self) -> str:
        """One period's price in the currency's units ("29.00"): Stripe's amount is in the smallest
        unit, which is the unit itself for a zero-decimal currency (yen: "2900")."""
        if self.currency.lower() in ZERO_DECIMAL_CURRENCIES:
            return str(self.amount_cents)
        return f"{self.amount_cents // 100}.{self.amount_cents % 100:02d}"


class BillingEvent(models.Model):
    """A billing webhook event already processed (Stripe's event id): a redelivery changes nothing.
    Staff only (RLS on, no policy)."""

    event_id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="the event's own time (Stripe's `created`)")
    stripe_id = models.CharField(max_length=255, blank=True, help_text="the subscription it was about")
    applied = models.BooleanField(help_text="false when a newer event had already been applied")
    processed_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "billing_events"
        ordering = ["-processed_at"]
        indexes = [models.Index(fields=["-processed_at"], name="billing_events_processed")]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class FeatureFlag(TimestampedModel):
    """A feature flag (seed 002): readable by anyone (anon too), written by staff in the admin.
    `metadata.rules` targets it (business.flags.RULES_SCHEMA): a percentage rollout, allow-lists of
    users and organizations, plans."""

    key = models.SlugField(max_length=100, unique=True)
    enabled = models.BooleanField(default=False, db_default=False)
    description = models.TextField(blank=True, default="", db_default="")
    metadata = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()), blank=True)

    audit_capture = True

    class Meta(TimestampedModel.Meta):
        db_table = "feature_flags"
        ordering = ["key"]

    def __str__(self):
        return self.key


class Offer(TimestampedModel):
    """A pricing offer (seed 002): readable by anyone while enabled and within its window (RLS for
    anon and authenticated), written by staff in the admin."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="", db_default="")
    plan_type = models.CharField(max_length=100)
    discount = models.DecimalField(max_digits=5, decimal_places=2, help_text="percent off, 0–100")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True, db_default=True)
    metadata = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()), blank=True)

    audit_capture = True

    class Meta(TimestampedModel.Meta):
        db_table = "offers"
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=models.Q(discount__gte=0, discount__lte=100), name="offers_discount_check"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True) | models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="offers_window_check", violation_error_message="The offer must end after it starts.",
            ),
        ]

    def __str__(self):
        return self.name


class MetricsLog(CreatedModel):
    """One sample of an operations metric (seed 002's metrics_log), written by the periodic job
    business.tasks.record_metrics; read by staff on the System page. No end-user access."""

    ts = models.DateTimeField(db_default=Now())
    source = models.CharField(max_length=100)
    metric = models.JSONField()

    class Meta:
        db_table = "metrics_log"
        ordering = ["-ts"]
        indexes = [models.Index(fields=["source", "-ts"], name="metrics_log_source_ts")]

    def __str__(self):
        return f"{self.source} at {self.ts:%Y-%m-%d %H:%M}"

"""The partner data platform (seed 001, EPAI): partners, API keys, the model registry, ingested
events, insights, request logs, security events, and a per-day usage rollup."""

import pgtrigger
from django.db import models

from core.fields import ForeignKey
from core.models import CreatedModel, OwnedModel, OwnedQuerySet, TimestampedModel, choices_check

PARTNER_OWNER = "partner__user"
LEGACY_ROWS = models.Q(key_hash__startswith="$2")  # bcrypt hashes written by the seed's SQL


class Partner(OwnedModel):
    """A partner profile; one per end user, who owns everything the partner's key does."""

    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)

    class Meta(OwnedModel.Meta):
        db_table = "partners"
        constraints = [models.UniqueConstraint(fields=["user"], name="partners_user_id_key")]

    def __str__(self):
        return self.name


class ApiKey(TimestampedModel):
    """The partner's one API key. Only a hash is stored: SHA-256 of the key (keys are 256-bit random,
    so a fast hash is safe), or a legacy bcrypt hash written by the seed's SQL, upgraded on first use."""

    partner = ForeignKey(Partner, db_on_delete="CASCADE", related_name="+", db_index=False)
    key_hash = models.CharField(max_length=255)
    key_prefix = models.CharField(max_length=16, blank=True, default="", help_text="The key's first characters, to recognise it.")
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    owner_path = PARTNER_OWNER
    objects = OwnedQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        db_table = "api_keys"
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(fields=["partner"], name="api_keys_partner_id_key"),
            models.UniqueConstraint(fields=["key_hash"], name="api_keys_key_hash_key"),
        ]
        # The few keys still hashed by the seed's SQL, found without scanning the table.
        indexes = [models.Index(fields=["expires_at"], condition=LEGACY_ROWS, name="api_keys_legacy")]

    def __str__(self):
        return f"{self.key_prefix}… ({self.partner_id})"


class ModelStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


class PredictionModel(TimestampedModel):
    """The registry of models (`models`): readable by every signed-in user, written by staff and by
    `partners.insights` when it registers its built-in models."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    version = models.CharField(max_length=50)
    status = models.CharField(max_length=20, choices=ModelStatus, default=ModelStatus.ACTIVE)
    metadata = models.JSONField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        db_table = "models"
        verbose_name = "prediction model"
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="models_name_version_key"),
            choices_check("status", ModelStatus, "models_status_check"),
        ]

    def __str__(self):
        return f"{self.name} {self.version}"


def _usage_triggers(prefix, counter):
    """Statement-level triggers that add a statement's inserted rows to the daily rollup and take
    deleted ones away, so the usage summary never scans raw rows and is exact in the same
    transaction. A delete only lowers existing rollup rows (a cascade may have removed them first)."""
    per_day = "SELECT partner_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n FROM {rows} GROUP BY 1, 2"
    insert = pgtrigger.Trigger(
        name=f"{prefix}_rollup_insert",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=pgtrigger.Referencing(new="new_rows"),
        func=f"""
            INSERT INTO partner_usage_daily (partner_id, day, {counter})
            SELECT partner_id, day, n FROM ({per_day.format(rows="new_rows")}) d
            ON CONFLICT (partner_id, day) DO UPDATE SET {counter} = partner_usage_daily.{counter} + EXCLUDED.{counter};
            RETURN NULL;
        """,
    )
    delete = pgtrigger.Trigger(
        name=f"{prefix}_rollup_delete",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Delete,
        referencing=pgtrigger.Referencing(old="old_rows"),
        func=f"""
            UPDATE partner_usage_daily u SET {counter} = u.{counter} - d.n
            FROM ({per_day.format(rows="old_rows")}) d
            WHERE u.partner_id = d.partner_id AND u.day = d.day;
            RETURN NULL;
        """,
    )
    return [insert, delete]


class IngestionEvent(CreatedModel):
    partner = ForeignKey(Partner, db_on_delete="CASCADE", related_name="+", db_index=False)
    event_type = models.CharField(max_length=100)
    data = models.JSONField()
    source = models.CharField(max_length=255)
    version = models.CharField(max_length=50)
    metadata = models.JSONField(null=True, blank=True)
    client_event_id = models.UUIDField(null=True, blank=True, help_text="The client's own id: a repeat is stored once.")

    owner_path = PARTNER_OWNER
    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "ingestion_events"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "-created_at", "-id"], name="ingestion_events_partner_new")]
        constraints = [
            models.UniqueConstraint(fields=["partner", "client_event_id"], name="ingestion_events_client_id_key"),
        ]
        triggers = _usage_triggers("events", "event_count")


class Insight(CreatedModel):
    partner = ForeignKey(Partner, db_on_delete="CASCADE", related_name="+", db_index=False)
    model = ForeignKey(PredictionModel, db_on_delete="RESTRICT", related_name="+")
    content = models.JSONField()
    metadata = models.JSONField(null=True, blank=True)

    owner_path = PARTNER_OWNER
    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "insights"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "-created_at"], name="insights_partner_new")]
        triggers = _usage_triggers("insights", "insight_count")


class RequestLog(CreatedModel):
    """One partner-authenticated API request (`logs`); bodies truncated and redacted."""

    partner = ForeignKey(Partner, db_on_delete="CASCADE", related_name="+", db_index=False)
    endpoint = models.TextField()
    method = models.CharField(max_length=10)
    status = models.IntegerField()
    duration = models.IntegerField(null=True, blank=True, help_text="milliseconds")
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    ip_address = models.TextField(null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)

    owner_path = PARTNER_OWNER
    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "logs"
        verbose_name = "request log"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "-created_at"], name="logs_partner_new")]


class SecurityEvent(CreatedModel):
    """A refused credential and similar events; never holds the credential itself. Staff only."""

    event_type = models.CharField(max_length=50)
    details = models.JSONField(null=True, blank=True)
    ip_address = models.TextField(null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)
    partner = ForeignKey(Partner, db_on_delete="SET NULL", related_name="+", blank=True)
    user = ForeignKey("accounts.AuthUser", db_on_delete="SET NULL", related_name="+", blank=True)

    class Meta:
        db_table = "security_events"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="security_events_new"),
            models.Index(fields=["ip_address", "-created_at"], name="security_events_ip_new"),
        ]


class DailyUsage(models.Model):
    """Events and insights per partner and UTC day, kept by the triggers above."""

    id = models.BigAutoField(primary_key=True)
    partner = ForeignKey(Partner, db_on_delete="CASCADE", related_name="+", db_index=False)
    day = models.DateField()
    event_count = models.IntegerField(default=0, db_default=0)
    insight_count = models.IntegerField(default=0, db_default=0)

    owner_path = PARTNER_OWNER
    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "partner_usage_daily"
        verbose_name_plural = "daily usage"
        constraints = [models.UniqueConstraint(fields=["partner", "day"], name="partner_usage_daily_key")]

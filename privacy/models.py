"""Privacy guardian (seed 002, "Privacy & Compliance" and "Core Data"): the user's consent and
preferences, which apps and signals the desktop agent may report, the telemetry it reports (redacted
by the database on every write path), a tamper-evident transparency log, and file activity.

Zero trust: `telemetry_events`, `privacy_transparency_log` and `privacy_prefs` have row-level
security FORCED (migration 0002), so the table owner is held to the policies too; staff reach them
only through the counting functions of migration 0003. Names are the seed's, except its first
`events` table, named `file_events` here (docs/privacy.md).
"""

import pgtrigger
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now

from accounts.models import AuthUser
from core.fields import ForeignKey
from core.models import CreatedModel, OwnedModel, OwnedQuerySet

EMPTY_OBJECT = models.Value({}, output_field=models.JSONField())
MAX_RETENTION_DAYS = 3650


class SharedFunctionTrigger(pgtrigger.Trigger):
    """A trigger that calls a trigger function of the seed's name, created by migration 0001 (its
    SQL is there, once), instead of pgtrigger's per-table wrapper."""

    function = ""

    def __init__(self, *, function: str, **kwargs):
        self.function = function
        super().__init__(**kwargs)

    def render_execute(self, model):
        return f"{self.function}()"

    def get_func(self, model):
        return "RETURN NULL;"  # the unused per-table function pgtrigger still installs


class OwnedRecord(CreatedModel):
    """A row written once for one end user (events, log entries): no `updated_at`."""

    owner_path = "user"
    user = ForeignKey("accounts.AuthUser", db_on_delete="CASCADE", related_name="+", db_index=False)
    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class PrivacyPrefs(OwnedModel):
    """One per user. Without consent, or with monitoring off, the agent's batches are refused."""

    consent_given = models.BooleanField(default=False, db_default=False)
    monitoring_enabled = models.BooleanField(default=False, db_default=False)
    data_retention_days = models.PositiveIntegerField(
        default=90, db_default=90, validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)])
    mfa_required = models.BooleanField(default=False, db_default=False)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)

    audit_capture = False  # zero trust: the generic audit capture never copies these values

    class Meta(OwnedModel.Meta):
        db_table = "privacy_prefs"
        constraints = [
            models.UniqueConstraint(fields=["user"], name="privacy_prefs_one_per_user"),
            models.CheckConstraint(condition=models.Q(data_retention_days__range=(1, MAX_RETENTION_DAYS)),
                                   name="privacy_prefs_retention_range"),
        ]
        verbose_name = verbose_name_plural = "privacy preferences"


class AppScope(models.TextChoices):
    ALL = "all", "Everything the app reports"
    USAGE = "usage", "Usage only (no file activity)"
    FILES = "files", "File activity only"


class AllowedApp(OwnedModel):
    """An application the agent may report on; anything else is dropped at ingestion."""

    app_id = models.CharField(max_length=255)
    app_name = models.CharField(max_length=255, blank=True, default="", db_default="")
    enabled = models.BooleanField(default=True, db_default=True)
    scope = models.CharField(max_length=16, choices=AppScope.choices, default=AppScope.ALL, db_default=AppScope.ALL)

    class Meta(OwnedModel.Meta):
        db_table = "app_allowlist"
        ordering = ["app_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "app_id"], name="app_allowlist_user_app"),
            models.CheckConstraint(condition=models.Q(scope__in=AppScope.values), name="app_allowlist_scope_valid"),
        ]


class SignalToggle(OwnedModel):
    """A kind of event (`event_type`) the user lets through, and the share of them kept."""

    signal_key = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True, db_default=True)
    sampling_rate = models.FloatField(default=1.0, db_default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])

    class Meta(OwnedModel.Meta):
        db_table = "signal_toggles"
        ordering = ["signal_key"]
        constraints = [
            models.UniqueConstraint(fields=["user", "signal_key"], name="signal_toggles_user_key"),
            models.CheckConstraint(condition=models.Q(sampling_rate__range=(0.0, 1.0)), name="signal_toggles_sampling_range"),
        ]


class TelemetryEvent(OwnedRecord):
    """What the agent reported, its metadata redacted by the database before it is stored
    (`auto_redact_telemetry`, every write path: API, INSERT, COPY)."""

    timestamp = models.DateTimeField()
    app_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    duration_ms = models.BigIntegerField(null=True, blank=True)
    metadata_redacted_json = models.JSONField(default=dict, db_default=EMPTY_OBJECT)
    client_event_id = models.UUIDField(null=True, blank=True, help_text="The agent's own id: a repeat is stored once.")

    audit_capture = False

    class Meta:
        db_table = "telemetry_events"
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["user", "-timestamp"], name="idx_telemetry_events_user_timestamp"),
            models.Index(fields=["user", "app_id"], name="idx_telemetry_events_app_id"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_event_id"], name="telemetry_events_user_client_id"),
        ]
        triggers = [
            SharedFunctionTrigger(name="auto_redact_telemetry_before_insert", function="auto_redact_telemetry",
                                  when=pgtrigger.Before, operation=pgtrigger.Insert),
        ]


class TransparencyLogEntry(OwnedRecord):
    """One thing done to the user's privacy data. Append-only, and chained: each row carries the hash
    of the user's previous row (`prev_hash`) and its own (`row_hash`), both computed by the database
    (`privacy_log_chain()`), so an edited or deleted row breaks the chain where it was."""

    timestamp = models.DateTimeField(db_default=Now())
    action = models.CharField(max_length=64)
    resource = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    old_value_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    new_value_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    metadata = models.JSONField(default=dict, db_default=EMPTY_OBJECT)
    # Set by the database (`privacy_log_chain()`), whatever the insert says.
    position = models.BigIntegerField(editable=False, db_default=0, help_text="1, 2, 3… per user.")
    prev_hash = models.CharField(max_length=64, editable=False, db_default="")
    row_hash = models.CharField(max_length=64, editable=False, db_default="")

    audit_capture = False

    class Meta:
        db_table = "privacy_transparency_log"
        ordering = ["-position"]
        indexes = [models.Index(fields=["user", "-timestamp"], name="idx_privacy_transparency_log_user_timestamp")]
        constraints = [models.UniqueConstraint(fields=["user", "position"], name="privacy_transparency_log_chain")]
        verbose_name = "transparency log entry"
        verbose_name_plural = "transparency log"
        triggers = [
            SharedFunctionTrigger(name="chain", function="privacy_log_chain", when=pgtrigger.Before, operation=pgtrigger.Insert),
            SharedFunctionTrigger(name="append_only", function="privacy_log_append_only",
                                  when=pgtrigger.Before, operation=pgtrigger.Update | pgtrigger.Delete),
        ]


class FileEvent(OwnedRecord):
    """The seed's first `events` table: a file touched by a tool. The user part of home directories
    in `file_path` is masked by the database (`privacy_mask_file_path`)."""

    file_path = models.TextField()
    event_type = models.CharField(max_length=50)
    tool = models.CharField(max_length=255, blank=True, default="", db_default="")
    timestamp = models.DateTimeField()
    metadata = models.JSONField(default=dict, db_default=EMPTY_OBJECT)
    client_event_id = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "file_events"
        ordering = ["-timestamp", "-id"]
        # The seed's idx_events_user_id_timestamp and idx_events_user_timestamp name the same
        # columns: one index.
        indexes = [
            models.Index(fields=["user", "-timestamp"], name="idx_events_user_id_timestamp"),
            models.Index(fields=["file_path"], name="idx_events_file_path"),
            models.Index(fields=["event_type"], name="idx_events_event_type"),
            models.Index(fields=["user", "event_type"], name="idx_events_user_id_event_type"),
            models.Index(fields=["created_at"], name="file_events_created_at"),  # the pattern job: new events
        ]
        constraints = [models.UniqueConstraint(fields=["user", "client_event_id"], name="file_events_user_client_id")]
        triggers = [
            SharedFunctionTrigger(name="mask_file_path", function="privacy_mask_file_path",
                                  when=pgtrigger.Before, operation=pgtrigger.Insert | pgtrigger.UpdateOf("file_path")),
        ]


class Pattern(OwnedModel):
    """How often files of one extension were touched, by which tools (kept by the pattern job)."""

    file_extension = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0, db_default=0)
    last_used = models.DateTimeField()
    tools = models.JSONField(default=list, db_default=models.Value([], output_field=models.JSONField()))

    class Meta(OwnedModel.Meta):
        db_table = "patterns"
        ordering = ["-count", "file_extension"]
        indexes = [models.Index(fields=["file_extension"], name="idx_patterns_file_extension")]
        constraints = [models.UniqueConstraint(fields=["user", "file_extension"], name="idx_patterns_user_id")]


class RelationType(models.TextChoices):
    CO_EDITED = "co_edited", "Edited together"


class Relationship(OwnedModel):
    """Two files related by the user's activity; `weight` decays with age (the pattern job)."""

    source_file = models.TextField()
    target_file = models.TextField()
    relation_type = models.CharField(max_length=32, choices=RelationType.choices, default=RelationType.CO_EDITED)
    weight = models.FloatField(default=0.0, db_default=0.0)
    last_seen = models.DateTimeField()

    class Meta(OwnedModel.Meta):
        db_table = "relationships"
        ordering = ["-weight", "source_file", "target_file"]
        indexes = [
            models.Index(fields=["user", "-weight"], name="idx_relationships_user_id"),
            models.Index(fields=["source_file", "target_file"], name="idx_relationships_source_target"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "source_file", "target_file", "relation_type"], name="relationships_user_pair"),
            models.CheckConstraint(condition=models.Q(relation_type__in=RelationType.values), name="relationships_type_valid"),
        ]


class DeviceToken(OwnedModel):
    """A desktop agent's credential: `pgd_` + 32 random bytes, shown once, stored as its SHA-256."""

    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=16, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(OwnedModel.Meta):
        db_table = "privacy_device_tokens"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="privacy_device_tokens_user")]


class Gate(models.TextChoices):
    ALLOWLIST = "allowlist", "App not on the allowlist"
    SIGNAL = "signal", "Signal switched off"
    SAMPLING = "sampling", "Sampled out"


class GateDrop(OwnedModel):
    """Events dropped by one gate for one user in one hour (kept by ingestion, read by the health
    check): counts only, never the events."""

    hour = models.DateTimeField()
    gate = models.CharField(max_length=16, choices=Gate.choices)
    dropped = models.BigIntegerField(default=0)

    class Meta(OwnedModel.Meta):
        db_table = "privacy_gate_drops"
        constraints = [
            models.UniqueConstraint(fields=["user", "hour", "gate"], name="privacy_gate_drops_user_hour_gate"),
            models.CheckConstraint(condition=models.Q(gate__in=Gate.values), name="privacy_gate_drops_gate_valid"),
        ]
        indexes = [models.Index(fields=["hour"], name="privacy_gate_drops_hour")]


class RetentionRun(CreatedModel):
    """One run of `cleanup_telemetry_by_retention()`: how many rows it removed (written by the
    function itself; staff only, no end-user grant)."""

    telemetry_deleted = models.BigIntegerField(default=0)
    file_events_deleted = models.BigIntegerField(default=0)
    users = models.IntegerField(default=0)

    class Meta:
        db_table = "privacy_retention_runs"
        ordering = ["-created_at"]


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Being built"
    READY = "ready", "Ready to download"
    DOWNLOADED = "downloaded", "Downloaded"
    FAILED = "failed", "Failed"


class PrivacyExport(OwnedModel):
    """"Export my data": a zip of JSON and CSV files built by a job, downloadable once (the archive is
    dropped as it is handed out)."""

    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING, db_default=ExportStatus.PENDING)
    archive = models.BinaryField(null=True, blank=True, editable=False)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    audit_capture = False  # holds the user's whole privacy data

    class Meta(OwnedModel.Meta):
        db_table = "privacy_exports"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="privacy_exports_user")]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=ExportStatus.values), name="privacy_exports_status_valid")]


class PrivacySubject(AuthUser):
    """An end user as support staff see them for a privacy request (the admin's "Privacy
    requests"): who they are, and the tools that act on their privacy data for them (privacy.staff).
    A proxy: no table of its own; its one permission is what lets a staff member use the tools."""

    class Meta:
        proxy = True
        verbose_name = "privacy request"
        verbose_name_plural = "privacy requests"
        default_permissions = ()
        permissions = [("act_on_privacy_data", "Can act on an end user's privacy data (erase telemetry, stop monitoring, export)")]

"""Research sessions and their draft files (seed 004); analysis sessions and their typed storage (seed 000)."""

import datetime

import pgtrigger
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django_cryptography.fields import encrypt

from core.fields import ForeignKey
from core.models import OwnedModel, OwnedQuerySet, TimestampedModel, choices_check
from core.validators import WHITESPACE


class ResearchStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ResearchStage(models.TextChoices):
    INITIAL_RESEARCH = "1_initial_research", "1. Initial research"
    PLANNING = "2_planning", "2. Planning"
    PARALLEL_RESEARCH = "3_parallel_research", "3. Parallel research"
    WRITING = "4_writing", "4. Writing"


class ResearchSession(OwnedModel):
    Status = ResearchStatus
    Stage = ResearchStage

    title = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status, default=Status.IN_PROGRESS, db_default=Status.IN_PROGRESS)
    stage = models.CharField(max_length=30, choices=Stage, default=Stage.INITIAL_RESEARCH, db_default=Stage.INITIAL_RESEARCH)

    class Meta(OwnedModel.Meta):
        db_table = "research_sessions"
        ordering = ["-created_at"]
        indexes = [
            # The seed indexes user_id alone; led by user_id, this one also serves "my newest first".
            models.Index(fields=["user", "-created_at"], name="idx_research_sessions_user_id"),
            models.Index(models.F("created_at").desc(), name="idx_research_sessions_created_at"),
        ]
        constraints = [
            choices_check("status", ResearchStatus, "research_sessions_status_check"),
            choices_check("stage", ResearchStage, "research_sessions_stage_check"),
        ]

    def __str__(self):
        return self.title


# No path separators, and something besides dots ("." and ".." name directories) and whitespace.
FILE_NAME_PATTERN = rf"^[^\x00/\\]*[^\x00/\\.{WHITESPACE}][^\x00/\\]*$"
file_name_validator = RegexValidator(FILE_NAME_PATTERN, "A file name needs more than dots, and no path separators.")


class DraftFile(TimestampedModel):
    """A file of a research session; owned through its session."""

    session = ForeignKey(ResearchSession, db_on_delete="CASCADE", related_name="draft_files", db_index=False)
    file_name = models.CharField(max_length=255, validators=[file_name_validator])
    content = models.TextField(blank=True, default="")

    owner_path = "session__user"
    objects = OwnedQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        db_table = "draft_files"
        ordering = ["file_name"]
        indexes = [models.Index(fields=["session"], name="idx_draft_files_session_id")]
        constraints = [
            models.UniqueConstraint(fields=["session", "file_name"], name="draft_files_session_file_name_key"),
        ]

    def __str__(self):
        return self.file_name


# --- Analysis sessions and their typed storage (seed 000) ------------------------------------------

def idle_ttl() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.SESSION_STORAGE["SESSION_IDLE_TTL"])


class AnalysisStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"


class AnalysisSession(OwnedModel):
    """A user's analysis session: the container of typed values (`StoredValue`). It expires
    `SESSION_STORAGE["SESSION_IDLE_TTL"]` after its last write (`expires_at`); `manage.py
    cleanup_sessions` then marks it `expired`, and it takes no more writes."""

    Status = AnalysisStatus

    name = models.CharField(max_length=255)
    analysis_type = models.CharField(max_length=100, default="general", db_default="general")
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE, db_default=Status.ACTIVE)
    metadata = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()), blank=True)
    last_activity_at = models.DateTimeField(db_default=Now(), editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(OwnedModel.Meta):
        db_table = "analysis_sessions"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="idx_analysis_sessions_user_id"),
            # cleanup_sessions: active sessions past their expiry.
            models.Index(fields=["expires_at"], name="idx_analysis_sessions_expires", condition=models.Q(status="active")),
        ]
        constraints = [
            choices_check("status", AnalysisStatus, "analysis_sessions_status_check"),
        ]
        triggers = [
            *OwnedModel.Meta.triggers,
            pgtrigger.Trigger(
                name="stored_values_follow_owner",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("user_id"),
                condition=pgtrigger.Q(old__user__df=pgtrigger.F("new__user")),
                func="UPDATE session_storage SET user_id = NEW.user_id WHERE session_id = NEW.id; RETURN NULL;",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self._state.adding and self.expires_at is None:
            self.expires_at = timezone.now() + idle_ttl()
        super().save(*args, **kwargs)

    def reopen(self) -> None:
        """Active again (before save): its idle time starts anew."""
        self.status = AnalysisStatus.ACTIVE
        self.last_activity_at = timezone.now()
        self.expires_at = self.last_activity_at + idle_ttl()

    @property
    def is_open(self) -> bool:
        """Takes writes: not expired, by status or by time."""
        return self.status != AnalysisStatus.EXPIRED and (self.expires_at is None or self.expires_at > timezone.now())


class ValueType(models.TextChoices):
    JSON = "json", "JSON"
    DATAFRAME = "dataframe", "DataFrame"
    IMAGE = "image", "Image"
    FIGURE = "figure", "Figure"
    TEXT = "text", "Text"


STORAGE_KEY_PATTERN = r"^[^/\x00]{1,255}$"
storage_key_validator = RegexValidator(STORAGE_KEY_PATTERN, "A key has 1 to 255 characters, none of them '/' or NUL.")
# Value columns: the trigger below moves updated_at and version only when one of them changes.
VALUE_COLUMNS = ("value_type", "storage_value", "encrypted_value", "is_encrypted")


class StoredValue(OwnedModel):
    """One typed value of an analysis session (`session_storage`). Read and write it through
    `sessions_app.storage.SessionStorage`, which encodes, encrypts, checks quotas and audits.

    `user_id` (the row-level security policy and the quotas read it) is always the session's owner:
    a trigger refuses any other, and a session handed to another user takes its values along.
    A sensitive value lives encrypted in `encrypted_value` (django-cryptography) with
    `storage_value` NULL; a plain one in `storage_value` with `encrypted_value` NULL."""

    Type = ValueType

    session = ForeignKey(AnalysisSession, db_on_delete="CASCADE", related_name="stored_values", db_index=False)
    storage_key = models.CharField(max_length=255, validators=[storage_key_validator])
    value_type = models.CharField(max_length=20, choices=Type)
    storage_value = models.JSONField(null=True, blank=True)
    encrypted_value = encrypt(models.TextField(null=True, blank=True))
    size_bytes = models.BigIntegerField()
    is_encrypted = models.BooleanField(default=False, db_default=False)
    version = models.IntegerField(default=1, db_default=1, editable=False)
    last_accessed_at = models.DateTimeField(db_default=Now(), editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(OwnedModel.Meta):
        db_table = "session_storage"
        ordering = ["storage_key"]
        indexes = [
            # The RLS policy, the per-user quota (sum by user) and eviction. user_id alone: a read
            # stamps last_accessed_at, and with no index on it that update can stay HOT.
            models.Index(fields=["user"], name="idx_session_storage_user_id"),
            # cleanup_sessions: values past their expiry.
            models.Index(fields=["expires_at"], name="idx_session_storage_expires_at", condition=models.Q(expires_at__isnull=False)),
        ]
        constraints = [
            # Also the (session_id, storage_key) index of every read and write.
            models.UniqueConstraint(fields=["session", "storage_key"], name="session_storage_session_id_storage_key_key"),
            choices_check("value_type", ValueType, "session_storage_value_type_check"),
            # Not empty, no "/" (NUL cannot be in PostgreSQL text at all); at most 255 characters by its type.
            models.CheckConstraint(condition=models.Q(storage_key__regex=r"^[^/]+$"), name="session_storage_storage_key_check"),
            models.CheckConstraint(condition=models.Q(size_bytes__gte=0), name="session_storage_size_bytes_check"),
            models.CheckConstraint(
                condition=models.Q(is_encrypted=True, storage_value__isnull=True, encrypted_value__isnull=False)
                | models.Q(is_encrypted=False, storage_value__isnull=False, encrypted_value__isnull=True),
                name="session_storage_encrypted_check",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="set_updated_at",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                # A read stamps last_accessed_at only: that is no change of the value.
                func="IF " + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in VALUE_COLUMNS) + " THEN "
                "NEW.updated_at = statement_timestamp(); NEW.version = OLD.version + 1; END IF; RETURN NEW;",
            ),
            pgtrigger.Trigger(
                name="owner_is_session_owner",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("session_id", "user_id"),
                func="IF NOT EXISTS (SELECT 1 FROM analysis_sessions s WHERE s.id = NEW.session_id AND s.user_id = NEW.user_id) THEN "
                "RAISE EXCEPTION 'session_storage.user_id must be the owner of session %', NEW.session_id "
                "USING ERRCODE = 'foreign_key_violation'; END IF; RETURN NEW;",
            ),
        ]

    def __str__(self):
        return self.storage_key

    @property
    def key(self) -> str:
        return self.storage_key

    @property
    def etag(self) -> str:
        """As `sessions_app.storage.Entry.etag`."""
        return f'"{self.id.hex}-{self.version}"'

    @classmethod
    def live(cls):
        """Not expired (cleanup may not have run yet): what every read sees."""
        return models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=Now())

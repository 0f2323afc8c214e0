"""The audit trail (seed 000's six `audit_*` tables) and the retention policies (seed 002).

Every audit table shares one shape (`AuditRecord`): who (`user_id`, kept NULL once the user is
deleted: the trail outlives the account), which analysis session (`session_id`, a plain uuid: the
trail outlives the session too), the request it came from, free-form `details` and `created_at`.
Rows are append-only in the database: a trigger refuses UPDATE and DELETE, except the changes the
system itself makes (see `APPEND_ONLY_FUNCTION` and docs/audit.md).
"""

import pgtrigger
from django.db import models
from django.db.models.functions import Now

from core.fields import ForeignKey
from core.models import CreatedModel, OwnedQuerySet, TimestampedModel, choices_check

# One shared trigger function, `audit_append_only()`, created by migration 0001 (its SQL lives
# there, once). The triggers call it directly instead of going through pgtrigger's wrapper, whose
# `pgtrigger.ignore` setting any SQL session may set: here only the table owner, inside a
# transaction that switched on `audit.retention`, gets past it (the retention cleanup), and only
# with DELETE; besides, a deleted user's SET NULL and the one completion of an analysis run.
APPEND_ONLY_FUNCTION = "audit_append_only"


class AppendOnlyTrigger(pgtrigger.Trigger):
    """Calls the shared `audit_append_only()` function instead of a per-table wrapper."""

    def render_execute(self, model):
        return f"{APPEND_ONLY_FUNCTION}()"

    def get_func(self, model):
        return "RETURN NULL;"  # the unused per-table function pgtrigger still installs


def append_only_triggers():
    # TRUNCATE is left to privileges (granted to no API role): a trigger refusing it would also
    # refuse Django's test flush, which truncates every table as the owner.
    return [AppendOnlyTrigger(name="append_only", when=pgtrigger.Before, operation=pgtrigger.Update | pgtrigger.Delete)]


def audit_indexes(table: str) -> list:
    """"This user's recent activity" (led by user_id, as the RLS policy filters) and retention
    (created_at alone)."""
    return [
        models.Index(fields=["user", "-created_at"], name=f"{table}_user_new"),
        models.Index(fields=["created_at"], name=f"{table}_created_at"),
    ]


class AuditRecord(CreatedModel):
    """Columns every audit table has. Written through `audit.services`, never edited."""

    user = ForeignKey("accounts.AuthUser", db_on_delete="SET NULL", related_name="+", blank=True, db_index=False)
    session_id = models.UUIDField(null=True, blank=True, help_text="The analysis session, if any (not a foreign key: the trail outlives it).")
    request_id = models.CharField(max_length=64, blank=True, default="", db_default="", help_text="X-Request-ID of the request that wrote it.")
    details = models.JSONField(default=dict, db_default=models.Value({}, output_field=models.JSONField()), blank=True)

    owner_path = "user"
    audit_capture = False  # the generic change capture never records the trail itself
    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        triggers = append_only_triggers()


class AuditLog(AuditRecord):
    """What happened to which resource: changes made through the API, pages and admin, denied
    access, rolled-back writes, maintenance runs."""

    action = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=100, blank=True, default="", db_default="")
    resource_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    ip_address = models.CharField(max_length=64, blank=True, default="", db_default="")
    user_agent = models.TextField(blank=True, default="", db_default="")

    class Meta(AuditRecord.Meta):
        db_table = "audit_logs"
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = audit_indexes("audit_logs") + [
            models.Index(fields=["resource_type", "resource_id"], name="audit_logs_resource"),
        ]

    def __str__(self):
        return f"{self.action} {self.resource_type} {self.resource_id}".strip()


class ActivityKind(models.TextChoices):
    SIGNUP = "signup", "Sign-up"
    LOGIN = "login", "Login"
    LOGOUT = "logout", "Logout"
    LOGIN_FAILED = "login_failed", "Failed login"
    PASSWORD_CHANGE = "password_change", "Password change"
    TOKEN_ISSUED = "token_issued", "API token issued"
    TOKEN_REFUSED = "token_refused", "API token refused"
    PAGE = "page", "Page activity"
    API = "api", "API activity"


class UserActivity(AuditRecord):
    """Sign-up, logins (also failed ones), logouts, password changes, token issuance."""

    Kind = ActivityKind

    activity_type = models.CharField(max_length=30, choices=ActivityKind)
    ip_address = models.CharField(max_length=64, blank=True, default="", db_default="")
    user_agent = models.TextField(blank=True, default="", db_default="")

    class Meta(AuditRecord.Meta):
        db_table = "audit_user_activities"
        verbose_name = "user activity"
        verbose_name_plural = "user activities"
        indexes = audit_indexes("audit_user_activities")
        constraints = [
            choices_check("activity_type", ActivityKind, "audit_user_activities_type_check"),
        ]

    def __str__(self):
        return self.get_activity_type_display()


class UploadStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    STORED = "stored", "Stored"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    DELETED = "deleted", "Deleted"


class FileUpload(AuditRecord):
    Status = UploadStatus

    file_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=255, blank=True, default="", db_default="")
    sha256 = models.CharField(max_length=64, blank=True, default="", db_default="")
    stored_at = models.TextField(blank=True, default="", db_default="", help_text="Where the file is kept (a storage path or table).")
    status = models.CharField(max_length=20, choices=UploadStatus)

    class Meta(AuditRecord.Meta):
        db_table = "audit_file_uploads"
        verbose_name = "file upload"
        indexes = audit_indexes("audit_file_uploads")
        constraints = [
            choices_check("status", UploadStatus, "audit_file_uploads_status_check"),
        ]

    def __str__(self):
        return self.file_name


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class AnalysisRun(AuditRecord):
    Status = RunStatus

    analysis_type = models.CharField(max_length=100)
    parameters = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=RunStatus, default=RunStatus.RUNNING, db_default=RunStatus.RUNNING)
    started_at = models.DateTimeField(db_default=Now())
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="", db_default="")
    result_summary = models.JSONField(null=True, blank=True)

    class Meta(AuditRecord.Meta):
        db_table = "audit_analysis_runs"
        verbose_name = "analysis run"
        indexes = audit_indexes("audit_analysis_runs") + [
            models.Index(fields=["session_id", "-created_at"], name="audit_analysis_runs_session"),
        ]
        constraints = [
            choices_check("status", RunStatus, "audit_analysis_runs_status_check"),
        ]

    def __str__(self):
        return f"{self.analysis_type} ({self.status})"


class ApiCall(AuditRecord):
    """An outbound HTTP call made through `audit.http_client()` (never headers or bodies)."""

    service = models.CharField(max_length=100)
    endpoint = models.TextField(help_text="Scheme, host and path; the query string is left out (it may carry keys).")
    method = models.CharField(max_length=10)
    status_code = models.IntegerField(null=True, blank=True)
    duration_ms = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="", db_default="")

    class Meta(AuditRecord.Meta):
        db_table = "audit_api_calls"
        verbose_name = "outbound API call"
        indexes = audit_indexes("audit_api_calls") + [
            models.Index(fields=["service", "-created_at"], name="audit_api_calls_service"),
        ]

    def __str__(self):
        return f"{self.method} {self.endpoint}"


class StorageOperation(models.TextChoices):
    SET = "set", "Set"
    GET = "get", "Get"
    DELETE = "delete", "Delete"
    EXPIRE = "expire", "Expire"
    EVICT = "evict", "Evict"


class DataStorage(AuditRecord):
    """A session storage operation: key, type and size, never the value."""

    Operation = StorageOperation

    operation = models.CharField(max_length=10, choices=StorageOperation)
    storage_key = models.CharField(max_length=255)
    value_type = models.CharField(max_length=50, blank=True, default="", db_default="")
    size_bytes = models.BigIntegerField(null=True, blank=True)

    class Meta(AuditRecord.Meta):
        db_table = "audit_data_storage"
        verbose_name = "data storage operation"
        indexes = audit_indexes("audit_data_storage") + [
            models.Index(fields=["session_id", "-created_at"], name="audit_data_storage_session"),
        ]
        constraints = [
            choices_check("operation", StorageOperation, "audit_data_storage_operation_check"),
        ]

    def __str__(self):
        return f"{self.operation} {self.storage_key}"


AUDIT_MODELS = (AuditLog, UserActivity, FileUpload, AnalysisRun, ApiCall, DataStorage)


# Tables whose rows carry their own expiry, kept by their app: a second, table-wide rule here would
# delete what a user asked to keep, and without the app's own records of it.
OWN_RETENTION = {
    "session_storage": "each stored value expires at its own expires_at (sessions_app: manage.py cleanup_sessions)",
}


class RetentionPolicy(TimestampedModel):
    """How long rows of a table are kept (seed 002): `manage.py cleanup_retention` deletes rows
    whose `created_at` is older than `retention_days`. Staff only (no RLS grant). Not for the tables
    of OWN_RETENTION: the database refuses them."""

    table_name = models.CharField(max_length=63, unique=True)
    retention_days = models.PositiveIntegerField()
    enabled = models.BooleanField(default=True, db_default=True)
    last_run = models.DateTimeField(null=True, blank=True)

    audit_capture = True

    class Meta(TimestampedModel.Meta):
        db_table = "retention_policies"
        verbose_name_plural = "retention policies"
        ordering = ["table_name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(retention_days__gte=1), name="retention_policies_days_check"),
            models.CheckConstraint(
                condition=~models.Q(table_name__in=sorted(OWN_RETENTION)),
                name="retention_policies_not_self_expiring",
                violation_error_message="This table's rows expire by their own rule; it takes no retention policy.",
            ),
        ]

    def __str__(self):
        return f"{self.table_name}: {self.retention_days} days"

"""Workflows (seed 002): definitions, their immutable versions, executions, and the integrations
their HTTP steps call. Table and column names map the seed's camelCase to snake_case
(docs/workflows.md, "Tables"). `workflow_runs`, the seed's run queue, is a view over
`workflow_executions` (migration 0002): procrastinate is the queue, executions are the record."""

import pgtrigger
from django.db import models
from django_cryptography.fields import encrypt

from core.fields import ForeignKey
from core.models import CreatedModel, OwnedModel, choices_check
from organizations.scoping import OrgAwareQuerySet


class ThroughWorkflowQuerySet(OrgAwareQuerySet):
    """Versions and executions are seen by whoever sees their workflow: its owner, and the members
    of its organization."""

    organization_path = "workflow__organization"


class Workflow(OwnedModel):
    """Owned by a user, in an organization (the owner's active one when created): its members read
    it, writers run their own, admins and owners manage all (core.org_policies.OrgAwareRLS)."""

    organization = ForeignKey("organizations.Organization", db_on_delete="CASCADE", null=True, blank=True, related_name="+",
                              db_index=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="", db_default="")
    definition = models.JSONField()
    is_active = models.BooleanField(default=True, db_default=True)
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)  # the newest version's number
    # A cron expression (5 fields, UTC) evaluated by `workflows.run_schedules`; empty: not scheduled.
    schedule = models.CharField(max_length=100, blank=True, default="", db_default="")
    schedule_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Inbound webhook: the URL carries a random token (only its SHA-256 is kept); the body is signed
    # with HMAC-SHA256 under `webhook_secret` (encrypted at rest, shown once).
    webhook_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    webhook_secret = encrypt(models.TextField(null=True, blank=True, editable=False))

    objects = OrgAwareQuerySet.as_manager()

    class Meta(OwnedModel.Meta):
        db_table = "workflows"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="idx_workflows_user_id"),
            models.Index(fields=["organization", "-created_at"], name="idx_workflows_org_id"),
            models.Index(fields=["schedule_checked_at"], condition=~models.Q(schedule="") & models.Q(is_active=True),
                         name="workflows_scheduled"),
        ]

    def __str__(self):
        return self.name

    @property
    def steps(self) -> list:
        return self.definition.get("steps", [])


VERSION_IMMUTABLE = """
IF TG_OP = 'UPDATE' OR EXISTS (SELECT 1 FROM workflows WHERE id = OLD.workflow_id) THEN
    RAISE EXCEPTION 'workflow_versions are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END IF;
RETURN OLD;
"""


class WorkflowVersion(CreatedModel):
    """Every saved definition of a workflow, numbered from 1. The database refuses UPDATE and DELETE;
    the rows go only with their workflow (the cascade finds the workflow gone)."""

    owner_path = "user"
    workflow = ForeignKey(Workflow, db_on_delete="CASCADE", related_name="versions", db_index=False)
    user = ForeignKey("accounts.AuthUser", db_on_delete="CASCADE", related_name="+", db_index=False)
    version = models.PositiveIntegerField()
    definition = models.JSONField()

    objects = ThroughWorkflowQuerySet.as_manager()

    class Meta:
        db_table = "workflow_versions"
        ordering = ["workflow", "-version"]
        constraints = [models.UniqueConstraint(fields=["workflow", "version"], name="workflow_versions_workflow_version_key")]
        indexes = [models.Index(fields=["user"], name="workflow_versions_user")]
        triggers = [pgtrigger.Trigger(name="immutable", when=pgtrigger.Before, operation=pgtrigger.Update | pgtrigger.Delete,
                                      func=VERSION_IMMUTABLE)]

    def __str__(self):
        return f"{self.workflow_id} v{self.version}"


class ExecutionStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL = (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED)


class Trigger(models.TextChoices):
    MANUAL = "manual"
    SCHEDULE = "schedule"
    WEBHOOK = "webhook"


class WorkflowExecution(OwnedModel):
    """One run of a workflow at a pinned version. `steps` holds each step's result:
    {step id: {status, attempts, started_at, completed_at, output, error, not_before}}."""

    Status = ExecutionStatus
    workflow = ForeignKey(Workflow, db_on_delete="CASCADE", related_name="executions", db_index=False)
    workflow_version = ForeignKey(WorkflowVersion, db_on_delete="CASCADE", related_name="+", db_index=False)
    status = models.CharField(max_length=10, choices=ExecutionStatus, default=ExecutionStatus.QUEUED, db_default=ExecutionStatus.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger, default=Trigger.MANUAL, db_default=Trigger.MANUAL)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="", db_default="")
    steps = models.JSONField(default=dict, blank=True)
    retries = models.PositiveIntegerField(default=0, db_default=0)  # step attempts after the first, over all steps
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ThroughWorkflowQuerySet.as_manager()

    class Meta(OwnedModel.Meta):
        db_table = "workflow_executions"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "status"], name="idx_workflow_runs_user_status"),
            models.Index(fields=["workflow", "-created_at"], name="workflow_executions_workflow"),
        ]
        constraints = [
            choices_check("status", ExecutionStatus, "workflow_executions_status_check"),
            choices_check("trigger", Trigger, "workflow_executions_trigger_check"),
        ]

    def __str__(self):
        return f"{self.workflow_id} @ {self.created_at:%Y-%m-%d %H:%M:%S} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def organization_id(self):
        """Its workflow's (for the organization role checks)."""
        return self.workflow.organization_id


class Provider(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    SLACK_WEBHOOK = "slack_webhook", "Slack incoming webhook"
    GA4 = "ga4", "Google Analytics 4 property"


class UserIntegration(OwnedModel):
    """A connection a workflow step may use. `config` (URL, headers, signing secret) is encrypted at
    rest and never leaves the server: the API, admin and pages show only `config_summary`."""

    Provider = Provider
    # Optionally shared with an organization: its members' workflows may use it (core.org_policies).
    organization = ForeignKey("organizations.Organization", db_on_delete="CASCADE", null=True, blank=True, related_name="+",
                              db_index=False)
    provider = models.CharField(max_length=20, choices=Provider)
    name = models.CharField(max_length=200)
    config = encrypt(models.JSONField(default=dict))
    # provider ga4: the user's existing GA4 credential this integration stands for.
    ga4_credential = ForeignKey("chat.GA4Credential", db_on_delete="SET NULL", null=True, blank=True, related_name="+", db_index=False)
    is_active = models.BooleanField(default=True, db_default=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_test = models.JSONField(null=True, blank=True, editable=False)  # the last "test" answer: status, time, excerpt

    objects = OrgAwareQuerySet.as_manager()

    class Meta(OwnedModel.Meta):
        db_table = "user_integrations"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["user", "name"], name="user_integrations_user"),
            models.Index(fields=["organization"], condition=models.Q(organization__isnull=False), name="user_integrations_org"),
            models.Index(fields=["ga4_credential"], condition=models.Q(ga4_credential__isnull=False), name="user_integrations_ga4"),
        ]
        constraints = [choices_check("provider", Provider, "user_integrations_provider_check")]

    def __str__(self):
        return f"{self.name} ({self.get_provider_display()})"

    @property
    def config_summary(self) -> dict:
        """What may be shown of the config: the URL's host and whether a secret and headers are set."""
        from urllib.parse import urlsplit

        config = self.config or {}
        return {
            "host": urlsplit(config.get("url", "")).hostname or "",
            "has_signing_secret": bool(config.get("signing_secret")),
            "header_names": sorted(config.get("headers", {})),
        }

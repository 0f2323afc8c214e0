"""Workflow operations shared by the API, the pages, the scheduler and the webhook: saving a
definition (a new immutable version each time it changes), starting, cancelling, the inbound
webhook's token and secret. Every function runs in the caller's transaction."""

import hashlib
import hmac
import secrets

from django.utils import timezone

from organizations import services as organizations
from workflows import definition, tasks
from workflows.models import FINAL, ExecutionStatus, Trigger, Workflow, WorkflowExecution, WorkflowVersion

SIGNATURE_HEADER = "X-Hub-Signature-256"  # GitHub's: sha256=<hex HMAC-SHA256 of the raw body>


def save(workflow: Workflow, *, definition_changed: bool) -> Workflow:
    """Store the workflow; a new definition (or a new workflow) becomes version n+1. A new workflow
    without an organization goes to its owner's personal one."""
    creating = workflow._state.adding
    if creating:
        workflow.version = 1
        if workflow.organization_id is None:  # the owner's personal organization
            workflow.organization_id = organizations.personal_organization_id(workflow.user_id)
    elif definition_changed:
        workflow.version = (WorkflowVersion.objects.filter(workflow=workflow).order_by("-version")
                            .values_list("version", flat=True).first() or 0) + 1
    workflow.save()
    if creating or definition_changed:
        WorkflowVersion.objects.create(workflow=workflow, user_id=workflow.user_id, version=workflow.version,
                                       definition=workflow.definition)
    return workflow


def current_version(workflow: Workflow) -> WorkflowVersion:
    return WorkflowVersion.objects.get(workflow=workflow, version=workflow.version)


class NotRunnable(ValueError):
    pass


def start(workflow: Workflow, input_data: dict, *, trigger: str = Trigger.MANUAL) -> WorkflowExecution:
    """A queued execution of the workflow's current version, and the job that walks it."""
    if not workflow.is_active:
        raise NotRunnable("The workflow is switched off: switch it on to run it.")
    execution = WorkflowExecution.objects.create(
        user_id=workflow.user_id, workflow=workflow, workflow_version=current_version(workflow), input=input_data or {}, trigger=trigger,
    )
    tasks.defer_advance(execution.pk)
    return execution


def cancel(execution: WorkflowExecution) -> bool:
    """Cancel a queued or running execution (the walker stops before its next step); False when it
    had finished already."""
    updated = (WorkflowExecution.objects.filter(pk=execution.pk).exclude(status__in=FINAL)
               .update(status=ExecutionStatus.CANCELLED, completed_at=timezone.now()))
    execution.refresh_from_db()
    return bool(updated)


# --- inbound webhook ------------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_webhook(workflow: Workflow) -> tuple[str, str]:
    """A new URL token and signing secret for the workflow's webhook (the old ones stop working);
    returned once, never shown again (only the token's hash and the encrypted secret are kept)."""
    token, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    workflow.webhook_token_hash, workflow.webhook_secret = token_hash(token), secret
    workflow.save(update_fields=["webhook_token_hash", "webhook_secret"])
    return token, secret


def disable_webhook(workflow: Workflow) -> None:
    workflow.webhook_token_hash, workflow.webhook_secret = None, None
    workflow.save(update_fields=["webhook_token_hash", "webhook_secret"])


def webhook_workflow(token: str) -> Workflow | None:
    """The workflow whose webhook URL carries `token` (read as the connection role: the caller is
    not a user; the signature is what authenticates it)."""
    return Workflow.objects.filter(webhook_token_hash=token_hash(token)).first()


def signature_valid(workflow: Workflow, body: bytes, header: str | None) -> bool:
    if not workflow.webhook_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(workflow.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def validate_definition(value) -> dict:
    return definition.validate(value)


def may_change(user, obj) -> bool:
    """Whether `user` may change `obj` (a workflow, execution or integration), as the org-aware
    policies say: one's own rows as a writer of their organization, every row as its admin/owner."""
    own = obj.user_id == user.pk
    if obj.organization_id is None:
        return own
    role = organizations.role_of(user, obj.organization_id)
    return (own and organizations.can_write(role)) or organizations.can_manage(role)

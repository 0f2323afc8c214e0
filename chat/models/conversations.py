"""Chat sessions and their messages (seed 003: `chat_sessions`, `chat_messages`).

Both carry `tenant_id`, never a client's value. A session's is the organization it was created in:
`accounts.tenancy.tenant_for(user, request)` — the request's active organization — set by the view
that creates it, else (no request: jobs, load_demo) the owner's personal organization, set on save;
a workflow step names its workflow's. The database allows only an organization the owner is a member
of (migration 0006). A message's tenant is its session's, whichever organization is active when it is
posted: a composite foreign key `(session_id, tenant_id) → chat_sessions (id, tenant_id)` (migration
0002, raw SQL: Django cannot declare one; ON UPDATE CASCADE since 0006, so a session that moves home
when its owner leaves an organization takes its messages along), so no route — ORM, SQL, Supabase —
can attach a message to another tenant's session.
"""

import pgtrigger
from django.db import models

from accounts.tenancy import tenant_for
from core.fields import ForeignKey
from core.models import OwnedModel, OwnedQuerySet, TimestampedModel, choices_check


class Persona(models.TextChoices):
    PO = "po", "Product owner"
    UX = "ux", "UX designer"
    MGR = "mgr", "Manager"
    GENERAL = "general", "General"


class ChatSession(OwnedModel):
    """A conversation of one user, optionally reading one of their GA4 properties."""

    Persona = Persona

    tenant_id = models.UUIDField(editable=False)
    title = models.CharField(max_length=200)
    persona = models.CharField(max_length=10, choices=Persona, default=Persona.GENERAL, db_default=Persona.GENERAL)
    # Must be a credential of the session's own user: checked by the API and by the trigger below.
    credential = ForeignKey("chat.GA4Credential", db_on_delete="SET NULL", null=True, blank=True, related_name="+", db_index=False)
    last_message_at = models.DateTimeField(null=True, blank=True)
    archived = models.BooleanField(default=False, db_default=False)

    class Meta(OwnedModel.Meta):
        db_table = "chat_sessions"
        ordering = [models.F("last_message_at").desc(nulls_last=True), "-created_at"]
        indexes = [
            # "My chats, most recent first" (the list filters the tenant and the owner).
            models.Index(
                models.F("tenant_id"), models.F("user"), models.F("last_message_at").desc(nulls_last=True),
                name="idx_chat_sessions_tenant_user_last",
            ),
            # The row-level security policy (user_id = auth.uid()) and ON DELETE CASCADE from auth.users.
            models.Index(fields=["user"], name="idx_chat_sessions_user_id"),
            models.Index(fields=["credential"], condition=models.Q(credential__isnull=False), name="idx_chat_sessions_credential"),
        ]
        constraints = [
            choices_check("persona", Persona, "chat_sessions_persona_check"),
            # The target of chat_messages' composite foreign key (session_id, tenant_id).
            models.UniqueConstraint(fields=["id", "tenant_id"], name="chat_sessions_id_tenant_key"),
        ]
        triggers = [
            *OwnedModel.Meta.triggers,
            # Another user's credential is refused by the database too. The trigger runs as the caller:
            # under RLS an end user sees only their own credentials, so a foreign id is "not found".
            pgtrigger.Trigger(
                name="credential_same_user",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("credential_id", "user_id"),
                condition=pgtrigger.Q(new__credential__isnull=False),
                func="""
                IF NOT EXISTS (SELECT 1 FROM ga4_credentials c WHERE c.id = NEW.credential_id AND c.user_id = NEW.user_id) THEN
                    RAISE EXCEPTION 'chat_sessions.credential_id % is not a GA4 credential of user %', NEW.credential_id, NEW.user_id
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.tenant_id is None:  # no request named the organization: the personal one
            self.tenant_id = tenant_for(self.user_id)
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    SYSTEM = "system", "System"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    STREAMING = "streaming", "Streaming"
    COMPLETE = "complete", "Complete"
    ERROR = "error", "Error"


class ChatMessage(TimestampedModel):
    """One message of a session. `content` follows `chat.content` (validated at the API edge and
    before an answer is stored); `chunks` holds the progress an assistant message streamed, so a
    client that reconnects can be replayed what it missed (`chat.stream`)."""

    Role = Role
    Status = MessageStatus

    # clock_timestamp(), not now(): a question and its pending answer are written in one transaction
    # and must still sort in the order they were written.
    created_at = models.DateTimeField(db_default=models.Func(function="clock_timestamp", output_field=models.DateTimeField()), editable=False)
    # The database's constraint is the composite one of migration 0002 (with ON DELETE CASCADE).
    session = ForeignKey(ChatSession, db_on_delete="CASCADE", related_name="messages", db_index=False, db_constraint=False)
    tenant_id = models.UUIDField(editable=False)
    role = models.CharField(max_length=10, choices=Role)
    content = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus, default=MessageStatus.COMPLETE, db_default=MessageStatus.COMPLETE)
    error = models.TextField(blank=True, default="", db_default="")
    chunks = models.JSONField(default=list, blank=True, db_default=models.Value([], models.JSONField()))

    owner_path = "session__user"
    objects = OwnedQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        db_table = "chat_messages"
        ordering = ["created_at", "id"]
        indexes = [
            # A session's messages in order (the list, cursor pages, `?after=`), and the composite
            # foreign key's look-ups (ON DELETE CASCADE from chat_sessions).
            models.Index(fields=["tenant_id", "session", "created_at", "id"], name="idx_chat_messages_tenant_session"),
        ]
        constraints = [
            choices_check("role", Role, "chat_messages_role_check"),
            choices_check("status", MessageStatus, "chat_messages_status_check"),
            models.CheckConstraint(
                condition=models.Q(content__has_key="type") | models.Q(status__in=[MessageStatus.PENDING, MessageStatus.STREAMING, MessageStatus.ERROR]),
                name="chat_messages_content_typed",
            ),
        ]

    def __str__(self):
        return f"{self.role} message {self.pk}"

    def save(self, *args, **kwargs):
        if self.tenant_id is None:
            self.tenant_id = self.session.tenant_id
        super().save(*args, **kwargs)

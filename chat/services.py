"""Writing conversations: sessions and questions. Shared by the API and the pages; every function
runs in the caller's transaction (under RLS for end-user requests)."""

from django.db.models.functions import Now

from chat import tasks
from chat.models import ChatMessage, ChatSession, GA4Credential
from chat.responders import runner
from core import rls

DEFAULT_TITLE = "New chat"
TITLE_FROM_QUESTION = 80  # characters of the first question that become an untitled chat's title


class CredentialNotYours(ValueError):
    """The credential named for a session is not one of the user's (or does not exist)."""


def credential_for(user, credential_id):
    """The user's credential with this id, or None for no id; CredentialNotYours otherwise."""
    if credential_id is None:
        return None
    credential = GA4Credential.objects.for_user(user).filter(pk=credential_id).first()
    if credential is None:
        raise CredentialNotYours(credential_id)
    return credential


def credential_choices(user) -> list[tuple[str, str]]:
    """(id, property name) of the user's GA4 credentials, for a form's choice list."""
    return [(str(pk), name or property_id) for pk, name, property_id in
            GA4Credential.objects.for_user(user).order_by("property_name").values_list("pk", "property_name", "property_id")]


def demo_credential_id(user):
    """The id of `user`'s credential for the built-in demo property (load_demo's), or None."""
    return GA4Credential.objects.for_user(user).filter(is_demo=True).values_list("pk", flat=True).first()


def ask(session: ChatSession, text: str, *, queue: bool = True) -> tuple[ChatMessage, ChatMessage]:
    """Store a question and the `pending` answer to it, and queue the job that makes the answer
    (`chat.tasks.answer`; `queue=False`: the caller makes it), all in the caller's transaction. Two
    INSERTs: their `created_at` (clock_timestamp()) keep them in order."""
    text = text.strip()
    question = ChatMessage.objects.create(
        session=session, tenant_id=session.tenant_id, role=ChatMessage.Role.USER,
        content={"type": "user", "text": text}, status=ChatMessage.Status.COMPLETE,
    )
    answer = ChatMessage.objects.create(
        session=session, tenant_id=session.tenant_id, role=ChatMessage.Role.ASSISTANT,
        content={}, status=ChatMessage.Status.PENDING,
    )
    changes = {"last_message_at": Now()}
    if session.title == DEFAULT_TITLE:
        changes["title"] = _title(text)
    ChatSession.objects.filter(pk=session.pk).update(**changes)
    session.refresh_from_db(fields=list(changes))
    if queue:
        tasks.defer_answer(answer)
    return question, answer


def answer_now(user, text: str, credential_id=None, *, tenant_id) -> dict:
    """For callers already on a worker (a workflow step): a new chat session of `user` in the
    organization `tenant_id` (there is no request to name it: a workflow step passes its workflow's;
    the database refuses one `user` is not a member of), on the GA4 credential `credential_id` (one
    of theirs), asks `text`, and the answer is made here and now by the same runner as `chat.answer`.
    Each write is a transaction under the user's RLS; run it outside any transaction. Returns the
    answer: status, its text, content, error and the ids. Raises CredentialNotYours."""
    claims = rls.claims_for(user)
    with rls.end_user(claims):
        credential = credential_for(user, credential_id)
        session = ChatSession.objects.create(user=user, tenant_id=tenant_id, credential=credential, title=_title(text))
        _, answer = ask(session, text, queue=False)
    runner.answer(answer.pk, user.pk)
    with rls.end_user(claims):
        made = ChatMessage.objects.filter(pk=answer.pk).values("status", "content", "error").get()
    return {"session_id": str(session.pk), "message_id": str(answer.pk), "status": made["status"],
            "answer": (made["content"] or {}).get("answer", ""), "content": made["content"], "error": made["error"]}


class NotEditable(ValueError):
    """Only a question can be edited, and not while its answer is being made."""


def edit_question(message: ChatMessage, text: str) -> ChatMessage:
    """A question's new text; its answer (the next assistant message) goes back to `pending` and is
    queued to be made again."""
    if message.role != ChatMessage.Role.USER:
        raise NotEditable("Only questions can be edited.")
    answer = (
        ChatMessage.objects.filter(session_id=message.session_id, created_at__gt=message.created_at)
        .order_by("created_at", "id")
        .first()
    )
    if answer is not None and answer.role == ChatMessage.Role.ASSISTANT:
        if answer.status == ChatMessage.Status.STREAMING:
            raise NotEditable("Its answer is being made: edit the question once it is finished.")
        ChatMessage.objects.filter(pk=answer.pk).update(status=ChatMessage.Status.PENDING, error="", chunks=[], content={})
        tasks.defer_answer(answer)
    message.content = {"type": "user", "text": text.strip()}
    message.save(update_fields=["content"])
    message.refresh_from_db(fields=["updated_at"])
    return message


def retry(message: ChatMessage) -> bool:
    """An assistant message that failed goes back to `pending` and is queued to be made again;
    False for any other message."""
    updated = ChatMessage.objects.filter(pk=message.pk, role=ChatMessage.Role.ASSISTANT, status=ChatMessage.Status.ERROR).update(
        status=ChatMessage.Status.PENDING, error="", chunks=[], content={}
    )
    if updated:
        message.refresh_from_db(fields=["status", "error", "chunks", "content", "updated_at"])
        tasks.defer_answer(message)
    return bool(updated)


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_FROM_QUESTION else text[: TITLE_FROM_QUESTION - 1].rstrip() + "…"

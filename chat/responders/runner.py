"""Making one answer, in a worker (`chat.tasks.answer`): the responder's steps stored on the assistant
message as they come — progress chunks appended to `chunks`, then the final `content` with
`complete`, or `error` with its text. The SSE stream (`chat.stream`) only reads them back.

The job acts for the asker: every read and write is a short transaction under their row-level
security identity (`core.rls.end_user`), so a job given another user's message finds nothing. Slow
work (HTTP calls to Google) happens between transactions, holding no locks. The job's procrastinate
`lock` (one per message) means one runner per message at a time; a runner that finds the message
`streaming` is taking over from a worker that died, and goes on after the chunks it left. A
finished message is never made again.
"""

import logging
from functools import partial

from django.db.models import F, Func, JSONField, Value
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import AuthUser
from chat import content as content_schema
from chat.models import ChatMessage, ChatSession
from chat.responders import Answer, Chunk, ResponderError, Turn, get_responder
from core import rls

logger = logging.getLogger(__name__)

UNEXPECTED = "The assistant failed unexpectedly. Ask again; if it keeps failing, tell us."
FINAL = (ChatMessage.Status.COMPLETE, ChatMessage.Status.ERROR)
FIELDS = ("id", "status", "chunks", "content", "error", "role", "session_id", "created_at")


def load(message_id) -> dict | None:
    """The message's stored state (run inside a transaction as its owner)."""
    return ChatMessage.objects.filter(pk=message_id).values(*FIELDS).first()


def answer(message_id, user_id, aal: str = "aal1") -> None:
    """Make the answer of assistant message `message_id` for end user `user_id`, acting at the `aal`
    of the session that asked; nothing when it is not theirs, not an answer, or finished already."""
    user = AuthUser.objects.filter(pk=user_id).first()  # the connection role: as authentication reads it
    if user is None:
        return
    as_user = partial(rls.end_user, {**rls.claims_for(user), "aal": aal})
    with as_user():
        message = load(message_id)
        if message is None or message["role"] != ChatMessage.Role.ASSISTANT or message["status"] in FINAL:
            return
        ChatMessage.objects.filter(pk=message_id).update(status=ChatMessage.Status.STREAMING)
        turn = _turn(message, user.pk, as_user)
    final = _respond(turn, as_user)
    with as_user():
        ChatMessage.objects.filter(pk=message_id).update(status=final["status"], content=final["content"], error=final["error"])
        ChatSession.objects.filter(pk=message["session_id"]).update(last_message_at=Now())


def _turn(message: dict, user_id, as_user) -> Turn:
    session = ChatSession.objects.filter(pk=message["session_id"]).values("persona", "credential_id").get()
    question = (
        ChatMessage.objects.filter(session_id=message["session_id"], role=ChatMessage.Role.USER, created_at__lt=message["created_at"])
        .order_by("-created_at", "-id")
        .values_list("content", flat=True)
        .first()
    )
    return Turn(
        message_id=message["id"],
        user_id=user_id,
        question=(question or {}).get("text", ""),
        persona=session["persona"],
        credential_id=session["credential_id"],
        today=timezone.now().date(),
        as_user=as_user,
    )


def _respond(turn: Turn, as_user) -> dict:
    """Run the responder, storing each chunk as it comes; the final state to store."""
    failed = {"status": ChatMessage.Status.ERROR, "content": {}}
    try:
        for step in get_responder().respond(turn):
            if isinstance(step, Chunk):
                with as_user():
                    ChatMessage.objects.filter(pk=turn.message_id).update(chunks=_appended(step.text))
            elif isinstance(step, Answer):
                content = content_schema.validate(step.content, kinds=("ai",))
                return {"status": ChatMessage.Status.COMPLETE, "content": content, "error": ""}
        raise ResponderError("The assistant gave no answer. Ask again.")
    except ResponderError as exc:
        return {**failed, "error": str(exc)}
    except content_schema.ContentInvalid as exc:
        logger.error("responder wrote invalid content for message %s: %s", turn.message_id, exc.fields)
        return {**failed, "error": UNEXPECTED}
    except Exception:
        logger.exception("responder failed for message %s", turn.message_id)
        return {**failed, "error": UNEXPECTED}


def _appended(text: str):
    """`chunks || '["text"]'` in SQL: the stored list grows by one."""
    return Func(F("chunks"), Value([text], output_field=JSONField()), template="%(expressions)s", arg_joiner=" || ", output_field=JSONField())

"""Server-Sent Events of an assistant message's progress, and the worker-less way answers are made.

The product has no task queue yet, so **the stream drives the responder**: posting a question stores
the question and a `pending` assistant message; the first `GET .../messages/{id}/stream` claims the
message (`pending` → `streaming`, one conditional UPDATE: of concurrent streams exactly one wins),
runs the responder, and stores every step on the row before sending it — progress chunks appended to
`chunks`, then the final `content` with `complete`, or `error` with its text. Other streams of the
same message (a second tab, a reconnect while it runs) follow the row instead, polling it.

Events (`text/event-stream`), numbered by `id:`:

    id: 1..n    event: streaming   data: {"message", "status": "streaming", "text"}     (chunk k has id k)
    id: n+1     event: complete    data: {"message", "status": "complete", "content"}
    id: n+1     event: error       data: {"message", "status": "error", "error"}

A client that reconnects with `Last-Event-ID: k` (EventSource does so by itself) is sent the chunks
after k and, once the message is finished, its final event — always, even if it had it already, so
a reconnecting client learns the message is done. The response ends after the final event; clients
close their EventSource on `complete` or `error` (it would reconnect otherwise).

**Database access.** An API view runs in one request transaction under RLS (core.api.views.RLSMixin),
but a streaming body is iterated after the view has returned and that transaction has committed. So
the generator never uses the view's transaction: each step opens its own short transaction as the
end user (`core.rls.end_user(claims)`, the same claims the request was authenticated with), commits
it, and only then yields. Slow work (HTTP calls to Google) happens between transactions, holding no
locks and no transaction. A message left `streaming` by a worker that died is taken over by the next
stream once it has been silent for `STALE_AFTER` seconds.

A client that goes away mid-answer does not stop it: the generator finishes the answer (without
sending) when the server closes it, so the answer is there when the client comes back.
"""

import json
import logging
import time
from datetime import timedelta
from functools import partial

from django.db.models import F, Func, JSONField, Q, Value
from django.db.models.functions import Now
from django.utils import timezone

from chat import content as content_schema
from chat.models import ChatMessage, ChatSession
from chat.responders import Answer, Chunk, ResponderError, Turn, get_responder
from core import rls

logger = logging.getLogger(__name__)

MEDIA_TYPE = "text/event-stream"
RETRY_MS = 3000  # EventSource's reconnection delay
# Seconds without progress after which a `streaming` message is taken over: beyond gunicorn's worker
# timeout (30 s, config/gunicorn.conf.py), which kills a sync worker stuck in a stream, and beyond
# one GA4 call with a token refresh in the usual case. (A refresh retried to its worst case may take
# longer; a second driver then waits on the credential's row lock and both store the same answer.)
STALE_AFTER = 90
FOLLOW_POLL = 0.5  # seconds between reads of a message another stream is writing
FOLLOW_FOR = 20  # seconds a follower waits before ending (under gunicorn's 30 s; the client reconnects and resumes)
KEEPALIVE_EVERY = 15  # seconds between comments while following
UNEXPECTED = "The assistant failed unexpectedly. Ask again; if it keeps failing, tell us."
FINAL = (ChatMessage.Status.COMPLETE, ChatMessage.Status.ERROR)


def last_event_id(value: str | None) -> int:
    """The `Last-Event-ID` a client sent (or `?last_event_id=`): 0 when absent; ValueError unless
    a whole number."""
    if value is None or value.strip() == "":
        return 0
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise ValueError(value)
    return int(value)


def event(event_id: int, name: str, data: dict) -> bytes:
    return f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def replay(message: dict, after: int) -> list[bytes]:
    """The events of `message` (a dict of id, status, chunks, content, error) after event `after`;
    a finished message always ends with its final event."""
    chunks = message["chunks"] or []
    out = [
        event(number, "streaming", {"message": str(message["id"]), "status": "streaming", "text": text})
        for number, text in enumerate(chunks, start=1)
        if number > after
    ]
    if message["status"] in FINAL:
        out.append(final_event(message))
    return out


def final_event(message: dict) -> bytes:
    number = len(message["chunks"] or []) + 1
    if message["status"] == ChatMessage.Status.COMPLETE:
        return event(number, "complete", {"message": str(message["id"]), "status": "complete", "content": message["content"]})
    return event(number, "error", {"message": str(message["id"]), "status": "error", "error": message["error"] or UNEXPECTED})


FIELDS = ("id", "status", "chunks", "content", "error", "role", "session_id", "created_at")


def _load(message_id) -> dict | None:
    return ChatMessage.objects.filter(pk=message_id).values(*FIELDS).first()


def _claim(message_id) -> bool:
    """`pending` (or abandoned `streaming`) → `streaming`, for exactly one caller."""
    stale = timezone.now() - timedelta(seconds=STALE_AFTER)
    claimable = Q(status=ChatMessage.Status.PENDING) | Q(status=ChatMessage.Status.STREAMING, updated_at__lt=stale)
    return ChatMessage.objects.filter(claimable, pk=message_id, role=ChatMessage.Role.ASSISTANT).update(status=ChatMessage.Status.STREAMING) == 1


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


def stream(message_id, *, user_id, claims: dict, last_event_id: int = 0):
    """The SSE body (bytes) of one message for the end user with these claims. The caller has
    already checked that the message is theirs (404 otherwise)."""
    as_user = partial(rls.end_user, claims)
    yield f"retry: {RETRY_MS}\n\n".encode()
    with as_user():
        message = _load(message_id)
        claimed = message is not None and message["status"] not in FINAL and _claim(message_id)
        turn = _turn(message, user_id, as_user) if claimed else None
    if message is None:
        return
    if claimed:
        yield from _drive(message, turn, as_user, last_event_id)
    else:
        yield from _follow(message_id, as_user, last_event_id)


def _follow(message_id, as_user, last_event_id: int):
    """Send what another stream stores, until the message is finished or FOLLOW_FOR has passed."""
    sent, started, quiet_since = last_event_id, time.monotonic(), time.monotonic()
    while True:
        with as_user():
            message = _load(message_id)
        if message is None:
            return
        for chunk in replay(message, sent):
            yield chunk
            quiet_since = time.monotonic()
        sent = max(sent, len(message["chunks"] or []))
        if message["status"] in FINAL:
            return
        if message["status"] == ChatMessage.Status.PENDING or time.monotonic() - started > FOLLOW_FOR:
            # Pending again (claimed, then reset by a retry) or too long: end; the client reconnects
            # and its next stream claims or follows the message afresh.
            return
        if time.monotonic() - quiet_since > KEEPALIVE_EVERY:
            yield b": still working\n\n"
            quiet_since = time.monotonic()
        time.sleep(FOLLOW_POLL)


def _drive(message: dict, turn: Turn, as_user, last_event_id: int):
    """Send the responder's steps as they are stored. If the server closes this generator (the
    client went away), the answer is still finished and stored, just not sent."""
    steps = _steps(message, turn, as_user, last_event_id)
    for data in steps:
        try:
            yield data
        except GeneratorExit:
            for _ in steps:
                pass
            raise


def _steps(message: dict, turn: Turn, as_user, last_event_id: int):
    message_id = message["id"]
    chunks = list(message["chunks"] or [])  # left by an abandoned stream this one took over
    yield from replay({**message, "status": ChatMessage.Status.STREAMING}, last_event_id)
    failed = {"id": message_id, "status": ChatMessage.Status.ERROR, "chunks": chunks, "content": {}}
    try:
        for step in get_responder().respond(turn):
            if isinstance(step, Chunk):
                with as_user():
                    ChatMessage.objects.filter(pk=message_id).update(chunks=_appended(step.text))
                chunks.append(step.text)
                if len(chunks) > last_event_id:
                    yield event(len(chunks), "streaming", {"message": str(message_id), "status": "streaming", "text": step.text})
            elif isinstance(step, Answer):
                answer = content_schema.validate(step.content, kinds=("ai",))
                final = {"id": message_id, "status": ChatMessage.Status.COMPLETE, "chunks": chunks, "content": answer, "error": ""}
                break
        else:
            raise ResponderError("The assistant gave no answer. Ask again.")
    except ResponderError as exc:
        final = {**failed, "error": str(exc)}
    except content_schema.ContentInvalid as exc:
        logger.error("responder wrote invalid content for message %s: %s", message_id, exc.fields)
        final = {**failed, "error": UNEXPECTED}
    except Exception:
        logger.exception("responder failed for message %s", message_id)
        final = {**failed, "error": UNEXPECTED}
    with as_user():
        ChatMessage.objects.filter(pk=message_id).update(status=final["status"], content=final["content"], error=final["error"])
        ChatSession.objects.filter(pk=message["session_id"]).update(last_message_at=Now())
    yield final_event(final)


def _appended(text: str):
    """`chunks || '["text"]'` in SQL: the stored list grows by one."""
    return Func(F("chunks"), Value([text], output_field=JSONField()), template="%(expressions)s", arg_joiner=" || ", output_field=JSONField())

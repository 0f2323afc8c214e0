"""Server-Sent Events of an assistant message's progress. The stream only *follows* the message:
posting a question stores it with a `pending` answer and queues the job that makes the answer
(`chat.tasks.answer`, run by a worker: `chat.responders.runner`), which stores each step on the row —
progress chunks appended to `chunks`, then the final `content` with `complete`, or `error` with its
text. The stream reads the row every `FOLLOW_POLL` seconds (more often in its first second) (a primary-key read in a short
transaction) and sends what is new, so an open stream costs a waiting connection, never the work.

Events (`text/event-stream`), numbered by `id:`:

    id: 1..n    event: streaming   data: {"message", "status": "streaming", "text"}     (chunk k has id k)
    id: n+1     event: complete    data: {"message", "status": "complete", "content"}
    id: n+1     event: error       data: {"message", "status": "error", "error"}

A client that reconnects with `Last-Event-ID: k` (EventSource does so by itself) is sent the chunks
after k and, once the message is finished, its final event — always, even if it had it already, so
a reconnecting client learns the message is done. The response ends after the final event, or after
`FOLLOW_FOR` seconds without one (under gunicorn's 30 s worker timeout): the client then reconnects
and resumes. Clients close their EventSource on `complete` or `error` (it would reconnect otherwise).

**Database access.** An API view runs in one request transaction under RLS (core.api.views.RLSMixin),
but a streaming body is iterated after the view has returned and that transaction has committed. So
each read opens its own short transaction as the end user (`core.rls.end_user(claims)`, the same
claims the request was authenticated with), and no transaction is open while the stream waits.
"""

import json
import time
from functools import partial

from chat.models import ChatMessage
from chat.responders import runner
from chat.responders.runner import FINAL, UNEXPECTED
from core import rls

MEDIA_TYPE = "text/event-stream"
RETRY_MS = 3000  # EventSource's reconnection delay
FOLLOW_POLL = 0.1  # seconds between reads of the message (one primary-key read each)...
FIRST_POLL, FIRST_POLL_FOR = 0.02, 1.0  # ...and in the first second, while a worker picks the job up
FOLLOW_FOR = 20  # seconds a stream follows before ending (under gunicorn's 30 s; the client reconnects and resumes)
KEEPALIVE_EVERY = 15  # seconds between comments while nothing new arrives


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


def stream(message_id, *, claims: dict, last_event_id: int = 0):
    """The SSE body (bytes) of one message for the end user with these claims. The caller has
    already checked that the message is theirs (404 otherwise)."""
    as_user = partial(rls.end_user, claims)
    yield f"retry: {RETRY_MS}\n\n".encode()
    sent, started, quiet_since = last_event_id, time.monotonic(), time.monotonic()
    while True:
        with as_user():
            message = runner.load(message_id)
        if message is None:
            return
        for chunk in replay(message, sent):
            yield chunk
            quiet_since = time.monotonic()
        sent = max(sent, len(message["chunks"] or []))
        if message["status"] in FINAL or time.monotonic() - started > FOLLOW_FOR:
            return  # finished; or long enough: the client reconnects and resumes after `sent`
        if time.monotonic() - quiet_since > KEEPALIVE_EVERY:
            yield b": still working\n\n"
            quiet_since = time.monotonic()
        time.sleep(FIRST_POLL if time.monotonic() - started < FIRST_POLL_FOR else FOLLOW_POLL)

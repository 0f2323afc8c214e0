"""What every responder of the chat implements: read a question, yield progress, give one answer.

A responder never touches the HTTP response or the message row: `chat.stream` drives it, stores
each step on the assistant message and sends it to the client. It reaches the database only inside
`turn.as_user()` (a short transaction under the asker's row-level security identity), and does its
slow work (HTTP calls) outside any transaction.
"""

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Chunk:
    """A step of progress, shown while the answer is being made ("Running the GA4 report…")."""

    text: str


@dataclass(frozen=True)
class Answer:
    """The final content of the assistant message: an `ai` content of `chat.content`."""

    content: dict


class ResponderError(Exception):
    """The answer could not be made. `str(exc)` is shown to the user: say what failed and what to
    do, never a secret."""


@dataclass(frozen=True)
class Turn:
    """One question to answer."""

    message_id: uuid.UUID  # the assistant message being written
    user_id: uuid.UUID
    question: str
    persona: str
    credential_id: uuid.UUID | None
    today: date
    as_user: Callable[[], AbstractContextManager]  # a transaction as the asker (RLS applies)


class Responder(ABC):
    name: str = ""

    @abstractmethod
    def respond(self, turn: Turn) -> Iterator[Chunk | Answer]:
        """Yield any number of `Chunk`s, then exactly one `Answer`; raise `ResponderError` (or let
        any other exception out: the message then fails with a generic error)."""

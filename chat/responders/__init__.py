"""Responders write the assistant's answers (`base.Responder`). The built-in one answers from the
GA4 Data API (`ga4.GA4Responder`); `CHAT_RESPONDER` (a dotted path, default that class) picks
another."""

from django.conf import settings
from django.utils.module_loading import import_string

from chat.responders.base import Answer, Chunk, Responder, ResponderError, Turn

DEFAULT = "chat.responders.ga4.GA4Responder"


def get_responder() -> Responder:
    return import_string(getattr(settings, "CHAT_RESPONDER", DEFAULT))()


__all__ = ["Answer", "Chunk", "Responder", "ResponderError", "Turn", "get_responder"]

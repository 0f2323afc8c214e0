"""Fixtures of the chat tests: a loopback Google (OAuth server + GA4 Data API) the app is pointed at,
and GA4 credentials made directly."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import GA4Credential
from tests.chat.loopback import LoopbackGoogle
from tests.chat.scripted import DEFAULT_STEPS, ScriptedResponder

FAST_RETRIES = {"GA4_TOKEN_REFRESH_ATTEMPTS": 3, "GA4_TOKEN_REFRESH_BACKOFF": 0.01, "GA4_HTTP_TIMEOUT": 2.0}


@pytest.fixture
def google(settings):
    """A running loopback Google; the app's GA4 settings point at it (with tiny retry delays)."""
    with LoopbackGoogle() as provider:
        for name, value in {**provider.settings(), **FAST_RETRIES}.items():
            setattr(settings, name, value)
        yield provider


@pytest.fixture
def make_credential(google):
    """make_credential(user, property_id="123456789", expires_in=3600, **fields): a credential holding
    a real grant of the loopback Google."""

    def make(user, property_id="123456789", *, expires_in=3600, **fields):
        refresh_token, access_token = google.grant(expires_in=max(expires_in, 0))
        values = {
            "property_name": f"Property {property_id}",
            "refresh_token": refresh_token,
            "access_token": access_token,
            "token_expiry": timezone.now() + timedelta(seconds=expires_in),
            "scopes": ["https://www.googleapis.com/auth/analytics.readonly"],
            **fields,
        }
        return GA4Credential.objects.create(user=user, property_id=property_id, **values)

    return make


@pytest.fixture
def scripted(settings, monkeypatch):
    """The chat answers with the scripted responder, its steps and turns fresh for each test."""
    settings.CHAT_RESPONDER = "tests.chat.scripted.ScriptedResponder"
    monkeypatch.setattr(ScriptedResponder, "steps", list(DEFAULT_STEPS))
    monkeypatch.setattr(ScriptedResponder, "turns", [])
    return ScriptedResponder

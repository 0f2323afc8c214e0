import uuid

import pytest
from django.utils import timezone

from privacy.models import AllowedApp, PrivacyPrefs, SignalToggle


def consent(user, *, consent_given=True, monitoring_enabled=True, **fields):
    return PrivacyPrefs.objects.update_or_create(user=user, defaults={"consent_given": consent_given,
                                                                      "monitoring_enabled": monitoring_enabled, **fields})[0]


def allow(user, app_id="code", **fields):
    return AllowedApp.objects.create(user=user, app_id=app_id, app_name=app_id.title(), **fields)


def toggle(user, signal_key, *, enabled=True, sampling_rate=1.0):
    return SignalToggle.objects.create(user=user, signal_key=signal_key, enabled=enabled, sampling_rate=sampling_rate)


def telemetry(app_id="code", event_type="edit", **fields):
    return {"id": str(uuid.uuid4()), "timestamp": timezone.now().isoformat(), "app_id": app_id, "event_type": event_type,
            "duration_ms": 120, "metadata": {"file": "/home/alice/a.py"}, **fields}


def file_event(tool="code", path="/home/alice/src/a.py", **fields):
    return {"id": str(uuid.uuid4()), "timestamp": timezone.now().isoformat(), "file_path": path, "event_type": "modified",
            "tool": tool, **fields}


@pytest.fixture
def ready(user_a):
    """user_a has consented, monitoring is on, and the `code` app is allowed."""
    consent(user_a)
    allow(user_a)
    return user_a

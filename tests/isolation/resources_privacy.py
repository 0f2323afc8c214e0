"""The privacy guardian's owned resources (privacy/): the allowlist and signal toggles join the CRUD
matrix; the read-only lists, the preferences and the gate counts are checked by
tests/isolation/test_privacy.py."""

from django.utils import timezone

from privacy.models import (
    AllowedApp,
    DeviceToken,
    FileEvent,
    GateDrop,
    Pattern,
    PrivacyExport,
    PrivacyPrefs,
    Relationship,
    SignalToggle,
    TelemetryEvent,
    TransparencyLogEntry,
)
from tests.isolation.resources import OwnedSeedPath


def _app(owner):
    return AllowedApp.objects.create(user=owner, app_id=f"{owner.email}-editor", app_name="Editor")


def _signal(owner):
    return SignalToggle.objects.create(user=owner, signal_key=f"{owner.email}-keys", sampling_rate=0.5)


PRIVACY_RESOURCES = [
    OwnedSeedPath(
        name="privacy-app",
        make=_app,
        api_collection=lambda obj: "/api/v1/privacy/apps",
        create={"app_id": "planted"},
        update={"app_id": "changed-by-someone-else", "enabled": False},
        page_edit=lambda obj: f"/privacy/apps/{obj.pk}/toggle/",
        page_delete=lambda obj: f"/privacy/apps/{obj.pk}/remove/",
    ),
    OwnedSeedPath(
        name="privacy-signal",
        make=_signal,
        api_collection=lambda obj: "/api/v1/privacy/signals",
        create={"signal_key": "planted"},
        update={"signal_key": "changed", "enabled": False, "sampling_rate": 0.1},
        page_edit=lambda obj: f"/privacy/signals/{obj.pk}/remove/",
        page_delete=lambda obj: f"/privacy/signals/{obj.pk}/remove/",
    ),
]

NOW = timezone.now


# Read-only lists of owned rows: (model, how make() fills one, its API list).
PRIVACY_FEEDS = [
    (TelemetryEvent, lambda: {"timestamp": NOW(), "app_id": "code", "event_type": "edit", "metadata_redacted_json": {"n": 1}},
     "/api/v1/privacy/telemetry"),
    (FileEvent, lambda: {"timestamp": NOW(), "file_path": "/srv/secret.py", "event_type": "modified"}, "/api/v1/privacy/file-events"),
    (Pattern, lambda: {"file_extension": "py", "count": 3, "last_used": NOW()}, "/api/v1/privacy/patterns"),
    (Relationship, lambda: {"source_file": "/a", "target_file": "/b", "weight": 1.0, "last_seen": NOW()}, "/api/v1/privacy/relationships"),
    (TransparencyLogEntry, lambda: {"action": "prefs_changed", "resource": "privacy_prefs"}, "/api/v1/privacy/log"),
    (DeviceToken, lambda: {"name": "laptop", "token_hash": NOW().isoformat() + str(id(object())), "token_prefix": "pgd_x"},
     "/api/v1/privacy/device-tokens"),
    (PrivacyExport, lambda: {"status": "ready", "archive": b"PK"}, "/api/v1/privacy/exports"),
]

# Covered by tests/isolation/test_privacy.py besides the feeds: the one-per-user preferences and
# the gate counts (read through the health report).
PRIVACY_TABLES = [model for model, _, _ in PRIVACY_FEEDS] + [PrivacyPrefs, GateDrop]

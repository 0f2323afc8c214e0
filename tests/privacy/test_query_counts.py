"""The privacy guardian's SQL statement counts (tests/query_counts.py; recorded in query_counts.json).
The ingest batch's count does not grow with its size: one INSERT per table (the toggle keeps every
event: a batch with drops adds the one statement that counts them)."""

import uuid

from django.utils import timezone

from privacy import services
from privacy.models import AllowedApp, FileEvent, Pattern, PrivacyPrefs, Relationship, SignalToggle, TelemetryEvent
from tests.query_counts import Count, api_crud, contract


def _ready(owner):
    prefs = PrivacyPrefs.objects.get_or_create(user=owner, defaults={"consent_given": True, "monitoring_enabled": True})[0]
    AllowedApp.objects.get_or_create(user=owner, app_id="code")
    SignalToggle.objects.get_or_create(user=owner, signal_key="edit", defaults={"sampling_rate": 1.0})
    return prefs


def _app(owner):
    return AllowedApp.objects.create(user=owner, app_id=f"app-{uuid.uuid4().hex[:8]}")


def _telemetry(owner):
    return TelemetryEvent.objects.create(user=owner, timestamp=timezone.now(), app_id="code", event_type="edit", metadata_redacted_json={"a": 1})


def _file(owner):
    return FileEvent.objects.create(user=owner, timestamp=timezone.now(), file_path="/srv/a.py", event_type="modified", tool="code")


def _pattern(owner):
    return Pattern.objects.create(user=owner, file_extension=uuid.uuid4().hex[:6], count=2, last_used=timezone.now())


def _relationship(owner):
    return Relationship.objects.create(user=owner, source_file=f"/{uuid.uuid4()}", target_file="/b", weight=1, last_seen=timezone.now())


def _logged(owner):
    return services.log(owner, "prefs_changed", "privacy_prefs")


def _batch(size):
    now = timezone.now().isoformat()
    return {"telemetry": [{"id": str(uuid.uuid4()), "timestamp": now, "app_id": "code", "event_type": "edit", "metadata": {"n": i}}
                          for i in range(size)],
            "file_events": [{"id": str(uuid.uuid4()), "timestamp": now, "file_path": f"/srv/{i}.py", "event_type": "modified", "tool": "code"}
                            for i in range(size)]}


COUNTS = [
    # (no create: the contract sends its body more than once, and an app is allowed once)
    *(count for count in api_crud("privacy-apps", _app, "/api/v1/privacy/apps", create={}, update={"enabled": False},
                                  more=lambda obj: _app(obj.user), detail=lambda obj: f"/api/v1/privacy/apps/{obj.pk}")
      if not count.name.endswith("create")),
    Count("api prefs", _ready, "get", lambda obj: "/api/v1/privacy/prefs"),
    Count("api prefs update", _ready, "patch", lambda obj: "/api/v1/privacy/prefs", body={"data_retention_days": 30}),
    Count("api telemetry list", _telemetry, "get", lambda obj: "/api/v1/privacy/telemetry", more=lambda obj: _telemetry(obj.user)),
    Count("api file events list", _file, "get", lambda obj: "/api/v1/privacy/file-events", more=lambda obj: _file(obj.user)),
    Count("api patterns list", _pattern, "get", lambda obj: "/api/v1/privacy/patterns", more=lambda obj: _pattern(obj.user)),
    Count("api relationships list", _relationship, "get", lambda obj: "/api/v1/privacy/relationships",
          more=lambda obj: _relationship(obj.user)),
    Count("api log list", _logged, "get", lambda obj: "/api/v1/privacy/log", more=lambda obj: _logged(obj.user)),
    Count("api log verify", _logged, "get", lambda obj: "/api/v1/privacy/log/verify"),
    Count("api health", _ready, "get", lambda obj: "/api/v1/privacy/health"),
    Count("api ingest 2 events", _ready, "post", lambda obj: "/api/v1/privacy/ingest", body=_batch(1)),
    Count("api ingest 1000 events", _ready, "post", lambda obj: "/api/v1/privacy/ingest", body=_batch(500)),
    Count("page dashboard", _telemetry, "get", lambda obj: "/privacy/", page=True, more=lambda obj: _telemetry(obj.user)),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

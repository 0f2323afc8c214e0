"""Demo data of the privacy guardian (`manage.py load_demo`, `core.demo`): consent given, three apps
(one paused), signal toggles, two weeks of telemetry and file activity sent through the same gates
and database redaction as the agent's batches, patterns built, and the log that records it."""

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from core import demo, rls
from privacy import ingest, patterns, services
from privacy.models import AllowedApp, SignalToggle

APPS = [("vscode", "Visual Studio Code", True), ("terminal", "Terminal", True), ("browser", "Web browser", False)]
SIGNALS = [("edit", True, 1.0), ("focus", True, 0.5), ("keystrokes", False, 1.0)]
FILES = ["/home/demo/shop/app.py", "/home/demo/shop/models.py", "/home/demo/shop/README.md", "/home/demo/shop/tests/test_app.py",
         "/Users/demo/notes/plan.md", "/home/demo/shop/static/app.ts"]
DAYS = 14


def _batch(user, now) -> dict:
    """The same events on every run (ids from the user and a counter): a second run stores nothing new."""
    rng = random.Random(2026)
    telemetry, files = [], []
    for n in range(DAYS * 12):
        at = now - timedelta(hours=n * 2, minutes=rng.randrange(60))
        event_id = str(uuid.uuid5(user.pk, f"privacy-demo-{n}"))
        app, _, _ = rng.choice(APPS)
        event_type = rng.choice(SIGNALS)[0]
        metadata = {"window": "shop — app.py", "file": rng.choice(FILES), "user": "demo@example.com", "session_token": "s3cr3t",
                    "remote": "203.0.113.7"}
        telemetry.append({"id": event_id, "timestamp": at.isoformat(), "app_id": app, "event_type": event_type,
                          "duration_ms": rng.randrange(200, 90_000), "metadata": metadata})
        for k in range(2):
            files.append({"id": str(uuid.uuid5(user.pk, f"privacy-demo-file-{n}-{k}")), "timestamp": (at + timedelta(minutes=k * 3)).isoformat(),
                          "file_path": rng.choice(FILES), "event_type": "modified", "tool": rng.choice(APPS[:2])[0]})
    return {"telemetry": telemetry, "file_events": files}


@demo.provider("privacy guardian")
def load(user, say):
    with rls.end_user(rls.claims_for(user)):  # zero trust: the demo writes as the user, like the agent
        if services.prefs_for(user)._state.adding or not services.prefs_for(user).consent_given:
            services.update_prefs(user, {"consent_given": True, "monitoring_enabled": True, "data_retention_days": 30})
        for app_id, name, enabled in APPS:
            app, created = AllowedApp.objects.get_or_create(user=user, app_id=app_id, defaults={"app_name": name, "enabled": enabled})
            if created:
                services.log_change(user, "app_added", app, None)
        for key, enabled, rate in SIGNALS:
            signal, created = SignalToggle.objects.get_or_create(user=user, signal_key=key, defaults={"enabled": enabled, "sampling_rate": rate})
            if created:
                services.log_change(user, "signal_added", signal, None)
        result = ingest.store(user.pk, ingest.parse(_batch(user, timezone.now())))
        patterns.rebuild(user.pk)
    say(f"Privacy: consent given, {len(APPS)} apps, {len(SIGNALS)} signals; {result['stored']['telemetry']} telemetry and "
        f"{result['stored']['file_events']} file events stored (redacted), {sum(result['dropped'].values())} dropped by the gates.")

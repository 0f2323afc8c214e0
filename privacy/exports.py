""""Export my data": a zip with every privacy row of the user, as JSON (and CSV for the event
tables), built by a job under the user's RLS and handed out once."""

import csv
import io
import json
import zipfile

from django.db import connection
from django.utils import timezone

from privacy import services
from privacy.models import (
    AllowedApp,
    DeviceToken,
    ExportStatus,
    FileEvent,
    Pattern,
    PrivacyExport,
    PrivacyPrefs,
    Relationship,
    SignalToggle,
    TelemetryEvent,
    TransparencyLogEntry,
)

# What the archive holds: file stem -> (model, columns). Device tokens without their hash.
CONTENTS = {
    "privacy_prefs": (PrivacyPrefs, ["consent_given", "monitoring_enabled", "data_retention_days", "mfa_required", "last_reviewed_at", "updated_at"]),
    "app_allowlist": (AllowedApp, ["app_id", "app_name", "enabled", "scope", "created_at"]),
    "signal_toggles": (SignalToggle, ["signal_key", "enabled", "sampling_rate", "created_at"]),
    "device_tokens": (DeviceToken, ["name", "token_prefix", "created_at", "last_used_at", "revoked_at"]),
    "telemetry_events": (TelemetryEvent, ["client_event_id", "timestamp", "app_id", "event_type", "duration_ms", "metadata_redacted_json"]),
    "file_events": (FileEvent, ["client_event_id", "timestamp", "file_path", "event_type", "tool", "metadata"]),
    "patterns": (Pattern, ["file_extension", "count", "last_used", "tools"]),
    "relationships": (Relationship, ["source_file", "target_file", "relation_type", "weight", "last_seen"]),
    "privacy_transparency_log": (TransparencyLogEntry, ["position", "timestamp", "action", "resource", "resource_id", "old_value_hash",
                                                        "new_value_hash", "metadata", "prev_hash", "row_hash"]),
}
CSV = {"telemetry_events", "file_events", "privacy_transparency_log"}


def request(user, *, by_staff=None) -> PrivacyExport:
    from privacy import tasks  # tasks runs build(): imported here, not at the top

    export = PrivacyExport.objects.create(user=user)
    services.log(user, "export_requested", "privacy_exports", export.pk, metadata=services.staff_metadata(by_staff))
    tasks.defer_export(export)
    return export


def build(export: PrivacyExport, user) -> None:
    """Write the archive of `user`'s rows (in the caller's transaction, as the user: auth.users is
    out of reach then, so the user is passed in, loaded before)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for stem, (model, columns) in CONTENTS.items():
            rows = list(model.objects.for_user(user).order_by().values(*columns))
            archive.writestr(f"{stem}.json", json.dumps(rows, default=str, indent=1, ensure_ascii=False))
            if stem in CSV:
                text = io.StringIO()
                writer = csv.DictWriter(text, fieldnames=columns)
                writer.writeheader()
                writer.writerows({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()} for row in rows)
                archive.writestr(f"{stem}.csv", text.getvalue())
        archive.writestr("chain.json", json.dumps(services.verify_chain(user)))
    data = buffer.getvalue()
    PrivacyExport.objects.filter(pk=export.pk).update(status=ExportStatus.READY, archive=data, size_bytes=len(data), ready_at=timezone.now())


# Hands the archive out once: the row that was ready is marked downloaded and loses its archive in
# the same statement, so two concurrent downloads cannot both get it.
TAKE = """
    UPDATE privacy_exports n SET status = 'downloaded', archive = NULL, downloaded_at = statement_timestamp()
    FROM privacy_exports o WHERE n.id = o.id AND n.id = %s AND n.user_id = %s AND o.status = 'ready'
    RETURNING o.archive"""


def take(user, export_id) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute(TAKE, [export_id, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    services.log(user, "export_downloaded", "privacy_exports", export_id)
    return bytes(row[0])

"""What changes a user's privacy data, each change written to the transparency log; and the log's
verification. Everything here runs in the caller's transaction: as the user under RLS for requests,
as the connection role for jobs and staff (which then name the user)."""

import hashlib
import json

from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from core import rls
from privacy.models import FileEvent, PrivacyPrefs, TelemetryEvent, TransparencyLogEntry

PREFS_FIELDS = ("consent_given", "monitoring_enabled", "data_retention_days", "mfa_required")


def value_hash(value) -> str:
    """SHA-256 of a value's canonical JSON ("" for none): the log says that a value changed, and lets
    a user holding the value check it, without keeping the value."""
    if value is None:
        return ""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str, separators=(",", ":")).encode()).hexdigest()


def snapshot(instance, fields=None) -> dict | None:
    if instance is None:
        return None
    return model_to_dict(instance, fields=fields, exclude=["id", "user"])


def log(user, action: str, resource: str, resource_id="", *, old=None, new=None, metadata=None) -> TransparencyLogEntry:
    """Append one row to the user's transparency log (the database chains it)."""
    return TransparencyLogEntry.objects.create(
        user=user, action=action, resource=resource, resource_id=str(resource_id or ""),
        old_value_hash=value_hash(old), new_value_hash=value_hash(new), metadata=metadata or {})


def log_change(user, action: str, instance, old: dict | None, *, by_staff=None) -> None:
    """A create, change or delete of one of the user's rows: which fields changed, hashes of before
    and after. A staff member's change says who."""
    new = None if action.endswith("_removed") else snapshot(instance)
    changed = sorted(name for name in (new or old or {}) if (old or {}).get(name) != (new or {}).get(name))
    log(user, action, instance._meta.db_table, instance.pk, old=old, new=new, metadata={"fields": changed} | staff_metadata(by_staff))


def prefs_for(user) -> PrivacyPrefs:
    """The user's preferences, the defaults (unsaved) when they never set any."""
    return PrivacyPrefs.objects.for_user(user).first() or PrivacyPrefs(user=user)


def update_prefs(user, changes: dict, *, by_staff=None) -> PrivacyPrefs:
    prefs = prefs_for(user)
    old = snapshot(prefs, PREFS_FIELDS) if prefs.pk and not prefs._state.adding else None
    for name, value in changes.items():
        setattr(prefs, name, value)
    if "consent_given" in changes or "monitoring_enabled" in changes or old is None:
        prefs.last_reviewed_at = timezone.now()
    prefs.save()
    log_change(user, "prefs_changed", prefs, old, by_staff=by_staff)
    return prefs


# The first row where the user's chain breaks: its own hash no longer matches its columns (edited),
# or it does not follow the row before it (a row before it deleted or edited).
VERIFY_SQL = """
    WITH chain AS (
      SELECT l."position", l.prev_hash, l.row_hash,
             lag(l.row_hash) OVER w AS before_hash, lag(l."position") OVER w AS before_position,
             public.privacy_log_row_hash(l.prev_hash, l.user_id, l."position", l.action, l.resource, l.resource_id,
                                         l.old_value_hash, l.new_value_hash, l.metadata, l."timestamp") AS recomputed
      FROM privacy_transparency_log l WHERE l.user_id = %s
      WINDOW w AS (ORDER BY l."position")
    )
    SELECT (SELECT count(*) FROM chain),
           b."position", b.recomputed <> b.row_hash
    FROM (SELECT 1) one LEFT JOIN LATERAL (
      SELECT * FROM chain c
      WHERE c.recomputed <> c.row_hash OR c.prev_hash <> coalesce(c.before_hash, '')
         OR c."position" <> coalesce(c.before_position, 0) + 1
      ORDER BY c."position" LIMIT 1) b ON true"""


def verify_chain(user) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(VERIFY_SQL, [user.pk])
        entries, position, edited = cursor.fetchone()
    if position is None:
        return {"valid": True, "entries": entries, "broken_at": None, "reason": ""}
    reason = ("This entry was changed after it was written." if edited
              else "The entry before this one was deleted or changed.")
    return {"valid": False, "entries": entries, "broken_at": position, "reason": reason}


def delete_telemetry(user, *, by_staff=None) -> dict:
    """"Delete my telemetry": every telemetry and file event of the user, now; logged (naming the
    staff member who did it for the user, if one did)."""
    telemetry, _ = TelemetryEvent.objects.for_user(user).delete()
    files, _ = FileEvent.objects.for_user(user).delete()
    counts = {"telemetry_events": telemetry, "file_events": files}
    log(user, "telemetry_deleted", "telemetry", metadata=counts | staff_metadata(by_staff))
    return counts


def staff_metadata(by_staff) -> dict:
    """What a log row says of the staff member who acted for the user ({} when the user acted)."""
    return {} if by_staff is None else {"staff": by_staff}


def health() -> dict:
    """privacy_guardian_health_check(): the caller's own drops under RLS, everyone's as staff."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.privacy_guardian_health_check()")
        value = cursor.fetchone()[0]
    return json.loads(value) if isinstance(value, str) else value


def record_rls_violation(claims: dict, table: str, attempted_user_id, operation: str) -> None:
    """audit_rls_violation(), run as the caller (`claims`), in the transaction that follows the
    refused one: the audit trail names who tried."""
    rls.act_as(claims)
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.audit_rls_violation(%s, %s, %s)", [table, attempted_user_id, operation])

"""The desktop agent's batches: telemetry and file events, validated all or nothing with compiled
JSON Schemas, passed through the user's gates (consent and monitoring, allowlist, signal toggles,
sampling), then stored with one INSERT per table under the user's row-level security, where the
database redacts them (`auto_redact_telemetry`, `privacy_mask_file_path`)."""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import fastjsonschema
from django.db import connection
from django.utils import timezone

from privacy import tasks
from privacy.models import AppScope, Gate

MAX_EVENTS = 1000
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_FUTURE = timedelta(days=1)  # an agent's clock may run ahead a little; retention goes by this time
FILE_SIGNAL = "file_activity"  # the signal toggle that governs file events
UUID_PATTERN = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"

_ID = {"type": "string", "pattern": UUID_PATTERN, "description": "The agent's own event id: a repeat is stored once; sampling keeps or drops the same id every time."}
_TIMESTAMP = {"type": "string", "format": "date-time", "description": "When it happened (RFC 3339), at most a day ahead."}
TELEMETRY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": _ID,
        "timestamp": _TIMESTAMP,
        "app_id": {"type": "string", "minLength": 1, "maxLength": 255},
        "event_type": {"type": "string", "minLength": 1, "maxLength": 100},
        "duration_ms": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**53},
        "metadata": {"type": "object", "description": "Any JSON object; redacted by the database before it is stored."},
    },
    "required": ["id", "timestamp", "app_id", "event_type"],
    "additionalProperties": False,
}
FILE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": _ID,
        "timestamp": _TIMESTAMP,
        "file_path": {"type": "string", "minLength": 1, "maxLength": 4096},
        "event_type": {"type": "string", "minLength": 1, "maxLength": 50},
        "tool": {"type": "string", "minLength": 1, "maxLength": 255, "description": "The app that touched the file (its allowlist app_id)."},
        "metadata": {"type": "object"},
    },
    "required": ["id", "timestamp", "file_path", "event_type", "tool"],
    "additionalProperties": False,
}
KINDS = {"telemetry": TELEMETRY_SCHEMA, "file_events": FILE_EVENT_SCHEMA}
BATCH_SCHEMA = {
    "type": "object",
    "properties": {kind: {"type": "array", "items": schema, "maxItems": MAX_EVENTS} for kind, schema in KINDS.items()},
    "minProperties": 1,
    "additionalProperties": False,
    "description": f"Up to {MAX_EVENTS} events in all.",
}
_VALIDATORS = {kind: fastjsonschema.compile(schema) for kind, schema in KINDS.items()}
# A whole list in one call: a valid batch (the usual one) skips a call per event; an invalid one is
# checked again event by event for the per-index errors.
_LIST_VALIDATORS = {kind: fastjsonschema.compile({"type": "array", "items": schema}) for kind, schema in KINDS.items()}


class BatchInvalid(Exception):
    def __init__(self, message: str, fields: dict):
        super().__init__(message)
        self.message, self.fields = message, fields


class Refused(Exception):
    """The user's consent or monitoring switch refuses the whole batch."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _field_errors(event, schema: dict, exc: fastjsonschema.JsonSchemaValueException) -> dict:
    if not isinstance(event, dict):
        return {"non_field_errors": ["An event must be a JSON object."]}
    if exc.rule == "required":
        return {name: ["This field is required."] for name in schema["required"] if name not in event}
    if exc.rule == "additionalProperties":
        known = ", ".join(schema["properties"])
        return {name: [f"Unknown field: events hold {known}."] for name in sorted(set(event) - set(schema["properties"]))}
    name = exc.name.split(".")[1] if "." in exc.name else "non_field_errors"
    if name == "id":
        return {"id": ["Must be a UUID."]}
    return {name: [exc.message.replace(exc.name, name, 1)]}


def _timestamp_error(value: str, now: datetime) -> str | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return "Not a valid date and time."
    if moment.tzinfo is None:
        return "Must carry a time zone (Z or ±hh:mm)."
    if moment > now + MAX_FUTURE:
        return "More than a day in the future."
    return None


def _valid_list(kind: str, events: list) -> bool:
    try:
        _LIST_VALIDATORS[kind](events)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def parse(body) -> dict[str, list[dict]]:
    """The batch's events by kind; raises BatchInvalid naming every invalid event by kind and index."""
    if not isinstance(body, dict) or not body or not set(body) <= set(KINDS):
        raise BatchInvalid("A batch is an object with `telemetry` and/or `file_events` lists.",
                           {"non_field_errors": ["Expected {\"telemetry\": [...], \"file_events\": [...]}."]})
    errors, total, now = {}, 0, timezone.now()
    for kind, events in body.items():
        if not isinstance(events, list):
            errors[kind] = ["Expected a list of events."]
            continue
        total += len(events)
        valid = _valid_list(kind, events)
        for index, event in enumerate(events):
            if not valid:
                try:
                    _VALIDATORS[kind](event)
                except fastjsonschema.JsonSchemaValueException as exc:
                    errors.setdefault(kind, {})[str(index)] = _field_errors(event, KINDS[kind], exc)
                    continue
            problem = _timestamp_error(event["timestamp"], now)
            if problem:
                errors.setdefault(kind, {})[str(index)] = {"timestamp": [problem]}
    if total > MAX_EVENTS:
        raise BatchInvalid(f"A batch holds at most {MAX_EVENTS} events.", {"non_field_errors": [f"{total} events; at most {MAX_EVENTS}."]})
    if errors:
        count = sum(len(value) if isinstance(value, dict) else 1 for value in errors.values())
        raise BatchInvalid(f"{count} of {total} events are invalid; nothing was stored.", errors)
    if total == 0:
        raise BatchInvalid("The batch holds no events.", {"non_field_errors": ["Send at least one event."]})
    return {kind: body.get(kind, []) for kind in KINDS}


# The caller's switches, allowlist and toggles in one round trip, under RLS (their own rows only).
SETTINGS_SQL = """
    SELECT (SELECT json_build_object('consent_given', p.consent_given, 'monitoring_enabled', p.monitoring_enabled)
              FROM privacy_prefs p WHERE p.user_id = %(user)s),
           (SELECT coalesce(json_object_agg(a.app_id, a.scope), '{}') FROM app_allowlist a
             WHERE a.user_id = %(user)s AND a.enabled),
           (SELECT coalesce(json_object_agg(s.signal_key, CASE WHEN s.enabled THEN s.sampling_rate ELSE 0 END), '{}')
              FROM signal_toggles s WHERE s.user_id = %(user)s)"""


@dataclass
class Settings:
    apps: dict[str, str]  # app_id -> scope, enabled apps only
    rates: dict[str, float]  # signal_key -> share kept (0 when switched off); absent: all kept


def load_settings(user_id) -> Settings:
    with connection.cursor() as cursor:
        cursor.execute(SETTINGS_SQL, {"user": user_id})
        prefs, apps, rates = (json.loads(value) if isinstance(value, str) else value for value in cursor.fetchone())
    if not prefs or not prefs["consent_given"]:
        raise Refused("consent_required", "You have not given consent to monitoring: nothing was stored.")
    if not prefs["monitoring_enabled"]:
        raise Refused("monitoring_disabled", "Monitoring is switched off: nothing was stored.")
    return Settings(apps=apps, rates=rates)


def sample_point(event_id: uuid.UUID) -> float:
    """Where an event id falls in [0, 1): the same id always at the same point, so a sampling rate
    keeps or drops it the same way on every retry."""
    return int.from_bytes(hashlib.blake2b(event_id.bytes, digest_size=8).digest(), "big") / 2**64


@dataclass
class Gated:
    kept: dict[str, list[dict]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Gate.values, 0))


EXCLUDED_SCOPE = {"telemetry": AppScope.FILES, "file_events": AppScope.USAGE}


def gate(events: dict[str, list[dict]], settings: Settings) -> Gated:
    """Each event kept or dropped by the first gate that refuses it: allowlist (the app, enabled,
    and its scope), then signal toggle, then sampling."""
    result = Gated()
    for kind, batch in events.items():
        kept = result.kept[kind] = []
        for event in batch:
            app = event["app_id"] if kind == "telemetry" else event["tool"]
            scope = settings.apps.get(app)
            if scope is None or scope == EXCLUDED_SCOPE[kind]:
                result.dropped[Gate.ALLOWLIST] += 1
                continue
            rate = settings.rates.get(event["event_type"] if kind == "telemetry" else FILE_SIGNAL, 1.0)
            if rate <= 0:
                result.dropped[Gate.SIGNAL] += 1
                continue
            if rate < 1 and sample_point(uuid.UUID(event["id"])) >= rate:
                result.dropped[Gate.SAMPLING] += 1
                continue
            kept.append(canonical_id(event))
    return result


def canonical_id(event: dict) -> dict:
    """The event with its id in the one spelling the database returns (lower case, dashed), so a
    repeat spelled otherwise is still a repeat. Most agents send that spelling: kept as it is."""
    value = event["id"]
    if len(value) == 36 and value.islower():  # the schema's pattern allows only hex digits and dashes
        return event
    return {**event, "id": str(uuid.UUID(value))}


INSERT_TELEMETRY = """
    INSERT INTO telemetry_events (user_id, client_event_id, "timestamp", app_id, event_type, duration_ms, metadata_redacted_json)
    SELECT %(user)s, e.id, e."timestamp", e.app_id, e.event_type, e.duration_ms, coalesce(e.metadata, '{}')
    FROM jsonb_to_recordset(%(events)s::jsonb)
         AS e(id uuid, "timestamp" timestamptz, app_id text, event_type text, duration_ms bigint, metadata jsonb)
    ON CONFLICT (user_id, client_event_id) DO NOTHING
    RETURNING client_event_id::text"""
INSERT_FILE_EVENTS = """
    INSERT INTO file_events (user_id, client_event_id, "timestamp", file_path, event_type, tool, metadata)
    SELECT %(user)s, e.id, e."timestamp", e.file_path, e.event_type, e.tool, coalesce(e.metadata, '{}')
    FROM jsonb_to_recordset(%(events)s::jsonb)
         AS e(id uuid, "timestamp" timestamptz, file_path text, event_type text, tool text, metadata jsonb)
    ON CONFLICT (user_id, client_event_id) DO NOTHING
    RETURNING client_event_id::text"""
INSERTS = {"telemetry": INSERT_TELEMETRY, "file_events": INSERT_FILE_EVENTS}
COUNT_DROPS = """
    INSERT INTO privacy_gate_drops (user_id, hour, gate, dropped)
    SELECT %(user)s, date_trunc('hour', statement_timestamp()), d.key, d.value::bigint
    FROM jsonb_each_text(%(drops)s::jsonb) AS d
    WHERE d.value::bigint > 0
    ON CONFLICT (user_id, hour, gate) DO UPDATE SET dropped = privacy_gate_drops.dropped + excluded.dropped"""


def store(user_id, events: dict[str, list[dict]]) -> dict:
    """Gate the batch and store what passes, in the current transaction (run as the user under RLS).
    Raises Refused, before anything is written, when the user's switches refuse it."""
    gated = gate(events, load_settings(user_id))
    stored, duplicates = {}, []
    with connection.cursor() as cursor:
        for kind, kept in gated.kept.items():
            unique = {event["id"]: event for event in kept}  # a repeat within the batch: stored once
            if not unique:
                stored[kind] = 0
                continue
            cursor.execute(INSERTS[kind], {"user": user_id, "events": json.dumps(list(unique.values()))})
            written = {row[0] for row in cursor.fetchall()}  # a repeat of a stored id: skipped
            stored[kind] = len(written)
            for event in kept:
                if event["id"] in written:
                    written.discard(event["id"])  # its first copy
                else:
                    duplicates.append(event["id"])
        if stored.get("file_events"):
            tasks.defer_rebuild(user_id)  # patterns and relationships, on the workers
        if any(gated.dropped.values()):
            cursor.execute(COUNT_DROPS, {"user": user_id, "drops": json.dumps(gated.dropped)})
    received = sum(len(batch) for batch in events.values())
    return {"received": received, "stored": stored, "dropped": gated.dropped, "duplicates": duplicates}

"""Batch ingestion: validate the whole batch in one pass with a compiled JSON Schema, then store it
with one set-based INSERT (idempotent on the client's event id), or store nothing."""

import json
import re
import uuid
from collections import Counter

import fastjsonschema
from django.db import connection

MAX_EVENTS = 1000
MAX_BODY_BYTES = 5 * 1024 * 1024
UUID_PATTERN = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
NO_NUL = "^[^\\x00]*$"  # text columns cannot hold NUL

# The one definition of an event: compiled for validation here, published as the OpenAPI request body
# (partners.api.views.IngestView).
EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": UUID_PATTERN, "description": "Your own event id: a repeat is stored once."},
        "event_type": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": NO_NUL},
        "data": {"type": "object", "description": "Any JSON object. U+0000 (which PostgreSQL's jsonb cannot hold) is stored as U+FFFD."},
        "source": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NO_NUL},
        "version": {"type": "string", "minLength": 1, "maxLength": 50, "pattern": NO_NUL},
        "metadata": {"type": "object", "nullable": True, "description": "Any JSON object, or null."},
    },
    "required": ["event_type", "data", "source", "version"],
    "additionalProperties": False,
}
BATCH_SCHEMA = {
    "type": "object",
    "properties": {"batch": {"type": "array", "items": EVENT_SCHEMA, "minItems": 1, "maxItems": MAX_EVENTS}},
    "required": ["batch"],
    "additionalProperties": False,
}
# JSON Schema proper says "null" in `type`; OpenAPI 3.0 says `nullable` (which fastjsonschema ignores).
# `\u0000` in JSON text, but not `\\u0000` (an escaped backslash followed by "u0000").
ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
_validate_event = fastjsonschema.compile(
    {**EVENT_SCHEMA, "properties": {**EVENT_SCHEMA["properties"], "metadata": {"type": ["object", "null"]}}}
)


class BatchInvalid(Exception):
    def __init__(self, message: str, fields: dict):
        super().__init__(message)
        self.message, self.fields = message, fields


def _errors(event, exc: fastjsonschema.JsonSchemaValueException) -> dict:
    """The first schema violation of an event, as DRF-style field errors."""
    if not isinstance(event, dict):
        return {"non_field_errors": ["An event must be a JSON object."]}
    if exc.rule == "required":
        return {name: ["This field is required."] for name in EVENT_SCHEMA["required"] if name not in event}
    if exc.rule == "additionalProperties":
        unknown = sorted(set(event) - set(EVENT_SCHEMA["properties"]))
        return {name: ["Unknown field: events hold id, event_type, data, source, version, metadata."] for name in unknown}
    field = exc.name.split(".")[1] if "." in exc.name else "non_field_errors"
    if field == "id":
        return {"id": ["Must be a UUID."]}
    if exc.rule == "pattern":
        return {field: ["May not contain NUL characters."]}
    return {field: [exc.message.replace(exc.name, field, 1)]}


def parse(body: object) -> list[dict]:
    """The events of a request body (one event, or {"batch": [...]}); raises BatchInvalid listing
    every invalid event by index."""
    if isinstance(body, dict) and "batch" in body:
        events = body["batch"]
        if not isinstance(events, list) or not events:
            raise BatchInvalid("`batch` must be a non-empty list of events.", {"batch": ["Expected a non-empty list."]})
        if len(events) > MAX_EVENTS:
            raise BatchInvalid(f"A batch holds at most {MAX_EVENTS} events.", {"batch": [f"{len(events)} events; at most {MAX_EVENTS}."]})
        if set(body) != {"batch"}:
            raise BatchInvalid("A batch body holds only `batch`.", {"non_field_errors": ["Unknown top-level field(s)."]})
        batched = True
    else:
        events, batched = [body], False
    errors = {}
    for index, event in enumerate(events):
        try:
            _validate_event(event)
        except fastjsonschema.JsonSchemaValueException as exc:
            errors[str(index)] = _errors(event, exc)
    if errors:
        count = len(errors)
        message = f"{count} of {len(events)} events are invalid; nothing was stored." if batched else "The event is invalid; nothing was stored."
        raise BatchInvalid(message, {"batch": errors} if batched else errors["0"])
    return events


def store(partner_id, events: list[dict]) -> dict:
    """One INSERT for the whole batch, the batch passed as a single jsonb parameter (cheap to bind
    and to parse, whatever its size). A client id already stored for this partner, or repeated in
    the batch, is stored once and reported back."""
    payload = ESCAPED_NUL.sub(r"\1\\ufffd", json.dumps(events))  # jsonb cannot hold U+0000
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ingestion_events (partner_id, event_type, data, source, version, metadata, client_event_id)
            SELECT %s, e.event_type, e.data, e.source, e.version, e.metadata, e.id
            FROM jsonb_to_recordset(%s::jsonb)
                 AS e(id uuid, event_type text, data jsonb, source text, version text, metadata jsonb)
            ON CONFLICT (partner_id, client_event_id) DO NOTHING
            RETURNING client_event_id
            """,
            [partner_id, payload],
        )
        returned = [row[0] for row in cursor.fetchall()]
    sent = Counter(uuid.UUID(event["id"]) for event in events if event.get("id"))
    stored_ids = set(returned)
    duplicates = [str(cid) for cid, count in sent.items() for _ in range(count - (cid in stored_ids))]
    return {"received": len(events), "stored": len(returned), "duplicates": duplicates}

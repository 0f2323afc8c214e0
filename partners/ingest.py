"""Batch ingestion: validate the whole batch in one pass with a compiled JSON Schema, then store it
with one COPY (idempotent on the client's event id), or store nothing."""

import functools
import json
import os
import re
import time
from datetime import datetime

import fastjsonschema
from django.db import IntegrityError, ProgrammingError, connection, transaction

from core import statements

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
        "data": {"type": "object", "description": "Any JSON object (no U+0000: PostgreSQL's jsonb cannot hold it)."},
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


class NotStorable(ValueError):
    """A valid event holds a value that jsonb cannot: a float beyond a double's range."""


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
        if _plainly_valid(event):
            continue
        try:
            _validate_event(event)
        except fastjsonschema.JsonSchemaValueException as exc:
            errors[str(index)] = _errors(event, exc)
    if errors:
        count = len(errors)
        message = f"{count} of {len(events)} events are invalid; nothing was stored." if batched else "The event is invalid; nothing was stored."
        raise BatchInvalid(message, {"batch": errors} if batched else errors["0"])
    return events


_REQUIRED = frozenset(EVENT_SCHEMA["required"])
_ALLOWED = frozenset(EVENT_SCHEMA["properties"])
_TEXT_LIMITS = tuple((name, EVENT_SCHEMA["properties"][name]["maxLength"]) for name in ("event_type", "source", "version"))
_UUID = re.compile(UUID_PATTERN.removesuffix("$") + r"\Z")  # `$` would also match before a final newline


def _plainly_valid(event) -> bool:
    """True for an event that EVENT_SCHEMA accepts, checked by hand (a fifth of the compiled
    validator's cost); False may still be valid: the compiled schema decides, and names the error."""
    if type(event) is not dict or not _REQUIRED <= event.keys() <= _ALLOWED:
        return False
    for name, limit in _TEXT_LIMITS:
        value = event[name]
        if type(value) is not str or not 0 < len(value) <= limit or "\x00" in value:
            return False
    if type(event["data"]) is not dict:
        return False
    metadata = event.get("metadata")
    if metadata is not None and type(metadata) is not dict:
        return False
    client_id = event.get("id")
    return client_id is None and "id" not in event or type(client_id) is str and _UUID.match(client_id) is not None


COLUMNS = "partner_id, event_type, data, source, version, metadata, client_event_id"
COPY = f"COPY ingestion_events (id, {COLUMNS}) FROM STDIN"
COPY_RECEIVED_AT = f"COPY ingestion_events (id, {COLUMNS}, created_at) FROM STDIN"  # store(received_at=...)
# The role in force and whether it sees the partner (RLS on `partners`: its owner only).
OWN_PARTNER = "SELECT current_setting('role'), EXISTS (SELECT 1 FROM partners WHERE id = %s)"
SET_ROLE = "SELECT set_config('role', %s, true)"
# The same rows by INSERT, a client id already stored skipped: when COPY met one.
INSERT_NEW = f"""
    INSERT INTO ingestion_events ({COLUMNS}, created_at)
    SELECT %s, e.event_type, e.data, e.source, e.version, e.metadata, e.id, COALESCE(%s, statement_timestamp())
    FROM jsonb_to_recordset(%s::jsonb)
         AS e(id uuid, event_type text, data jsonb, source text, version text, metadata jsonb)
    ON CONFLICT (partner_id, client_event_id) DO NOTHING
    RETURNING client_event_id"""


def store(partner_id, events: list[dict], *, received_at: datetime | None = None) -> dict:
    """Store a valid batch in the current transaction, all of it or nothing (an error propagates).
    A client id repeated in the batch is stored once; one this partner stored before is skipped;
    both are reported back in `duplicates`, once per extra copy. The rows' `created_at` is the
    statement's time, or `received_at` for a backfill of past batches (the demo's history): never
    taken from a request.

    The rows go by one `COPY ... FROM STDIN`: half the database's work of an INSERT reading the batch
    from a jsonb parameter, and the statement-level triggers (the daily rollup) fire as for an INSERT.
    COPY cannot skip a conflicting row, so when the batch carries client ids it runs in a savepoint;
    a unique violation (a retried batch, or the same ids sent concurrently) rolls it back and the
    rows go again by INSERT ... ON CONFLICT DO NOTHING, which reports the ones it skipped."""
    rows, copies = [], {}  # copies: client id (32 lowercase hex digits) -> how often the batch holds it
    for event in events:
        client_id = event.get("id")
        if client_id is not None:
            client_id = client_id.replace("-", "").lower()
            if client_id in copies:
                copies[client_id] += 1
                continue
            copies[client_id] = 1
        rows.append((event, client_id))
    values = _copy_rows(partner_id, rows, received_at)  # before any statement: what jsonb cannot hold stops nothing half-way
    statement = COPY if received_at is None else COPY_RECEIVED_AT
    if not copies:  # nothing can conflict
        _copy(partner_id, values, statement)
        stored, stored_ids = len(rows), ()
    else:
        try:
            with transaction.atomic():
                _copy(partner_id, values, statement)
            stored, stored_ids = len(rows), copies
        except IntegrityError:
            returned = _insert_new(partner_id, [event for event, _ in rows], received_at)
            stored, stored_ids = len(returned), {client_id.hex for client_id in returned if client_id is not None}
    duplicates = [_dashed(client_id) for client_id, count in copies.items() for _ in range(count - (client_id in stored_ids))]
    return {"received": len(events), "stored": stored, "duplicates": duplicates}


def _copy_rows(partner_id, rows: list[tuple[dict, str | None]], received_at: datetime | None = None) -> list[tuple]:
    """The COPY rows of (event, client id) pairs: a new row id, `data` and `metadata` as JSON text
    (and `received_at`, when given, as the last column: COPY_RECEIVED_AT)."""
    partner = str(partner_id)
    extra = () if received_at is None else (received_at,)
    try:
        return [(row_id, partner, event["event_type"], _json(event["data"]), event["source"], event["version"],
                 None if event.get("metadata") is None else _json(event["metadata"]), client_id, *extra)
                for row_id, (event, client_id) in zip(_new_ids(len(rows)), rows)]
    except ValueError as exc:  # the encoder's "Out of range float values are not JSON compliant"
        raise NotStorable("A number in the events is beyond the range of a double (±1.8e308): jsonb cannot hold it.") from exc


def _copy(partner_id, values: list[tuple], statement: str = COPY) -> None:
    """COPY the rows (`statement`: COPY, or COPY_RECEIVED_AT for rows that carry their time).
    PostgreSQL refuses COPY FROM into a table under row-level security ("COPY FROM not supported
    with row-level security"), so the request's role (`authenticated`) gives way to
    the connection role, which owns the table, for this one statement. What the insert policy
    (`partner_id IN (SELECT id FROM partners WHERE user_id = auth.uid())`) would check of every row,
    all of which carry `partner_id`, is checked first under RLS: the partner must be visible, that
    is the current user's. The role is restored after the COPY; after an error the savepoint or
    the transaction rolls back, and the role change with it."""
    with statements.cursor() as cursor:
        role, visible = cursor.execute(OWN_PARTNER, (str(partner_id),)).fetchone()
        if not visible:
            raise ProgrammingError('new row violates row-level security policy for table "ingestion_events"')
        # The role Django's connections work as: the one set at connect (OPTIONS["assume_role"]),
        # or the login role (`SET ROLE NONE`).
        own = connection.settings_dict["OPTIONS"].get("assume_role") or "none"
        if role != own:
            cursor.execute(SET_ROLE, (own,))
        started = time.perf_counter()
        try:
            with cursor.copy(statement) as copy:
                write = copy.write_row
                for row in values:
                    write(row)
        finally:
            statements.record(statement, started)  # a failed statement too, as Django does
        if role != own:
            cursor.execute(SET_ROLE, (role,))


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _new_ids(count: int) -> list[str]:
    """`count` random UUIDs of version 4 (what uuid.uuid4() and the column's gen_random_uuid() make),
    as 32 hex digits, from one read of os.urandom: ≈ 1 µs each here against ≈ 1.7 µs of the
    database's CPU for gen_random_uuid(), and the app's CPU is the one that scales out."""
    digits = os.urandom(16 * count).hex()
    return [f"{digits[i:i + 12]}4{digits[i + 13:i + 16]}{_VARIANT[digits[i + 16]]}{digits[i + 17:i + 32]}"
            for i in range(0, 32 * count, 32)]


def _insert_new(partner_id, events: list[dict], received_at: datetime | None = None) -> list:
    """INSERT_NEW for `events`, the batch passed as a single jsonb parameter. Returns the client ids
    of the rows stored (None for rows without one)."""
    with connection.cursor() as cursor:
        cursor.execute(INSERT_NEW, [partner_id, received_at, _json(events)])
        return [row[0] for row in cursor.fetchall()]


def _json_encoder():
    """`json.dumps(value, separators=(",", ":"), allow_nan=False)` for many small values: json's C
    encoder, made once. json.dumps makes a new one on every call, three quarters of its cost for a
    small object (2000 calls per 1000-event batch: 9 ms against 2.4). Without the check for circular
    references, which values made by json.loads cannot have; compact, as jsonb keeps no whitespace
    anyway; ValueError for NaN and ±Infinity, which jsonb cannot hold."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without json's C accelerator
        return functools.partial(json.dumps, separators=(",", ":"), allow_nan=False)
    encode = make(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False)
    return lambda value: "".join(encode(value, 0))


_dumps = _json_encoder()


def _json(value) -> str:
    """JSON text for a jsonb column. U+0000 (which jsonb cannot hold) never comes from the API (its
    parser refuses it); from Python callers it is written as U+FFFD rather than failing the batch."""
    text = _dumps(value)
    return ESCAPED_NUL.sub(r"\1\\ufffd", text) if "\\u0000" in text else text


def _dashed(hex_id: str) -> str:
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"

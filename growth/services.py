"""Writing analytics events and spend, and keeping the rollups (docs/growth.md).

Every write goes through seed 002's SQL functions, `upsert_events` and `upsert_spend`: one
`INSERT ... ON CONFLICT` per batch. Python first checks the batch in one pass with compiled JSON
Schemas (fastjsonschema), so a bad batch is refused with every bad row named by its index before
any statement runs; the functions check again for callers that reach them directly (Supabase RPC).

Callers:
- the API (an end user's own events, under their row-level security): `upsert_events(rows)`;
- server-side code, for any user (as the connection role): `record_events(user_id, rows)`;
- staff (the Growth page's CSV import, the admin): `upsert_spend(rows)`.
"""

import json
from datetime import UTC, date, datetime, timedelta

import fastjsonschema
from django.db import DataError, connection, transaction

MAX_ROWS = 1000
MAX_RANGE_DAYS = 366
UUID_PATTERN = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
WHOLE = {"type": "integer", "minimum": 0, "maximum": 2**53}

# The one definition of a row: compiled here, published as the API's request body.
EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event_id": {"type": "string", "pattern": UUID_PATTERN, "description": "Your own id of the event: sending it again updates the stored event."},
        "occurred_at": {"type": "string", "format": "date-time", "description": "RFC 3339 date and time, with its offset: 2026-03-01T12:00:00Z."},
        "event_name": {"type": "string", "minLength": 1, "maxLength": 100,
                       "description": "session_start, page_view, add_to_cart, order_completed, refund, or your own."},
        "props": {"type": "object", "description": "Any JSON object (utm_source…, revenue_cents, cost_cents, amount_cents)."},
    },
    "required": ["event_id", "occurred_at", "event_name"],
    "additionalProperties": False,
}
SERVER_EVENT_SCHEMA = {**EVENT_SCHEMA, "properties": {**EVENT_SCHEMA["properties"], "user_id": {"type": "string", "pattern": UUID_PATTERN}}}
SPEND_SCHEMA = {
    "type": "object",
    "properties": {
        "platform": {"type": "string", "minLength": 1, "maxLength": 50},
        "campaign_id": {"type": "string", "minLength": 1, "maxLength": 255},
        "adset_id": {"type": "string", "maxLength": 255},
        "date": {"type": "string", "pattern": DATE_PATTERN},
        "spend_cents": WHOLE, "clicks": WHOLE, "impressions": WHOLE, "conv": WHOLE,
    },
    "required": ["platform", "campaign_id", "date", "spend_cents"],
    "additionalProperties": False,
}
_validators = {id(schema): fastjsonschema.compile(schema) for schema in (EVENT_SCHEMA, SERVER_EVENT_SCHEMA, SPEND_SCHEMA)}


class BatchInvalid(Exception):
    """A batch refused as a whole; `fields` names each bad row by its index."""

    def __init__(self, message: str, fields: dict):
        super().__init__(message)
        self.message, self.fields = message, fields


def _row_errors(row, schema, exc: fastjsonschema.JsonSchemaValueException) -> dict:
    if not isinstance(row, dict):
        return {"non_field_errors": ["Must be a JSON object."]}
    if exc.rule == "required":
        return {name: ["This field is required."] for name in schema["required"] if name not in row}
    if exc.rule == "additionalProperties":
        return {name: [f"Unknown field: rows hold {', '.join(schema['properties'])}."] for name in sorted(set(row) - set(schema["properties"]))}
    field = exc.name.split(".")[1] if "." in exc.name else "non_field_errors"
    return {field: [_MESSAGES.get((field, exc.rule)) or exc.message.replace(exc.name, field, 1)]}


_MESSAGES = {
    ("event_id", "pattern"): "Must be a UUID.", ("user_id", "pattern"): "Must be a UUID.",
    ("occurred_at", "format"): "Must be an RFC 3339 date and time with an offset (2026-03-01T12:00:00Z).",
    ("date", "pattern"): "Must be a date (YYYY-MM-DD).",
}


def _check_values(row: dict, key_fields) -> dict:
    """What a pattern cannot see: a date or time that does not exist (2026-02-30)."""
    try:
        if "occurred_at" in row:
            datetime.fromisoformat(row["occurred_at"].replace("z", "Z")).astimezone(UTC)  # _in_utc's
        if "date" in row:
            date.fromisoformat(row["date"])
    except (ValueError, OverflowError):  # no such day; an instant outside years 1-9999 in UTC
        field = "occurred_at" if "occurred_at" in row else "date"
        return {field: ["Not a real date or time."]}
    return {}


def validate(rows, schema, key, *, exact_repeats=False) -> list[dict]:
    """The rows of a batch to write, or BatchInvalid naming every bad one by its index ({"rows":
    {"3": ...}}). `key(row)` is a row's identity: a second row with the same one is an error too —
    unless `exact_repeats` and it is the same row again (a resent event: written once)."""
    if not isinstance(rows, list) or not rows:
        raise BatchInvalid("`rows` must be a non-empty list.", {"rows": ["Expected a non-empty list."]})
    if len(rows) > MAX_ROWS:
        raise BatchInvalid(f"A batch holds at most {MAX_ROWS} rows.", {"rows": [f"{len(rows)} rows; at most {MAX_ROWS}."]})
    validator, errors, seen, repeats = _validators[id(schema)], {}, {}, set()
    for index, row in enumerate(rows):
        try:
            validator(row)
        except fastjsonschema.JsonSchemaValueException as exc:
            errors[str(index)] = _row_errors(row, schema, exc)
            continue
        problems = _check_values(row, key)
        identity = key(row)
        if identity in seen and exact_repeats and row == rows[seen[identity]]:
            repeats.add(index)
        elif identity in seen:
            problems.setdefault(schema["required"][0], []).append(f"Repeats row {seen[identity]}: each row must be unique in a batch.")
        else:
            seen[identity] = index
        if problems:
            errors[str(index)] = problems
    if errors:
        raise BatchInvalid(f"{len(errors)} of {len(rows)} rows are invalid; nothing was written.", {"rows": errors})
    return [row for index, row in enumerate(rows) if index not in repeats] if repeats else rows


def _uuid_key(value: str) -> str:
    return value.replace("-", "").lower()


def event_key(row: dict):
    return (_uuid_key(row.get("user_id", "")), _uuid_key(row["event_id"]))


def spend_key(row: dict):
    return (row["platform"], row["campaign_id"], row.get("adset_id", ""), row["date"])


def _call(function: str, rows: list[dict], received: int | None = None) -> dict:
    """`SELECT * FROM <function>(rows)`: counts of rows inserted, updated and left as they were
    (of `received`, when rows repeated in the batch were written once)."""
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute(f"SELECT * FROM public.{function}(%s::jsonb)", [json.dumps(rows, allow_nan=False)])
                inserted, updated = cursor.fetchone()
        except DataError as exc:  # the function's own check, or a value PostgreSQL cannot take
            diag = getattr(exc.__cause__, "diag", None)
            detail = json.loads(diag.message_detail) if diag and diag.message_detail and diag.message_detail.startswith("{") else None
            raise BatchInvalid(diag.message_primary if diag else str(exc), {"rows": detail} if detail else {}) from exc
    received = len(rows) if received is None else received
    return {"received": received, "inserted": inserted, "updated": updated, "unchanged": received - inserted - updated}


def _in_utc(row: dict, **extra) -> dict:
    """The row with `occurred_at` in UTC: RFC 3339 allows offsets up to ±23:59, PostgreSQL up to ±15:59."""
    moment = datetime.fromisoformat(row["occurred_at"].replace("z", "Z")).astimezone(UTC)
    return {**row, "occurred_at": moment.isoformat(), **extra}


def upsert_events(rows) -> dict:
    """The current end user's events (the API; under their row-level security): `upsert_events`."""
    unique = validate(rows, EVENT_SCHEMA, event_key, exact_repeats=True)
    return _call("upsert_events", [_in_utc(row) for row in unique], len(rows))


def record_events(user_id, rows) -> dict:
    """Events of a user, from server-side code (as the connection role): each row gets `user_id`."""
    unique = validate(rows, EVENT_SCHEMA, event_key, exact_repeats=True)
    return _call("upsert_events", [_in_utc(row, user_id=str(user_id)) for row in unique], len(rows))


def upsert_spend(rows) -> dict:
    return _call("upsert_spend", validate(rows, SPEND_SCHEMA, spend_key))


# --- rollups --------------------------------------------------------------------------------------

def recompute(start: date, end: date) -> int:
    """recompute_metrics_daily(start, end): the days whose metrics changed. ValueError for a
    reversed range or one over MAX_RANGE_DAYS (the function says the same)."""
    if end < start:
        raise ValueError(f"The end ({end}) is before the start ({start}).")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValueError(f"At most {MAX_RANGE_DAYS} days at a time ({(end - start).days + 1} asked).")
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.recompute_metrics_daily(%s, %s)", [start, end])
        return cursor.fetchone()[0]


def ranges(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as (first, last) runs of consecutive days, none longer than MAX_RANGE_DAYS."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == timedelta(days=1) and (day - runs[-1][0]).days < MAX_RANGE_DAYS:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


REFRESH_UTM = """
WITH touches AS (
  SELECT e.user_id, e.occurred_at, e.props,
         row_number() OVER (PARTITION BY e.user_id ORDER BY e.occurred_at, e.id) AS first_rank,
         row_number() OVER (PARTITION BY e.user_id ORDER BY e.occurred_at DESC, e.id DESC) AS last_rank
  FROM analytics_events e
  WHERE e.user_id = ANY(%(users)s::uuid[]) AND coalesce(e.props->>'utm_source', '') <> ''
), picked AS (
  SELECT user_id, first_rank = 1 AS first_touch, occurred_at, props FROM touches WHERE first_rank = 1 OR last_rank = 1
  UNION ALL
  SELECT user_id, false, occurred_at, props FROM touches WHERE first_rank = 1 AND last_rank = 1
), gone AS (
  DELETE FROM utm_tracks u WHERE u.user_id = ANY(%(users)s::uuid[])
    AND NOT EXISTS (SELECT 1 FROM picked p WHERE p.user_id = u.user_id)
)
INSERT INTO utm_tracks AS u (user_id, first_touch, last_touch, timestamp, source, medium, campaign, term, content)
SELECT p.user_id, p.first_touch, NOT p.first_touch, p.occurred_at,
       left(coalesce(p.props->>'utm_source', ''), 255), left(coalesce(p.props->>'utm_medium', ''), 255),
       left(coalesce(p.props->>'utm_campaign', ''), 255), left(coalesce(p.props->>'utm_term', ''), 255),
       left(coalesce(p.props->>'utm_content', ''), 255)
FROM picked p JOIN auth.users a ON a.id = p.user_id
ON CONFLICT (user_id, first_touch) DO UPDATE SET
  timestamp = excluded.timestamp, source = excluded.source, medium = excluded.medium,
  campaign = excluded.campaign, term = excluded.term, content = excluded.content
WHERE (u.timestamp, u.source, u.medium, u.campaign, u.term, u.content)
  IS DISTINCT FROM (excluded.timestamp, excluded.source, excluded.medium, excluded.campaign, excluded.term, excluded.content)
"""
# `picked` holds a user's first-touch row (first_touch) and last-touch row (not first_touch): the
# first UNION branch yields the last touch only when it is not also the first, the second adds it then.

REFRESH_COHORTS = """
WITH firsts AS (
  SELECT e.user_id, min(e.occurred_at) AS acquired_at FROM analytics_events e
  WHERE e.user_id = ANY(%(users)s::uuid[]) GROUP BY 1
), gone AS (
  DELETE FROM cohorts c WHERE c.user_id = ANY(%(users)s::uuid[]) AND NOT EXISTS (SELECT 1 FROM firsts f WHERE f.user_id = c.user_id)
)
INSERT INTO cohorts AS c (user_id, acquired_at, cohort_month)
SELECT f.user_id, f.acquired_at, date_trunc('month', f.acquired_at AT TIME ZONE 'UTC')::date
FROM firsts f JOIN auth.users a ON a.id = f.user_id
ON CONFLICT (user_id) DO UPDATE SET acquired_at = excluded.acquired_at, cohort_month = excluded.cohort_month
WHERE (c.acquired_at, c.cohort_month) IS DISTINCT FROM (excluded.acquired_at, excluded.cohort_month)
"""
USERS_PER_STATEMENT = 5000


def refresh_users(user_ids: list) -> None:
    """First/last UTM touch and cohort of these users, rebuilt from their events (idempotent)."""
    user_ids = [str(user_id) for user_id in user_ids]
    with connection.cursor() as cursor:
        for start in range(0, len(user_ids), USERS_PER_STATEMENT):
            users = user_ids[start:start + USERS_PER_STATEMENT]
            cursor.execute(REFRESH_UTM, {"users": users})
            cursor.execute(REFRESH_COHORTS, {"users": users})


@transaction.atomic
def refresh_pending() -> dict:
    """The periodic job's work, as the connection role, in one transaction: takes the days and users
    the triggers marked, recomputes each run of consecutive days with one call, refreshes the users'
    touches and cohorts. A failure rolls back, marks included, so the next run does it again.
    (A writer marking a day being taken waits for this transaction: milliseconds a day.)"""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM growth_pending_days RETURNING day")
        days = [row[0] for row in cursor.fetchall()]
        cursor.execute("DELETE FROM growth_pending_users RETURNING user_id")
        users = [row[0] for row in cursor.fetchall()]
    changed = sum(recompute(first, last) for first, last in ranges(days))
    refresh_users(users)
    return {"days": len(days), "days_changed": changed, "users": len(users)}

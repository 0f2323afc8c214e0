"""`SessionStorage`: the typed key-value store of one analysis session (seed 000's session manager).

    storage = SessionStorage(session)
    storage.set("sales", dataframe)                       # type from the value; ttl from retention
    storage.set("token", "s3cr3t", sensitive=True)        # encrypted at rest (django-cryptography)
    storage.get("sales")                                  # the DataFrame, dtypes and index intact
    storage.keys(), storage.items(), storage.touch("sales", ttl=3600), storage.delete("sales"), storage.clear()

Used by the API, the pages and analysis code alike. Every call runs in the caller's transaction (a
request's, under row-level security) or its own; a write is one short transaction that holds the
owner's quota lock. Every set, get and delete records `audit.storage(...)` (never the value).
Quotas and retention come from `settings.SESSION_STORAGE` (docs/sessions.md).
"""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from psycopg.types.json import Jsonb

import audit
from sessions_app import codecs
from sessions_app.codecs import CodecError, Figure, Image  # noqa: F401 - the manager's public types
from sessions_app.models import AnalysisSession, AnalysisStatus, StoredValue

MAX_KEY_LENGTH = 255
TOUCH_EVERY = datetime.timedelta(seconds=60)  # a read stamps last_accessed_at at most this often
_LIVE = "(expires_at IS NULL OR expires_at > statement_timestamp())"
_ENTRY_COLUMNS = "id, storage_key, value_type, size_bytes, is_encrypted, version, created_at, updated_at, last_accessed_at, expires_at"
_ENCRYPTED = StoredValue._meta.get_field("encrypted_value")


class StorageError(Exception):
    """Base of the errors a write refuses with; nothing was changed."""

    code = "storage_error"


class InvalidKey(StorageError, ValueError):
    code = "invalid_key"


class QuotaExceeded(StorageError):
    """The write would take the value, the session or the user over its quota (`scope`)."""

    code = "quota_exceeded"

    def __init__(self, scope: str, limit: int, needed: int):
        self.scope, self.limit, self.needed = scope, limit, needed
        what = {"value": "A single value", "session": "This session's values", "user": "All your stored values"}[scope]
        super().__init__(f"{what} would take {needed:,} bytes; the quota is {limit:,} bytes. Nothing was stored.")


class SessionClosed(StorageError):
    """The session has expired: it takes no more writes (reads and deletes still work)."""

    code = "session_expired"


class PreconditionFailed(StorageError):
    """The value is not the one the caller expected (`expected_etag`), or exists already (`create_only`)."""

    code = "precondition_failed"


@dataclass(frozen=True)
class Entry:
    """What is known about a stored value without reading it."""

    id: object
    key: str
    value_type: str
    size_bytes: int
    is_encrypted: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    last_accessed_at: datetime.datetime
    expires_at: datetime.datetime | None
    created: bool = False  # set() stored a new value (rather than replacing one)

    @property
    def etag(self) -> str:
        """Changes whenever the value does (the row's version) and when the key is stored anew."""
        return f'"{self.id.hex}-{self.version}"'


def check_key(key) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH or "/" in key or "\x00" in key:
        raise InvalidKey("A key has 1 to 255 characters, none of them '/' or NUL.")
    return key


def quotas() -> dict:
    return settings.SESSION_STORAGE


def default_ttl(value_type: str) -> int:
    return quotas()["RETENTION"][value_type]


def _ttl_seconds(ttl, value_type: str) -> int:
    if ttl is None:
        return default_ttl(value_type)
    seconds = ttl.total_seconds() if isinstance(ttl, datetime.timedelta) else ttl
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 1 <= seconds <= quotas()["MAX_TTL"]:
        raise StorageError(f"ttl is from 1 second to {quotas()['MAX_TTL']} seconds.")
    return int(seconds)


def _tags(value) -> set:
    return {value} if isinstance(value, str) else set(value)


def _check_preconditions(current: Entry | None, if_match, if_none_match) -> None:
    if if_match is not None:
        tags = _tags(if_match)
        if current is None:
            raise PreconditionFailed("There is no value to replace (If-Match).")
        if "*" not in tags and current.etag not in tags:
            raise PreconditionFailed("The value has changed since it was read (If-Match).")
    if if_none_match is not None and current is not None:
        tags = _tags(if_none_match)
        if "*" in tags:
            raise PreconditionFailed("A value is stored under this key already (If-None-Match: *).")
        if current.etag in tags:
            raise PreconditionFailed("The value is still the one named in If-None-Match.")


def owner_lock(cursor, user_id) -> None:
    """Serializes the writes of one user (quota checks) for the rest of the transaction."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended('session_storage:' || %s, 0))", [str(user_id)])


def _entry(row) -> Entry:
    return Entry(*row[:10])


# What a read selects besides the entry: the payload as JSON text (jsonb's own text output, or the
# decrypted serialized text), and a plain DataFrame's schema fields apart (a few bytes), so the
# table's text goes to pandas without being parsed twice.
_VALUE_COLUMNS = (
    "storage_value::text AS plain_text, encrypted_value, "
    "CASE WHEN value_type = 'dataframe' AND NOT is_encrypted THEN (storage_value->'schema'->'fields')::text END AS fields"
)


def _text(entry: Entry, plain_text, encrypted) -> str:
    return _ENCRYPTED.from_db_value(encrypted, None, connection) if entry.is_encrypted else plain_text


def _decoded(entry: Entry, row):
    fields = json.loads(row[12]) if row[12] is not None else None
    return codecs.decode(entry.value_type, _text(entry, row[10], row[11]), fields)


class SessionStorage:
    """The values of one analysis session. `session` is an `AnalysisSession` (as the caller may see
    it: a view passes one found through `for_user`)."""

    def __init__(self, session: AnalysisSession):
        self.session = session

    # --- writes -----------------------------------------------------------------------------------

    def set(self, key: str, value, ttl=None, sensitive: bool = False, *, value_type: str | None = None,
            if_match=None, if_none_match=None) -> Entry:
        """Store `value` under `key`, replacing what is there. Its type is found from the value
        (DataFrame, Image or image bytes, Figure, str as text, other JSON) unless `value_type` says.
        `ttl` (seconds or a timedelta) defaults to the type's retention. `sensitive` encrypts it at
        rest. As HTTP's headers: `if_match` (an `Entry.etag`, a list of them, or "*": any value)
        writes only over that value; `if_none_match` ("*": create only, or etags) never over it;
        otherwise PreconditionFailed. Raises CodecError, InvalidKey, QuotaExceeded, SessionClosed,
        PreconditionFailed; a refused write changes nothing."""
        check_key(key)
        value_type, text = codecs.encode(value, value_type)
        seconds = _ttl_seconds(ttl, value_type)
        size = len(text.encode())
        limits = quotas()
        if size > limits["MAX_VALUE_BYTES"]:
            raise QuotaExceeded("value", limits["MAX_VALUE_BYTES"], size)
        if sensitive:
            plain, encrypted = None, _ENCRYPTED.get_db_prep_save(text, connection)
        else:
            # The text serialized once above; a JSON null too is a jsonb value, not SQL NULL.
            plain, encrypted = Jsonb(None, dumps=lambda _: text), None
        expires = datetime.timedelta(seconds=seconds)
        with transaction.atomic(), connection.cursor() as cursor:
            owner_lock(cursor, self.session.user_id)
            self._mark_activity(cursor)
            cursor.execute(
                f"SELECT {_ENTRY_COLUMNS}, {_LIVE} FROM session_storage WHERE session_id = %s AND storage_key = %s FOR UPDATE",
                [self.session.pk, key],
            )
            row = cursor.fetchone()
            current = _entry(row) if row and row[10] else None
            _check_preconditions(current, if_match, if_none_match)
            self._check_quotas(cursor, size - (current.size_bytes if current else 0))
            if row and current is None:  # expired, not yet cleaned up: it goes, the new value is new
                cursor.execute("DELETE FROM session_storage WHERE id = %s", [row[0]])
                audit.storage("expire", session_id=self.session.pk, key=key, value_type=row[2], size_bytes=row[3], user=self.session.user_id)
                row = None
            if row:
                cursor.execute(
                    f"""UPDATE session_storage SET value_type = %s, storage_value = %s, encrypted_value = %s, is_encrypted = %s,
                        size_bytes = %s, last_accessed_at = statement_timestamp(), expires_at = statement_timestamp() + %s
                        WHERE id = %s RETURNING {_ENTRY_COLUMNS}""",
                    [value_type, plain, encrypted, bool(sensitive), size, expires, row[0]],
                )
            else:
                cursor.execute(
                    f"""INSERT INTO session_storage (session_id, user_id, storage_key, value_type, storage_value, encrypted_value,
                        is_encrypted, size_bytes, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, statement_timestamp() + %s)
                        RETURNING {_ENTRY_COLUMNS}""",
                    [self.session.pk, self.session.user_id, key, value_type, plain, encrypted, bool(sensitive), size, expires],
                )
            entry = Entry(*cursor.fetchone(), created=row is None)
            audit.storage("set", session_id=self.session.pk, key=key, value_type=value_type, size_bytes=size,
                          user=self.session.user_id, details={"encrypted": bool(sensitive), "version": entry.version})
        return entry

    def delete(self, key: str) -> bool:
        """Remove the value; True when there was a (live) one."""
        check_key(key)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM session_storage WHERE session_id = %s AND storage_key = %s RETURNING value_type, size_bytes, {_LIVE}",
                [self.session.pk, key],
            )
            row = cursor.fetchone()
            if row is None:
                return False
            value_type, size, live = row
            audit.storage("delete" if live else "expire", session_id=self.session.pk, key=key, value_type=value_type,
                          size_bytes=size, user=self.session.user_id)
            self._mark_activity(cursor, refuse_closed=False)
        return live

    def clear(self) -> int:
        """Remove every value of the session; the number of live ones removed."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM session_storage WHERE session_id = %s RETURNING storage_key, value_type, size_bytes, {_LIVE}",
                [self.session.pk],
            )
            rows = cursor.fetchall()
            for key, value_type, size, live in rows:
                audit.storage("delete" if live else "expire", session_id=self.session.pk, key=key, value_type=value_type,
                              size_bytes=size, user=self.session.user_id)
            if rows:
                self._mark_activity(cursor, refuse_closed=False)
        return sum(1 for row in rows if row[3])

    def touch(self, key: str, ttl=None) -> bool:
        """Mark the value as used now (eviction takes the least recently used first) and, with a
        `ttl`, let it live that long from now. False when there is no live value."""
        check_key(key)
        with connection.cursor() as cursor:
            if ttl is None:
                cursor.execute(
                    f"UPDATE session_storage SET last_accessed_at = statement_timestamp() WHERE session_id = %s AND storage_key = %s AND {_LIVE}",
                    [self.session.pk, key],
                )
            else:
                seconds = _ttl_seconds(ttl, StoredValue.Type.JSON)
                cursor.execute(
                    f"""UPDATE session_storage SET last_accessed_at = statement_timestamp(), expires_at = statement_timestamp() + %s
                        WHERE session_id = %s AND storage_key = %s AND {_LIVE}""",
                    [datetime.timedelta(seconds=seconds), self.session.pk, key],
                )
            return cursor.rowcount == 1

    # --- reads ------------------------------------------------------------------------------------

    def read(self, key: str) -> tuple[Entry, object] | None:
        """(entry, value) of a live value, or None. Records a `get`."""
        check_key(key)
        rows = self._read("storage_key = %s", [key])
        if not rows:
            self._audit_get(key, None)
            return None
        return rows[0]

    def get(self, key: str, default=None):
        """The value under `key`, decoded to its type; `default` when there is none or it expired."""
        found = self.read(key)
        return default if found is None else found[1]

    def entry(self, key: str) -> Entry | None:
        """What is known about a live value, without reading (or auditing a read of) it."""
        check_key(key)
        entries = self.entries(key=key)
        return entries[0] if entries else None

    def entries(self, key: str | None = None) -> list[Entry]:
        """Every live value's entry, by key."""
        condition, params = ("AND storage_key = %s", [key]) if key is not None else ("", [])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM session_storage WHERE session_id = %s AND {_LIVE} {condition} ORDER BY storage_key",
                [self.session.pk, *params],
            )
            return [_entry(row) for row in cursor.fetchall()]

    def keys(self) -> list[str]:
        return [entry.key for entry in self.entries()]

    def items(self) -> list[tuple[str, object]]:
        """(key, value) of every live value, by key; each read is audited."""
        return [(entry.key, value) for entry, value in self._read("TRUE", [])]

    def __contains__(self, key) -> bool:
        return self.entry(key) is not None

    # --- internals --------------------------------------------------------------------------------

    def _fetch(self, condition: str, params: list) -> list[tuple]:
        """Rows of live values matching `condition` (entry columns, then _VALUE_COLUMNS), by key;
        stamps their last_accessed_at (at most once per TOUCH_EVERY) in the same statement."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH hit AS (
                        SELECT {_ENTRY_COLUMNS}, {_VALUE_COLUMNS} FROM session_storage
                        WHERE session_id = %s AND {condition} AND {_LIVE}
                    ), touched AS (
                        UPDATE session_storage s SET last_accessed_at = statement_timestamp() FROM hit
                        WHERE s.id = hit.id AND hit.last_accessed_at < statement_timestamp() - %s
                    )
                    SELECT * FROM hit ORDER BY storage_key""",
                [self.session.pk, *params, TOUCH_EVERY],
            )
            return cursor.fetchall()

    def _audit_get(self, key: str, entry: Entry | None) -> None:
        if entry is None:
            audit.storage("get", session_id=self.session.pk, key=key, user=self.session.user_id, details={"found": False})
        else:
            audit.storage("get", session_id=self.session.pk, key=key, value_type=entry.value_type,
                          size_bytes=entry.size_bytes, user=self.session.user_id)

    def _read(self, condition: str, params: list) -> list[tuple[Entry, object]]:
        """Live values matching `condition`, decoded; each read audited."""
        found = []
        for row in self._fetch(condition, params):
            entry = _entry(row)
            found.append((entry, _decoded(entry, row)))
            self._audit_get(entry.key, entry)
        return found

    def read_payload(self, key: str) -> tuple[Entry, object] | None:
        """(entry, stored JSON payload) of a live value without decoding it (the API returns the
        payload as is); audited as a `get`."""
        check_key(key)
        rows = self._fetch("storage_key = %s", [key])
        entry = _entry(rows[0]) if rows else None
        self._audit_get(key, entry)
        return None if entry is None else (entry, json.loads(_text(entry, rows[0][10], rows[0][11])))

    def _mark_activity(self, cursor, refuse_closed: bool = True) -> None:
        """A write keeps the session alive for SESSION_IDLE_TTL more; an expired session refuses it."""
        idle = datetime.timedelta(seconds=quotas()["SESSION_IDLE_TTL"])
        cursor.execute(
            """UPDATE analysis_sessions SET last_activity_at = statement_timestamp(), expires_at = statement_timestamp() + %s
               WHERE id = %s AND status <> %s AND (expires_at IS NULL OR expires_at > statement_timestamp())""",
            [idle, self.session.pk, AnalysisStatus.EXPIRED],
        )
        if cursor.rowcount == 0 and refuse_closed:
            raise SessionClosed("This analysis session has expired; it takes no more values.")

    def _check_quotas(self, cursor, growth: int) -> None:
        """Under the owner's lock: would `growth` more bytes take the session or the user over quota?
        Expired values not yet cleaned up do not count."""
        if growth <= 0:
            return
        cursor.execute(
            f"""SELECT COALESCE(SUM(size_bytes) FILTER (WHERE session_id = %s), 0), COALESCE(SUM(size_bytes), 0)
                FROM session_storage WHERE user_id = %s AND {_LIVE}""",
            [self.session.pk, self.session.user_id],
        )
        in_session, in_user = cursor.fetchone()
        limits = quotas()
        if in_session + growth > limits["MAX_SESSION_BYTES"]:
            raise QuotaExceeded("session", limits["MAX_SESSION_BYTES"], in_session + growth)
        if in_user + growth > limits["MAX_USER_BYTES"]:
            raise QuotaExceeded("user", limits["MAX_USER_BYTES"], in_user + growth)

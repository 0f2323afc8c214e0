"""Files uploaded on an analysis session's page, stored through `SessionStorage` by their type.

    entry = uploads.receive(session, file_name="sales.csv", data=b"...", declared_type="text/csv", key="sales")

| file                                  | stored as                                                     |
|---------------------------------------|---------------------------------------------------------------|
| `.csv`                                | `dataframe` (pandas `read_csv`, UTF-8, at most MAX_CSV_COLUMNS) |
| `.png`, `.jpg`, `.jpeg`, `.svg`       | `image` (the bytes must be PNG, JPEG or SVG: the image codec's check) |
| `.json`                               | `json`                                                        |
| `.txt`, `.md`                         | `text` (UTF-8)                                                |

Anything else is refused. A file may be at most the per-value quota (`SESSION_STORAGE
["MAX_VALUE_BYTES"]`) long, and the stored value too. Every attempt records `audit.file_upload(...)`
— `stored`, or `rejected` with the reason in `details` (audit keeps rejected rows even when the
request's transaction rolls back) — and a refused upload stores nothing.

`SizeLimitHandler` stops reading a file part once it passes the limit (the rest of the request is
read and dropped, never kept in memory or on disk), so the page can say "too large" and audit it.
"""

import hashlib
import io
import os
from dataclasses import dataclass

import pandas as pd
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

import audit
from core import jsontext
from sessions_app import codecs
from sessions_app.codecs import CodecError
from sessions_app.models import AnalysisSession, ValueType
from sessions_app.storage import InvalidKey, QuotaExceeded, SessionStorage, StorageError, quotas

MAX_CSV_COLUMNS = 1000
CSV = (".csv",)
IMAGES = (".png", ".jpg", ".jpeg", ".svg")
JSON = (".json",)
TEXT = {".txt": "text/plain", ".md": "text/markdown"}
ACCEPTED = (*CSV, *IMAGES, *JSON, *TEXT)
# What the file input offers (the server checks anyway).
ACCEPT_ATTRIBUTE = ",".join(ACCEPTED)


def max_upload_bytes() -> int:
    """The largest file accepted: the per-value quota."""
    return quotas()["MAX_VALUE_BYTES"]


class UploadRejected(Exception):
    """The upload was refused and nothing was stored; `field` is the form field the message belongs
    to ("file", "key", or None for the form as a whole); `reason` a short code kept in the audit row."""

    def __init__(self, message: str, *, reason: str, field: str | None = "file"):
        super().__init__(message)
        self.message, self.reason, self.field = message, reason, field


@dataclass(frozen=True)
class Parsed:
    value_type: str
    value: object
    content_type: str


def key_from_file_name(file_name: str) -> str:
    """The default key: the file name without its (last) extension."""
    stem, _ = os.path.splitext(os.path.basename(file_name))
    return stem or file_name


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a leading byte-order mark is dropped
    except UnicodeDecodeError as exc:
        raise UploadRejected(f"The {what} is not UTF-8 text (byte {exc.start}).", reason="not_utf8") from None


def _read_csv(data: bytes) -> pd.DataFrame:
    text = _utf8(data, "CSV file")
    try:
        header = pd.read_csv(io.StringIO(text), nrows=0, engine="c")
        if len(header.columns) > MAX_CSV_COLUMNS:
            raise UploadRejected(f"The CSV file has {len(header.columns):,} columns; at most {MAX_CSV_COLUMNS:,} are accepted.",
                                 reason="csv_too_wide")
        # The C parser, no date guessing, every row as wide as the header (else a parse error).
        return pd.read_csv(io.StringIO(text), engine="c", on_bad_lines="error", low_memory=False, memory_map=False)
    except UploadRejected:
        raise
    except pd.errors.EmptyDataError:
        raise UploadRejected("The CSV file is empty (no header row).", reason="csv_empty") from None
    except (pd.errors.ParserError, ValueError, OverflowError) as exc:
        message = " ".join(str(exc).split())[:300]
        raise UploadRejected(f"The CSV file could not be parsed: {message}", reason="csv_parse_error") from None


def parse(file_name: str, data: bytes) -> Parsed:
    """The value a file is stored as, found from its extension (and, for images, its bytes);
    UploadRejected when the type is not accepted or the content is not what the name says."""
    extension = os.path.splitext(file_name)[1].lower()
    if extension in CSV:
        return Parsed(ValueType.DATAFRAME, _read_csv(data), "text/csv")
    if extension in IMAGES:
        try:
            image = codecs.Image(data)  # checks the first bytes: PNG, JPEG or an SVG root element
        except CodecError as exc:
            raise UploadRejected(f"{exc} The file is named {extension} but is not an image.", reason="not_an_image") from None
        return Parsed(ValueType.IMAGE, image, image.mime_type)
    if extension in JSON:
        text = _utf8(data, "JSON file")
        try:
            value = jsontext.loads(text)
        except jsontext.JSONTextError as exc:
            raise UploadRejected(str(exc), reason="json_invalid") from None
        return Parsed(ValueType.JSON, value, "application/json")
    if extension in TEXT:
        return Parsed(ValueType.TEXT, _utf8(data, "text file"), TEXT[extension])
    shown = extension or "without an extension"
    raise UploadRejected(
        f"Files {shown} cannot be stored. Accepted: CSV (.csv), images (.png, .jpg, .jpeg, .svg), JSON (.json) and text (.txt, .md).",
        reason="unsupported_type",
    )


def stored_at(session: AnalysisSession, key: str) -> str:
    return f"session_storage:{session.pk}/{key}" if key else ""


def reject(session: AnalysisSession, *, file_name: str, size_bytes: int | None, declared_type: str, sha256: str,
           key: str, reason: str, message: str, **details) -> None:
    """Audit an upload refused before or while it was parsed or stored (a `rejected` row is kept even
    if the request's transaction rolls back)."""
    audit.file_upload(
        file_name=file_name, size_bytes=size_bytes, content_type=declared_type, sha256=sha256,
        stored_at=stored_at(session, key), status="rejected", session_id=session.pk,
        details={"reason": reason, "message": message[:500], "key": key, **details},
    )


def receive(session: AnalysisSession, *, file_name: str, data: bytes, declared_type: str, key: str,
            ttl_seconds: int | None = None, sensitive: bool = False):
    """Parse `data` by its type and store it under `key`; the stored `Entry`. Audited either way;
    UploadRejected (after auditing) when refused — then nothing was stored."""
    digest = hashlib.sha256(data).hexdigest()
    size = len(data)

    def refuse(error: UploadRejected, **details):
        reject(session, file_name=file_name, size_bytes=size, declared_type=declared_type, sha256=digest, key=key,
               reason=error.reason, message=error.message, **details)
        return error

    limit = max_upload_bytes()
    if size > limit:
        raise refuse(UploadRejected(f"The file has {size:,} bytes; at most {limit:,} bytes are accepted (the per-value quota).",
                                    reason="too_large"))
    if size == 0:
        raise refuse(UploadRejected("The file is empty.", reason="empty"))
    try:
        parsed = parse(file_name, data)
    except UploadRejected as exc:
        raise refuse(exc) from None
    try:
        entry = SessionStorage(session).set(key, parsed.value, ttl=ttl_seconds, sensitive=sensitive, value_type=parsed.value_type)
    except QuotaExceeded as exc:
        raise refuse(UploadRejected(str(exc), reason="quota_exceeded"), scope=exc.scope, value_type=parsed.value_type) from None
    except InvalidKey as exc:
        raise refuse(UploadRejected(str(exc), reason="invalid_key", field="key")) from None
    except CodecError as exc:
        raise refuse(UploadRejected(f"The file cannot be stored as {parsed.value_type}: {exc}", reason="codec_error"),
                     value_type=parsed.value_type) from None
    except StorageError as exc:
        raise refuse(UploadRejected(str(exc), reason=exc.code, field=None), value_type=parsed.value_type) from None
    audit.file_upload(
        file_name=file_name, size_bytes=size, content_type=parsed.content_type, sha256=digest,
        stored_at=stored_at(session, key), status="stored", session_id=session.pk,
        details={"key": key, "value_type": parsed.value_type, "stored_bytes": entry.size_bytes, "encrypted": bool(sensitive),
                 "declared_content_type": declared_type[:255], "version": entry.version},
    )
    return entry


class SizeLimitHandler(FileUploadHandler):
    """First of a request's upload handlers: passes each chunk on to the next handlers (memory, or a
    temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE) until a file part passes `limit` bytes, then
    skips that file (Django reads the rest of the part and drops it) and notes it in
    `request.uploads_too_large` as {field name: (file name, content type, bytes received)}."""

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = max_upload_bytes() if limit is None else limit
        if request is not None:
            request.uploads_too_large = {}

    def receive_data_chunk(self, raw_data, start):
        received = start + len(raw_data)
        if received > self.limit:
            if self.request is not None:
                self.request.uploads_too_large[self.field_name] = (self.file_name or "", self.content_type or "", received)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler makes the file

"""The baseline for bench/list: a bare WSGI app answering `GET /api/v1/research-sessions/` with the
same JSON as the Django endpoint, and nothing else.

It verifies nothing (the token's payload is decoded, not checked; no role switch, no RLS), uses one
psycopg 3 connection per worker process, opened on the first request and reused, and runs the same
two queries as DRF's paginated list (a count, then one page newest first). Serialization mirrors DRF:
uuid as text, datetimes as ISO 8601 in UTC with `Z`, DRF's compact JSONRenderer output, and DRF's
`next`/`previous` links. Not part of the product; it exists only to be measured against.

Environment: DATABASE_URL (a libpq URI, e.g. postgres://postgres@/app?host=/path/to/socket/dir).
"""

import base64
import json
import os
from datetime import UTC
from urllib.parse import parse_qsl, urlencode

import psycopg

DEFAULT_PAGE_SIZE = 20  # core.api.pagination.PageNumberPagination
MAX_PAGE_SIZE = 100
PATH = "/api/v1/research-sessions/"

COUNT_SQL = "SELECT COUNT(*) FROM research_sessions WHERE user_id = %s"
PAGE_SQL = (
    "SELECT id, title, status, stage, created_at, updated_at FROM research_sessions"
    " WHERE user_id = %s ORDER BY created_at DESC LIMIT %s OFFSET %s"
)

_conn = None  # one per worker: opened lazily, after gunicorn forked


def _connection():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _conn


def _iso(value):
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _user_id(environ):
    """The `sub` of the bearer token, unverified."""
    parts = environ.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    try:
        payload = parts[1].split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    except (IndexError, KeyError, ValueError):
        return None


def _link(environ, params, page):
    """DRF's replace_query_param / remove_query_param on the request's absolute URI."""
    params = {k: v for k, v in params.items() if k != "page"}
    if page is not None:
        params["page"] = str(page)
    query = urlencode(sorted(params.items()))
    host = environ.get("HTTP_HOST") or environ["SERVER_NAME"]
    return f"{environ['wsgi.url_scheme']}://{host}{environ['PATH_INFO']}" + (f"?{query}" if query else "")


def _respond(start_response, status, body):
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    if environ["PATH_INFO"] != PATH or environ["REQUEST_METHOD"] != "GET":
        return _respond(start_response, "404 Not Found", b'{"detail":"Not found."}')
    user_id = _user_id(environ)
    if user_id is None:
        return _respond(start_response, "401 Unauthorized", b'{"detail":"Not authenticated."}')
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    try:
        page_size = min(int(params.get("page_size", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
        page_size = page_size if page_size > 0 else DEFAULT_PAGE_SIZE
    except ValueError:
        page_size = DEFAULT_PAGE_SIZE
    try:
        page = int(params.get("page", 1))
    except ValueError:
        page = 0

    conn = _connection()
    count = conn.execute(COUNT_SQL, [user_id]).fetchone()[0]
    pages = max(1, -(-count // page_size))
    if not 1 <= page <= pages:
        return _respond(start_response, "404 Not Found", b'{"detail":"Invalid page."}')
    rows = conn.execute(PAGE_SQL, [user_id, page_size, (page - 1) * page_size]).fetchall()

    data = {
        "count": count,
        "next": _link(environ, params, page + 1) if page < pages else None,
        "previous": (_link(environ, params, page - 1 if page > 2 else None)) if page > 1 else None,
        "results": [
            {"id": str(r[0]), "title": r[1], "status": r[2], "stage": r[3], "created_at": _iso(r[4]), "updated_at": _iso(r[5])}
            for r in rows
        ],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    body = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
    return _respond(start_response, "200 OK", body)

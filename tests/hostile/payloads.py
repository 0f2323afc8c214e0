"""The catalogue of hostile input. A new payload is one line here; every endpoint of its kind is then
tried with it (test_api.py).

- BODIES go to every operation of the OpenAPI schema that takes a request body.
- TOKENS go, as `Authorization: Bearer …`, to every operation.
- QUERIES go to every GET operation that documents the parameter (paging, filters).
Each case must answer a 4xx in the API's error shape and write no row."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Body:
    name: str
    content: bytes
    content_type: str = "application/json"


def _deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


BODIES = [
    Body("nested 2000 arrays", b"[" * 2000 + b"]" * 2000),
    Body("nested 100 objects", _deep(100)),
    Body("nested 100 000 arrays", b"[" * 100_000 + b"]" * 100_000),
    Body("lone surrogate in a value", b'{"title": "a\\ud800b", "name": "a\\udfff"}'),
    Body("lone surrogate in a key", b'{"\\udc00": 1}'),
    Body("reversed surrogate pair", b'{"title": "\\ude00\\ud83d"}'),
    Body("NUL in a value", b'{"title": "a\\u0000b", "name": "a\\u0000b", "metadata": {"k": "\\u0000"}}'),
    Body("NUL in a key", b'{"\\u0000": 1}'),
    Body("NaN", b'{"title": NaN, "value": NaN}'),
    Body("Infinity", b'{"days": Infinity, "value": -Infinity}'),
    Body("number beyond a double", b'{"value": 1e400, "weight": -1e999}'),
    Body("integer of 5000 digits", b'{"value": ' + b"9" * 5000 + b"}"),
    Body("invalid UTF-8", b'{"title": "\xff\xfe"}'),
    Body("overlong UTF-8 slash", b'{"title": "\xc0\xaf"}'),
    Body("UTF-16 encoded", '{"title": "x"}'.encode("utf-16")),
    Body("truncated JSON", b'{"title": "x", '),
    Body("two documents", b'{"title": "x"} {"title": "y"}'),
    Body("form-encoded", b"title=x&name=y", "application/x-www-form-urlencoded"),
    Body("multipart", b"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b"),
    Body("JSON as text/plain", b'{"title": "x"}', "text/plain"),
    Body("XML", b"<title>x</title>", "application/xml"),
    Body("oversized body", b'{"title": "' + b"x" * (7 * 1024 * 1024) + b'"}'),
]


def _sign(claims: dict | None = None, headers: dict | None = None, *, key: str | None = None, payload: bytes | None = None) -> str:
    """An HS256 token signed by hand (PyJWT would refuse to write the odd headers): `claims` over a
    valid base, or a raw `payload` no JSON encoder would write."""
    if payload is None:
        now = int(time.time())
        base = {"sub": str(uuid.uuid4()), "aud": "authenticated", "role": "authenticated", "exp": now + 600, "iat": now}
        payload = json.dumps({**base, **(claims or {})}).encode()
    header = json.dumps({"alg": "HS256", "typ": "JWT", **(headers or {})}).encode()
    signing_input = _b64(header) + b"." + _b64(payload)
    signature = hmac.new((key or settings.SUPABASE_JWT_SECRET).encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64(signature)).decode()


def _b64(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _unsigned(header: bytes, payload: bytes = b'{"sub":"x"}', signature: bytes = b"sig") -> str:
    return (_b64(header) + b"." + _b64(payload) + b"." + _b64(signature)).decode()


# Each: (name, a function of the owner's id → the Authorization header's token). Signed ones are
# signed with the project's secret: only their content is odd.
TOKENS = [
    ("crit header", lambda sub: _sign({"sub": sub}, {"crit": ["exp"]})),
    ("list-valued kid", lambda sub: _sign({"sub": sub}, {"kid": ["a", "b"]})),
    ("object-valued kid", lambda sub: _sign({"sub": sub}, {"kid": {"a": 1}})),
    ("alg none", lambda sub: _unsigned(b'{"alg":"none","typ":"JWT"}', json.dumps({"sub": sub}).encode(), b"")),
    ("alg as a list", lambda sub: _unsigned(b'{"alg":["HS256"]}')),
    ("header not an object", lambda sub: _unsigned(b'["HS256"]')),
    ("header deeply nested", lambda sub: _unsigned(b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}")),
    ("header not JSON", lambda sub: _unsigned(b"\xff\xfe")),
    ("two segments", lambda sub: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0"),
    ("not base64", lambda sub: "!!!.???.***"),
    ("wrong secret", lambda sub: _sign({"sub": sub}, key="not-the-project-secret-but-long-enough")),
    ("expired", lambda sub: _sign({"sub": sub, "exp": int(time.time()) - 3600})),
    ("wrong audience", lambda sub: _sign({"sub": sub, "aud": "service"})),
    ("no exp", lambda sub: _sign(payload=json.dumps({"sub": sub, "aud": "authenticated"}).encode())),
    ("exp as text", lambda sub: _sign({"sub": sub, "exp": "tomorrow"})),
    ("sub as urn:uuid", lambda sub: _sign({"sub": f"urn:uuid:{sub}"})),
    ("sub in braces", lambda sub: _sign({"sub": "{" + sub + "}"})),
    ("sub without dashes", lambda sub: _sign({"sub": sub.replace("-", "")})),
    ("sub as a number", lambda sub: _sign({"sub": 12345})),
    ("sub of no user", lambda sub: _sign({"sub": str(uuid.uuid4())})),
    ("NUL in a claim", lambda sub: _sign({"sub": sub, "email": "a\x00b@example.com"})),
    ("lone surrogate in a claim", lambda sub: _sign(payload=json.dumps(
        {"sub": sub, "aud": "authenticated", "exp": int(time.time()) + 600, "email": "\ud800"}).encode())),
    ("NaN in a claim", lambda sub: _sign(payload=(
        f'{{"sub": "{sub}", "aud": "authenticated", "exp": {int(time.time()) + 600}, "n": NaN}}').encode())),
    ("claims deeply nested", lambda sub: _sign(payload=(
        f'{{"sub": "{sub}", "aud": "authenticated", "exp": {int(time.time()) + 600}, "x": {"[" * 3000 + "]" * 3000}}}').encode())),
]


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# (query parameter, value, name): sent alone to every GET operation documenting that parameter.
QUERIES = [
    ("cursor", "not-base64!", "cursor not base64"),
    ("cursor", _cursor("p=not-a-date"), "cursor position not a timestamp"),
    ("cursor", _cursor("p=2026-13-45T99:99:99Z"), "cursor position out of range"),
    ("cursor", _cursor("p=\x00"), "cursor position NUL"),
    ("cursor", _cursor("o=99999999999999999999999"), "cursor offset huge"),
    ("cursor", _cursor("o=1"), "cursor well formed but not signed by us"),
    ("cursor", _cursor("r=1&p=" + "9" * 5000), "cursor position huge"),
    ("page", "0", "page zero"),
    ("page", "-1", "page negative"),
    ("page", "1e3", "page in exponent form"),
    ("page", "99999999999999999999999", "page huge"),
    ("page_size", "0", "page size zero"),
    ("page_size", "ten", "page size text"),
    ("limit", "-5", "limit negative"),
    ("offset", "99999999999999999999999", "offset huge"),
    ("offset", "-1", "offset negative"),
    ("created_after", "not-a-date", "date not a date"),
    ("created_after", "2026-02-30T00:00:00Z", "date out of range"),
    ("created_after", "0000-01-01T00:00:00Z", "date year zero"),
    ("search", "a\x00b", "NUL in search"),
    ("days", "100000000000", "days huge"),
]

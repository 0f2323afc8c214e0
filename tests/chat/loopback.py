"""A loopback Google: an OAuth 2.0 authorization server and a GA4 Data API, served over real HTTP on
127.0.0.1 from a thread, for tests that exercise the real client code (no mocked HTTP library).

    with LoopbackGoogle() as google:             # or the `google` fixture of tests/chat/conftest.py
        settings.update(google.settings())       # GA4_OAUTH_*_URL, GA4_DATA_API_URL, client id/secret
        refresh, access = google.grant()          # a grant made directly, without the browser flow
        ...
        google.calls["token"]                     # how often each endpoint was called

It is also Google's OpenID provider, for Google sign-in (accounts.google): ``google.account`` is the
Google account that "signs in" (sub, email, email_verified, name, picture), and
``google.signin_settings()`` points GOOGLE_* at this server.

Endpoints (names used by `calls`, `requests`, `script` and `delay`):

- ``discovery``  GET  /.well-known/openid-configuration — issuer, the endpoints below, jwks_uri.
- ``jwks``       GET  /oauth2/v3/certs — the public RSA key that signs ID tokens.

- ``authorize``  GET  /o/oauth2/v2/auth — checks client_id, response_type=code and a PKCE S256
  challenge, then redirects straight back to redirect_uri with ?code=…&state=… (the user "consents"
  at once); ``deny_next_authorization()`` makes the next one answer ?error=access_denied.
- ``token``      POST /token — grant_type=authorization_code (checks the client secret, the code is
  single-use, redirect_uri matches, S256(code_verifier) == code_challenge) and grant_type=
  refresh_token; an authorization that asked for the ``openid`` scope gets an ``id_token`` too
  (RS256, ``account``'s claims, the authorization's nonce) (``rotate_refresh_tokens=True``: each refresh returns a new refresh token and the old
  one answers invalid_grant, as providers that rotate do). Errors are RFC 6749 JSON.
- ``revoke``     POST /revoke — token=… ends the grant it belongs to.
- ``runReport``  POST /v1beta/properties/{id}:runReport — needs ``Authorization: Bearer <valid
  access token>`` (401 UNAUTHENTICATED otherwise); answers ``reports[property_id]`` if set, else
  ``report_handler(property_id, body)`` if set, else a small deterministic report built from the
  requested dimensions and metrics.

Behaviour for any endpoint can be scripted: ``script("token", Reply(503), Reply(503))`` makes the
next two calls answer 503 before the normal behaviour resumes; ``delay["token"] = 0.5`` sleeps before
every answer (a slow endpoint); ``Reply(hang=True)`` never answers within any test timeout.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["LoopbackGoogle", "Reply", "Grant"]

AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"
REVOKE_PATH = "/revoke"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/oauth2/v3/certs"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # one per test process
DATA_API_PATH = "/v1beta"
READONLY_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"


@dataclass
class Reply:
    """A scripted answer: status, JSON body (or raw bytes), optional delay; `hang` holds the
    connection open for `hang_seconds` and then closes it without an answer."""

    status: int = 200
    body: dict | list | bytes | None = None
    delay: float = 0.0
    hang: bool = False
    hang_seconds: float = 30.0
    headers: dict = field(default_factory=dict)


@dataclass
class Grant:
    """One user's consent: the refresh token in force and the access tokens issued under it."""

    scopes: list[str]
    refresh_token: str
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at (epoch)
    revoked: bool = False


@dataclass
class RecordedRequest:
    endpoint: str
    method: str
    path: str
    headers: dict
    form: dict  # form fields (single values) for OAuth endpoints
    json: dict | list | None  # the body of a Data API call


class LoopbackGoogle:
    def __init__(
        self,
        *,
        client_id: str = "loopback-client-id",
        client_secret: str = "loopback-client-secret",
        rotate_refresh_tokens: bool = False,
        access_token_lifetime: int = 3600,
        host: str = "127.0.0.1",
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.access_token_lifetime = access_token_lifetime
        self.host = host
        self.calls: Counter = Counter()
        self.requests: list[RecordedRequest] = []
        self.delay: dict[str, float] = defaultdict(float)
        self.reports: dict[str, dict] = {}
        self.report_handler = None  # callable(property_id, body) -> dict | Reply
        self._scripts: dict[str, deque] = defaultdict(deque)
        self._grants: dict[str, Grant] = {}  # refresh token -> grant
        self._codes: dict[str, dict] = {}
        self._deny_next = False
        self.account = {"sub": "110248495921238986420", "email": "gina@example.com", "email_verified": True,
                        "name": "Gina Google", "picture": "https://lh3.googleusercontent.com/a/gina"}
        self.key_id = _token("kid-")
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "LoopbackGoogle":
        provider = self

        class Handler(_Handler):
            google = provider

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="loopback-google", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> "LoopbackGoogle":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- addresses and settings ------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def authorize_url(self) -> str:
        return self.url + AUTHORIZE_PATH

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def revoke_url(self) -> str:
        return self.url + REVOKE_PATH

    @property
    def data_api_url(self) -> str:
        return self.url + DATA_API_PATH

    def settings(self) -> dict:
        """The project settings that point the app at this provider."""
        return {
            "GA4_OAUTH_CLIENT_ID": self.client_id,
            "GA4_OAUTH_CLIENT_SECRET": self.client_secret,
            "GA4_OAUTH_AUTHORIZE_URL": self.authorize_url,
            "GA4_OAUTH_TOKEN_URL": self.token_url,
            "GA4_OAUTH_REVOKE_URL": self.revoke_url,
            "GA4_OAUTH_SCOPES": [READONLY_SCOPE],
            "GA4_DATA_API_URL": self.data_api_url,
        }

    def signin_settings(self) -> dict:
        """The settings that point Google sign-in at this provider."""
        return {
            "GOOGLE_OAUTH_CLIENT_ID": self.client_id,
            "GOOGLE_OAUTH_CLIENT_SECRET": self.client_secret,
            "GOOGLE_OIDC_DISCOVERY_URL": self.url + DISCOVERY_PATH,
        }

    def discovery(self) -> dict:
        return {
            "issuer": self.url, "authorization_endpoint": self.authorize_url, "token_endpoint": self.token_url,
            "revocation_endpoint": self.revoke_url, "jwks_uri": self.url + JWKS_PATH,
            "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    def id_token(self, nonce: str | None, **overrides) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "iat": now, "exp": now + 3600, **self.account, **overrides}
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, SIGNING_KEY, algorithm="RS256", headers={"kid": self.key_id})

    # --- state for tests ---------------------------------------------------------------------------

    def grant(self, scopes=(READONLY_SCOPE,), *, expires_in: int | None = None) -> tuple[str, str]:
        """Create a grant as if a user had consented: returns (refresh_token, access_token)."""
        with self._lock:
            grant = Grant(list(scopes), _token("1//rt"))
            self._grants[grant.refresh_token] = grant
            access = self._issue_access(grant, expires_in)
        return grant.refresh_token, access

    def script(self, endpoint: str, *replies: Reply) -> None:
        """Answer the next calls of `endpoint` with these replies, in order."""
        with self._lock:
            self._scripts[endpoint].extend(replies)

    def deny_next_authorization(self) -> None:
        self._deny_next = True

    def is_valid_access_token(self, token: str) -> bool:
        with self._lock:
            return self._access_grant(token) is not None

    def is_valid_refresh_token(self, token: str) -> bool:
        with self._lock:
            grant = self._grants.get(token)
            return grant is not None and not grant.revoked and grant.refresh_token == token

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.endpoint == endpoint]

    def reset_counts(self) -> None:
        self.calls.clear()
        self.requests.clear()

    # --- protocol (called from the handler's threads) ----------------------------------------------

    def _issue_access(self, grant: Grant, expires_in: int | None = None) -> str:
        token = _token("ya29.")
        grant.access_tokens[token] = time.time() + (self.access_token_lifetime if expires_in is None else expires_in)
        return token

    def _access_grant(self, token: str) -> Grant | None:
        for grant in self._grants.values():
            expires = grant.access_tokens.get(token)
            if expires is not None and not grant.revoked and expires > time.time():
                return grant
        return None

    def _client_ok(self, request: RecordedRequest) -> bool:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        return client_id == self.client_id and secret == self.client_secret

    def authorize(self, query: dict) -> tuple[int, dict, bytes]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri.startswith(("http://", "https://")):
            return 400, {}, b"invalid client or redirect_uri"
        state = query.get("state", "")
        if self._deny_next:
            self._deny_next = False
            return _redirect(redirect_uri, {"error": "access_denied", "state": state})
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return _redirect(redirect_uri, {"error": "invalid_request", "state": state})
        code = _token("4/code")
        with self._lock:
            self._codes[code] = {
                "challenge": query["code_challenge"],
                "redirect_uri": redirect_uri,
                "scopes": query.get("scope", READONLY_SCOPE).split(),
                "nonce": query.get("nonce"),
            }
        return _redirect(redirect_uri, {"code": code, "state": state, "scope": query.get("scope", "")})

    def token(self, request: RecordedRequest) -> tuple[int, dict]:
        form = request.form
        if not self._client_ok(request):
            return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                issued = self._codes.pop(form.get("code", ""), None)
                if issued is None:
                    return 400, {"error": "invalid_grant", "error_description": "Malformed or used auth code."}
                if form.get("redirect_uri") != issued["redirect_uri"]:
                    return 400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}
                verifier = form.get("code_verifier", "")
                if not verifier or _s256(verifier) != issued["challenge"]:
                    return 400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
                grant = Grant(issued["scopes"], _token("1//rt"))
                self._grants[grant.refresh_token] = grant
                body = self._token_body(grant, include_refresh=True)
                if "openid" in issued["scopes"]:
                    body["id_token"] = self.id_token(issued["nonce"])
                return 200, body
            if grant_type == "refresh_token":
                grant = self._grants.get(form.get("refresh_token", ""))
                if grant is None or grant.revoked or grant.refresh_token != form.get("refresh_token"):
                    return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                if self.rotate_refresh_tokens:
                    del self._grants[grant.refresh_token]
                    grant.refresh_token = _token("1//rt")
                    self._grants[grant.refresh_token] = grant
                return 200, self._token_body(grant, include_refresh=self.rotate_refresh_tokens)
        return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}

    def _token_body(self, grant: Grant, *, include_refresh: bool) -> dict:
        body = {
            "access_token": self._issue_access(grant),
            "expires_in": self.access_token_lifetime,
            "scope": " ".join(grant.scopes),
            "token_type": "Bearer",
        }
        if include_refresh:
            body["refresh_token"] = grant.refresh_token
        return body

    def revoke(self, request: RecordedRequest) -> tuple[int, dict]:
        token = request.form.get("token", "")
        with self._lock:
            grant = self._grants.get(token) or self._access_grant(token)
            if grant is None:
                return 400, {"error": "invalid_token", "error_description": "Token expired or revoked"}
            grant.revoked = True
        return 200, {}

    def run_report(self, request: RecordedRequest, property_id: str):
        authorization = request.headers.get("authorization", "")
        token = authorization[7:] if authorization.lower().startswith("bearer ") else ""
        with self._lock:
            grant = self._access_grant(token)
        if grant is None:
            return 401, {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials.",
                    "status": "UNAUTHENTICATED",
                }
            }
        if property_id in self.reports:
            return 200, self.reports[property_id]
        if self.report_handler is not None:
            answer = self.report_handler(property_id, request.json)
            return answer if isinstance(answer, Reply) else (200, answer)
        return 200, default_report(request.json if isinstance(request.json, dict) else {})


def default_report(body: dict, rows: int = 3) -> dict:
    """A small, deterministic runReport answer for the requested dimensions and metrics."""
    dimensions = [d.get("name", "") for d in body.get("dimensions", []) if isinstance(d, dict)]
    metrics = [m.get("name", "") for m in body.get("metrics", []) if isinstance(m, dict)]
    return {
        "dimensionHeaders": [{"name": name} for name in dimensions],
        "metricHeaders": [{"name": name, "type": "TYPE_INTEGER"} for name in metrics],
        "rows": [
            {
                "dimensionValues": [{"value": f"2026010{i + 1}" if name == "date" else f"{name}-{i + 1}"} for name in dimensions],
                "metricValues": [{"value": str((i + 1) * (j + 1) * 10)} for j in range(len(metrics))],
            }
            for i in range(rows)
        ],
        "rowCount": rows,
        "metadata": {"currencyCode": "USD", "timeZone": "Etc/UTC"},
        "kind": "analyticsData#runReport",
    }


class _Handler(BaseHTTPRequestHandler):
    google: LoopbackGoogle
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str):
        google = self.google
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        form, body_json = {}, None
        if "json" in headers.get("content-type", ""):
            try:
                body_json = json.loads(raw or b"null")
            except ValueError:
                body_json = None
        else:
            form = {key: values[-1] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}

        property_id = None
        if method == "GET" and parts.path == AUTHORIZE_PATH:
            endpoint = "authorize"
        elif method == "POST" and parts.path == TOKEN_PATH:
            endpoint = "token"
        elif method == "POST" and parts.path == REVOKE_PATH:
            endpoint = "revoke"
        elif method == "GET" and parts.path in (DISCOVERY_PATH, JWKS_PATH):
            endpoint = "discovery" if parts.path == DISCOVERY_PATH else "jwks"
        elif method == "POST" and parts.path.startswith(DATA_API_PATH + "/properties/") and parts.path.endswith(":runReport"):
            endpoint = "runReport"
            property_id = parts.path[len(DATA_API_PATH + "/properties/") : -len(":runReport")]
        else:
            return self._send(404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})

        request = RecordedRequest(endpoint, method, self.path, headers, form or query, body_json)
        with google._lock:
            google.calls[endpoint] += 1
            google.requests.append(request)
            scripted = google._scripts[endpoint].popleft() if google._scripts[endpoint] else None
        if google.delay[endpoint]:
            time.sleep(google.delay[endpoint])
        if scripted is not None:
            return self._reply(scripted)

        if endpoint == "authorize":
            status, extra, content = google.authorize(query)
            return self._send(status, content, extra_headers=extra)
        if endpoint == "token":
            return self._send(*google.token(request), extra_headers={"Cache-Control": "no-store"})
        if endpoint == "revoke":
            return self._send(*google.revoke(request))
        if endpoint in ("discovery", "jwks"):
            return self._send(200, google.discovery() if endpoint == "discovery" else google.jwks())
        answer = google.run_report(request, property_id)
        if isinstance(answer, Reply):
            return self._reply(answer)
        return self._send(*answer)

    def _reply(self, reply: Reply):
        if reply.delay:
            time.sleep(reply.delay)
        if reply.hang:
            time.sleep(reply.hang_seconds)
            self.close_connection = True
            return
        self._send(reply.status, reply.body if reply.body is not None else {}, extra_headers=reply.headers)

    def _send(self, status: int, body, extra_headers=None):
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            content_type = "text/plain" if isinstance(body, bytes) else "application/json; charset=utf-8"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            for key, value in (extra_headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.close_connection = True


def _redirect(location: str, params: dict) -> tuple[int, dict, bytes]:
    separator = "&" if urlsplit(location).query else "?"
    return 302, {"Location": location + separator + urlencode(params)}, b""


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def _token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)

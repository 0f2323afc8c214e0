"""Error reporting: with a DSN, an unhandled error reaches Sentry (here a loopback server standing in
for it) with every secret of the request and of the failing frame scrubbed."""

import gzip
import http.server
import threading
import zlib

import pytest
import sentry_sdk
from rest_framework.test import APIClient

from config import sentry
from tests.conftest import token_for

KEY = "epai_" + "Zk3" * 14
PASSWORD = "correct-horse-battery-staple"


class Collector(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            pytest.fail("brotli-encoded envelope: not expected without the brotli package")
        self.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    Collector.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sentry.init(f"http://publickey@127.0.0.1:{server.server_port}/1", environment="test")
    try:
        yield Collector.received
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn=None)
        server.shutdown()


def test_an_error_arrives_without_any_secret(sentry_server, settings, user_a):
    settings.ROOT_URLCONF = "tests.core.urls"
    token = token_for(user_a)
    client = APIClient(raise_request_exception=False)
    client.cookies["sessionid"] = "session-cookie-value-123"
    response = client.post("/ops/fails", {"email": "report@example.com", "password": PASSWORD, "refresh_token": "rt-987"},
                           format="json", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_API_KEY=KEY)
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)

    assert sentry_server, "no event reached the DSN's server"
    sent = b"".join(sentry_server).decode()
    assert "report failed for" in sent and "RuntimeError" in sent and "ops/fails" in sent
    for secret in (token, KEY, PASSWORD, "rt-987", "session-cookie-value-123", token.split(".")[1]):
        assert secret not in sent
    assert "[Filtered]" in sent


def test_scrub_replaces_secrets_by_name_and_by_shape():
    event = {
        "request": {"headers": [["Authorization", "Bearer abc"], ["X-Api-Key", KEY], ["Accept", "*/*"]],
                    "data": {"password": PASSWORD, "note": f"my key is {KEY}"}},
        "exception": {"values": [{"value": f"bad key {KEY}", "stacktrace": {"frames": [
            {"vars": {"api_key": "'x'", "plaintext": f"'{KEY}'", "count": "3"}}]}}]},
        "modules": {"keyring": "25.0"},  # a package name is not a secret
    }
    scrubbed = sentry.scrub(event)
    assert scrubbed["request"]["headers"] == [["Authorization", "[Filtered]"], ["X-Api-Key", "[Filtered]"], ["Accept", "*/*"]]
    assert scrubbed["request"]["data"] == {"password": "[Filtered]", "note": "my key is [Filtered]"}
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert frame == {"api_key": "[Filtered]", "plaintext": "'[Filtered]'", "count": "3"}
    assert scrubbed["exception"]["values"][0]["value"] == "bad key [Filtered]"
    assert scrubbed["modules"] == {"keyring": "25.0"}

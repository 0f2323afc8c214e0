"""Log records' shape: JSON lines with the request's id, user and route in production; gunicorn's
access log as JSON lines of the same shape."""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from config import logs
from tests.conftest import api_client
from tests.core.test_settings import PRODUCTION, ROOT, database_url


@pytest.fixture
def json_lines():
    """What the root logger writes with the production configuration, as parsed JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLines())
    handler.addFilter(logs.RequestContext())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_request_logs_json_with_its_request_id_user_and_route(json_lines, settings, user_a):
    settings.ROOT_URLCONF = "tests.core.urls"
    response = api_client(user_a).get("/ops/logs/weekly", HTTP_X_REQUEST_ID="req-42.abc")
    assert response.status_code == 200 and response["X-Request-ID"] == "req-42.abc"
    [record] = [r for r in json_lines() if r["logger"] == "tests.ops"]
    assert record == {
        "level": "WARNING", "logger": "tests.ops", "message": "served the report", "timestamp": record["timestamp"],
        "request_id": "req-42.abc", "user_id": str(user_a.id), "route": "ops/logs/<str:name>",
    }


def test_outside_a_request_the_context_is_empty(json_lines):
    try:
        raise ValueError("bad input")
    except ValueError:
        logging.getLogger("tests.ops").exception("job failed")
    [record] = json_lines()
    assert (record["request_id"], record["user_id"], record["route"]) == ("", "", "")
    assert record["level"] == "ERROR" and "ValueError: bad input" in record["exc_info"]


def test_development_logs_are_readable_lines(settings):
    config = logs.django_logging(json=False, level="INFO")
    assert config["formatters"]["default"] == {"format": logs.TEXT_FORMAT}
    assert logs.django_logging(json=True, level="INFO")["formatters"]["default"] == {"()": logs.JsonLines}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_access_log_is_json_with_the_request_id(committed_db):
    """A real gunicorn on the test database; its request writes nothing (a 404 is not audited), and
    the flush after the test removes whatever it might."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "EMBEDDED_PGDATA"}}
    env.update(PRODUCTION, DATABASE_URL=database_url(), SECURE_SSL_REDIRECT="false", ALLOWED_HOSTS="127.0.0.1",
               GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", LOG_LEVEL="INFO")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/no-such-endpoint?token=s3cret",
                                         headers={"X-Request-ID": "edge-7", "User-Agent": "probe/1"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 404
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    access = [json.loads(line) for line in out.splitlines()]
    record = access[-1]
    assert record["logger"] == "gunicorn.access" and record["level"] == "INFO"
    assert {k: record[k] for k in ("request_id", "method", "path", "status", "user_agent", "remote_addr")} == {
        "request_id": "edge-7", "method": "GET", "path": "/api/v1/no-such-endpoint", "status": 404,
        "user_agent": "probe/1", "remote_addr": "127.0.0.1"}
    assert record["duration_ms"] >= 0 and record["message"] == "GET /api/v1/no-such-endpoint 404"
    assert "s3cret" not in out
    errors = [json.loads(line) for line in err.splitlines()]  # gunicorn's own and the application's: JSON too
    assert {"gunicorn.error", "django.request"} <= {r["logger"] for r in errors}
    [not_found] = [r for r in errors if r["logger"] == "django.request"]
    assert (not_found["request_id"], not_found["status_code"]) == ("edge-7", 404)
    assert "s3cret" not in err

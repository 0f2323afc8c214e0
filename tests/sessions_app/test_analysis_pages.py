"""The analysis-session pages and admin: list, create, edit, delete; storing a value from the page;
each type drawn on its value page; sensitive values hidden until revealed; the admin never shows a value."""

import base64

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import User

from audit.models import DataStorage
from sessions_app.models import AnalysisSession, StoredValue
from sessions_app.storage import Figure, SessionStorage
from tests.sessions_app.test_storage import PNG, SVG


@pytest.fixture
def browser(user_a, pages):
    return pages(user_a)


@pytest.fixture
def session(user_a):
    return AnalysisSession.objects.create(user=user_a, name="Pricing", analysis_type="describe")


def test_list_create_edit_delete(browser, user_a):
    assert "No analysis sessions yet." in browser.get("/analysis/").content.decode()
    response = browser.post("/analysis/new/", {"name": "Retention", "analysis_type": "cohorts", "status": "active"}, follow=True)
    assert response.status_code == 200 and "Analysis session created." in response.content.decode()
    session = AnalysisSession.objects.get()
    assert session.user_id == user_a.id and session.expires_at is not None
    assert "Retention" in browser.get("/analysis/").content.decode()
    browser.post(f"/analysis/{session.pk}/edit/", {"name": "Renamed", "analysis_type": "cohorts", "status": "completed"})
    session.refresh_from_db()
    assert (session.name, session.status) == ("Renamed", "completed")
    assert browser.post(f"/analysis/{session.pk}/delete/").status_code == 302
    assert not AnalysisSession.objects.exists()


def test_store_text_and_json_from_the_page(browser, session):
    url = f"/analysis/{session.pk}/values/"
    response = browser.post(url, {"key": "note", "value_type": "text", "value": "hello\r\nworld"}, follow=True)
    assert "Stored “note”." in response.content.decode()
    browser.post(url, {"key": "params", "value_type": "json", "value": '{"alpha": 0.5, "tags": ["a"]}'})
    storage = SessionStorage(session)
    assert storage.get("note") == "hello\nworld" and storage.get("params") == {"alpha": 0.5, "tags": ["a"]}
    page = browser.get(f"/analysis/{session.pk}/").content.decode()
    assert "note" in page and "params" in page and "text" in page and "json" in page
    bad = browser.post(url, {"key": "broken", "value_type": "json", "value": "{nope"})
    assert bad.status_code == 400 and "Not valid JSON" in bad.content.decode()
    slash = browser.post(url, {"key": "a/b", "value_type": "text", "value": "x"})
    assert slash.status_code == 400 and not StoredValue.objects.filter(storage_key="a/b").exists()


def test_over_quota_from_the_page_is_shown_and_stores_nothing(browser, session, settings):
    settings.SESSION_STORAGE = {**settings.SESSION_STORAGE, "MAX_VALUE_BYTES": 10}
    response = browser.post(f"/analysis/{session.pk}/values/", {"key": "big", "value_type": "text", "value": "x" * 50})
    assert response.status_code == 400 and "quota" in response.content.decode()
    assert not StoredValue.objects.exists()


def test_each_type_is_drawn_on_its_page(browser, session):
    storage = SessionStorage(session)
    storage.set("table", pd.DataFrame({"n": np.arange(120), "label": [f"row-{i}" for i in range(120)]}))
    storage.set("png", PNG)
    storage.set("svg", SVG)
    storage.set("chart", Figure({"mark": "bar", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a"}}}))
    storage.set("plotly", Figure({"data": [{"type": "bar", "y": [1]}]}))
    storage.set("result", {"b": [1, 2], "a": "é"})

    first = browser.get(f"/analysis/{session.pk}/values/table/").content.decode()
    assert "row-0" in first and "row-49" in first and "row-50" not in first and "Rows 1–50 of 120" in first
    third = browser.get(f"/analysis/{session.pk}/values/table/?page=3").content.decode()
    assert "row-100" in third and "row-119" in third and "row-99" not in third

    png = browser.get(f"/analysis/{session.pk}/values/png/").content.decode()
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in png
    svg = browser.get(f"/analysis/{session.pk}/values/svg/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in svg and "<rect" not in svg  # an <img>, never inlined

    chart = browser.get(f"/analysis/{session.pk}/values/chart/").content.decode()
    assert "vendor/vega/vega-embed.min.js" in chart and 'id="figure-spec"' in chart and "plotly" not in chart
    plotly = browser.get(f"/analysis/{session.pk}/values/plotly/").content.decode()
    assert 'data-chart="plotly"' in plotly and "vendor/plotly/plotly-strict.min.js" in plotly
    assert "&quot;b&quot;: [\n    1," in browser.get(f"/analysis/{session.pk}/values/result/").content.decode()


def test_a_sensitive_value_is_hidden_until_revealed_and_the_reveal_is_audited(browser, session):
    SessionStorage(session).set("token", "tok-very-secret", sensitive=True)
    audited = set(DataStorage.objects.values_list("pk", flat=True))
    hidden = browser.get(f"/analysis/{session.pk}/values/token/").content.decode()
    assert "tok-very-secret" not in hidden and "Reveal value" in hidden
    assert not DataStorage.objects.filter(operation="get").exists()  # hidden: not read
    assert "tok-very-secret" not in browser.get(f"/analysis/{session.pk}/").content.decode()
    revealed = browser.get(f"/analysis/{session.pk}/values/token/?reveal=1").content.decode()
    assert "tok-very-secret" in revealed
    assert list(DataStorage.objects.exclude(pk__in=audited).values_list("operation", "storage_key")) == [("get", "token")]


def dated_frame() -> pd.DataFrame:
    days = pd.date_range("2026-01-05", periods=2, freq="D", tz="UTC", name="day")
    seen = pd.to_datetime(["2026-01-05 10:30", "2026-01-06 00:00"], utc=True)
    return pd.DataFrame({"orders": [38, 42], "last_seen": seen}, index=days)


def test_a_dataframe_shows_dates_as_dates(browser, session):
    SessionStorage(session).set("sales", dated_frame())
    page = browser.get(f"/analysis/{session.pk}/values/sales/").content.decode()
    assert '<th scope="row">2026-01-05</th>' in page and "2026-01-05 00:00:00" not in page  # dates: the day alone
    assert "2026-01-05 10:30:00+00:00" in page and "datetime64" in page  # times keep theirs; the dtype names the zone
    assert f'href="/analysis/{session.pk}/values/sales/csv/"' in page


def test_a_dataframe_downloads_as_csv_and_the_read_is_audited(browser, session):
    SessionStorage(session).set("weekly sales", dated_frame())
    audited = set(DataStorage.objects.values_list("pk", flat=True))
    response = browser.get(f"/analysis/{session.pk}/values/weekly%20sales/csv/")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="weekly sales.csv"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.decode() == (
        "day,orders,last_seen\n2026-01-05,38,2026-01-05 10:30:00+00:00\n2026-01-06,42,2026-01-06 00:00:00+00:00\n"
    )
    assert list(DataStorage.objects.exclude(pk__in=audited).values_list("operation", "storage_key")) == [("get", "weekly sales")]

    SessionStorage(session).set("plain", pd.DataFrame({"a": [1, 2]}))  # a default index is left out
    assert browser.get(f"/analysis/{session.pk}/values/plain/csv/").content.decode() == "a\n1\n2\n"


def test_csv_download_is_the_owners_only_and_only_of_a_dataframe(browser, session, user_b, pages, client):
    storage = SessionStorage(session)
    storage.set("sales", dated_frame())
    storage.set("note", "not a table")
    url = f"/analysis/{session.pk}/values/sales/csv/"
    assert pages(user_b).get(url).status_code == 404
    assert client.get(url).status_code == 302  # signed out: to the login page
    assert not DataStorage.objects.filter(operation="get").exists()  # nobody else read anything
    assert browser.get(f"/analysis/{session.pk}/values/note/csv/").status_code == 404
    assert browser.get(f"/analysis/{session.pk}/values/missing/csv/").status_code == 404


def test_describe_from_the_page(browser, session):
    SessionStorage(session).set("sales", pd.DataFrame({"revenue": [1.0, 2.0, 3.0]}))
    response = browser.post(f"/analysis/{session.pk}/describe/", {"source_key": "sales", "target_key": "summary"}, follow=True)
    assert "Described “sales” into “summary”." in response.content.decode()
    assert SessionStorage(session).get("summary").loc["mean", "revenue"] == 2.0


def test_delete_a_value_from_the_page(browser, session):
    SessionStorage(session).set("k", 1)
    assert browser.get(f"/analysis/{session.pk}/values/k/delete/").status_code == 200
    assert browser.post(f"/analysis/{session.pk}/values/k/delete/").status_code == 302
    assert SessionStorage(session).keys() == []
    assert browser.get(f"/analysis/{session.pk}/values/k/").status_code == 404


def test_admin_shows_type_and_size_never_the_value(session, client):
    SessionStorage(session).set("plain", {"marker": "plain-marker-123"})
    SessionStorage(session).set("secret", "secret-marker-456", sensitive=True)
    staff = User.objects.create_superuser("staff", "staff@example.com", "pw-for-staff-only")
    client.force_login(staff)
    for url in ["/admin/sessions_app/storedvalue/", f"/admin/sessions_app/analysissession/{session.pk}/change/",
                *(f"/admin/sessions_app/storedvalue/{pk}/change/" for pk in StoredValue.objects.values_list("pk", flat=True))]:
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert "plain-marker-123" not in body and "secret-marker-456" not in body and "gAAAA" not in body
    assert "plain" in client.get("/admin/sessions_app/storedvalue/").content.decode()

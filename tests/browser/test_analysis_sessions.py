"""Analysis sessions in Chromium: create a session, store a JSON value and a sensitive text from its
page, view them (the sensitive one only after revealing it), and see a stored DataFrame as a table
and a Vega-Lite figure drawn by the vendored vega-embed; upload a CSV file and see its table, and a
file of another type refused."""

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from audit.models import FileUpload
from sessions_app.models import AnalysisSession
from sessions_app.storage import Figure, SessionStorage
from tests.browser.test_flows import UUID, expect_message, log_in
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_create_a_session_store_and_view_values(page, live_server, make_user):
    user = make_user("analyst@example.com")
    log_in(page, live_server, user.email, PASSWORD)

    page.get_by_role("link", name="Analysis sessions").click()
    expect(page.get_by_role("heading", name="My analysis sessions")).to_be_visible()
    page.get_by_role("button", name="New analysis session").click()
    page.get_by_label("Name").fill("Basket analysis")
    page.get_by_label("Analysis type").fill("describe")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/analysis/{UUID}/$"))
    expect_message(page, "Analysis session created.")
    expect(page.get_by_text("No values stored yet.")).to_be_visible()
    session = AnalysisSession.objects.get(user=user)
    session_url = page.url

    # A JSON value from the page's form.
    form = page.locator("form", has=page.get_by_role("button", name="Store"))
    form.get_by_label("Key").fill("parameters")
    form.get_by_label("Type").select_option(label="JSON")
    form.get_by_label("Value").fill('{"alpha": 0.05, "segments": ["new", "returning"]}')
    form.get_by_role("button", name="Store").click()
    expect_message(page, "Stored “parameters”.")
    row = page.get_by_role("row", name=re.compile("parameters"))
    expect(row).to_contain_text("json")
    row.get_by_role("link", name="parameters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("parameters")
    expect(page.locator("pre.value")).to_contain_text('"alpha": 0.05')
    expect(page.locator("pre.value")).to_contain_text('"returning"')
    assert SessionStorage(session).get("parameters") == {"alpha": 0.05, "segments": ["new", "returning"]}

    # A sensitive text: listed, hidden until revealed.
    page.goto(session_url)
    form = page.locator("form", has=page.get_by_role("button", name="Store"))
    form.get_by_label("Key").fill("warehouse password")
    form.get_by_label("Value").fill("correct horse")
    form.get_by_label("Sensitive").check()
    form.get_by_role("button", name="Store").click()
    expect_message(page, "Stored “warehouse password”.")
    page.get_by_role("link", name="warehouse password").click()
    expect(page.get_by_test_id("stored-value")).not_to_contain_text("correct horse")
    page.get_by_role("button", name="Reveal value").click()
    expect(page.locator("pre.value")).to_have_text("correct horse")

    # Values stored by analysis code: a DataFrame as a table, a figure drawn by vega-embed.
    storage = SessionStorage(session)
    storage.set("baskets", pd.DataFrame({"basket": ["A", "B"], "items": [3, 5]}))
    storage.set("chart", Figure({"mark": "bar", "data": {"values": [{"k": "A", "v": 3}, {"k": "B", "v": 5}]},
                                 "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"}}}))
    page.goto(session_url)
    page.get_by_role("link", name="baskets").click()
    table = page.locator("table.frame")
    expect(table.get_by_role("row", name=re.compile("B"))).to_contain_text("5")
    page.goto(session_url)
    page.get_by_role("link", name="chart").click()
    expect(page.locator("#figure svg")).to_be_visible()

    # Describe the DataFrame from the session page.
    page.goto(session_url)
    page.get_by_label("Store the result as").fill("baskets summary")
    page.get_by_role("button", name="Run describe").click()
    expect_message(page, "Described “baskets” into “baskets summary”.")
    assert SessionStorage(session).get("baskets summary").loc["mean", "items"] == 4.0

    # Upload a CSV file from the page: stored as a DataFrame, drawn as a table, audited.
    form = page.locator("form", has=page.get_by_role("button", name="Upload"))
    form.get_by_label("File").set_input_files({"name": "visits.csv", "mimeType": "text/csv",
                                                "buffer": b"day,visits\nmonday,120\ntuesday,95\n"})
    form.get_by_role("button", name="Upload").click()
    expect_message(page, "Uploaded “visits.csv” as “visits”.")
    expect(page.get_by_role("row", name=re.compile("visits"))).to_contain_text("dataframe")
    page.get_by_role("link", name="visits").click()
    table = page.locator("table.frame")
    expect(table.get_by_role("row", name=re.compile("tuesday"))).to_contain_text("95")
    assert SessionStorage(session).get("visits")["visits"].tolist() == [120, 95]
    assert FileUpload.objects.get(file_name="visits.csv").status == "stored"

    # A file of a type that cannot be stored: the form says so, nothing is stored, the refusal is audited.
    page.goto(session_url)
    form = page.locator("form", has=page.get_by_role("button", name="Upload"))
    form.get_by_label("File").set_input_files({"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7"})
    form.get_by_role("button", name="Upload").click()
    expect(page.locator("form", has=page.get_by_role("button", name="Upload")).locator(".errorlist")).to_contain_text("Files .pdf cannot be stored.")
    assert "report" not in SessionStorage(session).keys()
    assert FileUpload.objects.get(file_name="report.pdf").status == "rejected"

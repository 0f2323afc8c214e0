"""The staff System page in Chromium under the Content-Security-Policy: its Vega-Lite charts are
drawn with no violation or console error."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from business import demo, tasks
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_the_system_page_draws_its_charts(page, live_server, make_user, problems):
    demo.load(make_user("owner@example.com"), lambda line: None)
    tasks.record_metrics()
    tasks.record_metrics()
    User.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    page.goto("/admin/login/?next=/admin/system/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("health-status")).to_have_text("ok")
    for chart in ("chart-table-sizes", "chart-queue", "chart-ingest"):
        expect(page.get_by_test_id(chart)).to_have_attribute("data-drawn", "true")
    expect(page.get_by_test_id("chart-table-sizes").locator("svg .mark-rect path")).to_have_count(15)
    expect(page.get_by_test_id("mrr")).to_have_text("34")  # $29 + $5 a month
    page.goto("/admin/")
    page.get_by_role("link", name="System").click()
    expect(page.get_by_test_id("system")).to_be_visible()
    assert problems() == []

"""The staff Growth page in Chromium: staff sign in to the admin, follow its Growth link, and every
chart is drawn under the Content-Security-Policy with no console error."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from growth import services, tasks
from tests.conftest import PASSWORD
from tests.growth.helpers import event, spend

CHARTS = ["chart-revenue", "chart-orders", "chart-aov", "chart-cac", "chart-conversion", "chart-spend", "chart-cohorts", "chart-first-touch"]


@pytest.mark.browser
def test_growth_dashboard_draws_its_charts(page, live_server, make_user, problems):
    today = timezone.now().date()
    for n, user in enumerate([make_user(), make_user()]):
        services.record_events(user.pk, [
            event("session_start", at=f"{today}T08:0{n}:00Z", props={"utm_source": ["google", "mail"][n], "utm_medium": "cpc"}),
            event("order_completed", at=f"{today}T08:1{n}:00Z", props={"revenue_cents": 4200 + n})])
    services.upsert_spend([spend(day=today.isoformat()), spend(platform="bing", day=today.isoformat())])
    tasks.refresh_rollups()
    User.objects.create_superuser("staff", "staff@example.com", PASSWORD)

    page.goto("/admin/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Growth").click()
    expect(page.get_by_test_id("growth-dashboard")).to_be_visible()
    for chart in CHARTS:
        element = page.get_by_test_id(chart)
        expect(element).to_have_attribute("data-drawn", "true")
        expect(element.locator("svg")).to_have_count(1)
    # Line charts have both axes, titled.
    expect(page.get_by_test_id("chart-revenue").locator(".role-axis-title")).to_have_text(["Day (UTC)", "Revenue"])
    assert problems() == []

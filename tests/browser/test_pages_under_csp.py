"""Every page that draws charts, in Chromium under the Content-Security-Policy (no 'unsafe-eval', no
inline script without the nonce): the chat's charts, stored Vega-Lite and Plotly figures and the
partner usage chart are drawn with zero CSP violations and zero console errors; so are Swagger UI and
the admin. Also what a phone shows: the site menu folds behind "Menu"."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from partners.models import Partner
from tests.browser.test_flows import log_in
from tests.conftest import PASSWORD
from tests.showcase import showcase


@pytest.mark.browser
def test_every_chart_is_drawn_under_the_policy(page, live_server, make_user, problems):
    user = make_user("charts@example.com")
    urls = showcase(user)
    log_in(page, live_server, user.email, PASSWORD)
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()

    page.goto(urls["chat"])
    charts = page.locator("#conversation figure.chart")
    expect(charts.nth(0).locator("svg .mark-rect path")).to_have_count(3)  # one bar per device category
    expect(charts.nth(1).locator("svg .mark-line path")).to_have_count(1)
    assert problems() == []

    page.goto(urls["vega-lite figure"])
    figure = page.locator("#figure")
    expect(figure).to_have_attribute("data-drawn", "true")
    expect(figure.locator("svg .mark-rect path")).to_have_count(4)
    page_width = page.locator("main").bounding_box()["width"]
    assert figure.locator("svg").bounding_box()["width"] > 0.9 * page_width  # fills its container
    assert problems() == []

    page.goto(urls["plotly figure"])
    figure = page.locator("#figure")
    expect(figure).to_have_attribute("data-drawn", "true")
    expect(figure.locator("svg.main-svg").first).to_be_visible()
    expect(figure.locator(".scatterlayer .trace")).to_have_count(1)
    expect(figure.locator(".gtitle")).to_have_text("Orders per day")
    assert problems() == []

    page.goto(urls["partner portal"])
    expect(page.get_by_test_id("usage-summary")).to_contain_text("40 events")
    chart = page.get_by_test_id("usage-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator("svg .mark-rect path")).to_have_count(30)  # one bar per UTC day
    labels = chart.locator("svg .role-axis-label text").all_text_contents()
    assert labels and all(re.fullmatch(r"[A-Z][a-z]{2} \d{2}", label) for label in labels[:3]), labels  # dated axis
    chart.locator("svg .mark-rect path").last.hover()
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("Events")
    expect(tooltip).to_contain_text("Insights")
    assert problems() == []


@pytest.mark.browser
def test_partner_without_events_sees_how_to_send_one(page, live_server, make_user, problems):
    user = make_user("quiet.partner@example.com")
    Partner.objects.create(user=user, name="Quiet", email=user.email)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, live_server, user.email, PASSWORD)
    page.goto("/partner/")

    empty = page.get_by_test_id("usage-empty")
    expect(empty).to_contain_text("No events in the last 30 days")
    expect(page.get_by_test_id("usage-chart")).to_have_count(0)
    expect(page.get_by_text("busiest day")).to_have_count(0)
    command = empty.locator("code#first-event-curl")
    expect(command).to_contain_text(f"curl -X POST {live_server.url}/api/v1/ingest/events")
    empty.get_by_role("button", name="Copy").click()
    expect(empty.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("curl -X POST") and '"event_type": "signup"' in copied
    assert problems() == []


@pytest.mark.browser
def test_swagger_ui_and_the_admin_work_under_the_policy(page, live_server, problems):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Supa monolith API")
    expect(page.locator(".opblock").first).to_be_visible()  # the operations, from /api/schema/
    assert problems() == []

    User.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    page.goto("/admin/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    page.goto("/admin/partners/partner/add/")
    expect(page.locator("#partner_form")).to_be_visible()
    page.goto("/admin/auth/user/")
    page.locator("#action-toggle").check()  # the changelist's script selects every row
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
    assert problems() == []


@pytest.mark.browser
def test_the_menu_folds_at_phone_width(page, live_server, make_user, problems):
    user = make_user("phone@example.com")
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server, user.email, PASSWORD)
    toggle = page.get_by_test_id("nav-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    menu = page.locator("#site-menu")
    expect(menu).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing off-screen

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for name in ["Research sessions", "Analysis sessions", "Partner portal", "Chats", "Google Analytics", "My activity"]:
        link = menu.get_by_role("link", name=name)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, name
    expect(menu.get_by_role("button", name="Log out")).to_be_in_viewport()
    menu.get_by_role("link", name="My activity").click()
    expect(page.get_by_role("heading", name="My activity")).to_be_visible()
    expect(menu).to_be_hidden()  # folded again on the next page

    page.keyboard.press("Escape")
    toggle.click()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()

    page.set_viewport_size({"width": 1280, "height": 800})  # wide: one row, no button
    expect(toggle).to_be_hidden()
    expect(menu.get_by_role("link", name="Chats")).to_be_visible()
    assert problems() == []

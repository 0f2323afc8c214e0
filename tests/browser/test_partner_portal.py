"""The partner portal in Chromium: create the profile, generate the key and see it once, use it,
see the usage chart, revoke the key."""

import json
import urllib.request
from datetime import UTC

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partners import keys
from partners.models import ApiKey, IngestionEvent, Partner
from tests.browser.test_flows import expect_message, log_in
from tests.conftest import PASSWORD


def ingest(live_server, key: str, count: int) -> int:
    body = json.dumps({"batch": [{"event_type": "view", "data": {"n": i}, "source": "web", "version": "1"} for i in range(count)]})
    request = urllib.request.Request(f"{live_server.url}/api/v1/ingest/events", data=body.encode(),
                                     headers={"Content-Type": "application/json", "X-API-Key": key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


@pytest.mark.browser
def test_partner_portal(page, live_server, make_user):
    user = make_user("partner@example.com")
    log_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Partner portal").click()

    expect(page.get_by_role("heading", name="Become a partner")).to_be_visible()
    expect(page.get_by_label("Contact email")).to_have_value("partner@example.com")
    page.get_by_label("Name").fill("Acme Analytics")
    page.get_by_role("button", name="Create profile").click()
    expect_message(page, "Partner profile created")
    assert Partner.objects.get().name == "Acme Analytics"

    page.get_by_role("button", name="Generate key").click()
    key = page.get_by_test_id("new-key").inner_text()
    assert key.startswith("epai_") and ApiKey.objects.get().key_hash == keys.hash_key(key)
    expect(page.get_by_role("alert").get_by_role("button", name="Copy")).to_be_visible()
    expect(page.get_by_test_id("key-status")).to_have_text("active")

    page.goto(f"{live_server.url}/partner/")  # the key was shown once: gone for good
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    assert ApiKey.objects.get().key_hash == keys.hash_key(key)
    assert key not in page.content()

    assert ingest(live_server, key, 12) == 201
    page.reload()
    today = timezone.now().astimezone(UTC)
    expect(page.get_by_test_id("usage-summary")).to_contain_text("12 events from")
    expect(page.get_by_test_id("usage-summary")).to_contain_text(f"busiest day {today:%b} {today.day} with 12 events")
    chart = page.get_by_test_id("usage-chart")
    bars = chart.locator("svg .mark-rect path")
    expect(bars).to_have_count(30)  # drawn by Vega-Lite, one bar per UTC day
    heights = [box["height"] for box in (bar.bounding_box() for bar in bars.all())]
    assert heights[-1] > 100 and not any(heights[:-1])  # today is the only day with events
    expect(page.locator("table code", has_text="/api/v1/ingest/events").first).to_be_visible()
    assert IngestionEvent.objects.count() == 12

    page.get_by_role("button", name="Revoke key").click()
    expect_message(page, "revoked")
    expect(page.get_by_test_id("key-status")).to_have_text("revoked")
    with pytest.raises(urllib.error.HTTPError) as refused:
        ingest(live_server, key, 1)
    assert refused.value.code == 401

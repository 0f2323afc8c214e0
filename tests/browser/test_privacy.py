"""The privacy dashboard in Chromium: give consent, allow an app, make a device token, send an
event through it, see it on the page redacted, and verify the transparency log."""

import json
import urllib.request
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from privacy.models import PrivacyPrefs, TelemetryEvent
from tests.browser.test_flows import expect_message, log_in
from tests.conftest import PASSWORD


def send(live_server, token: str, metadata: dict) -> dict:
    body = {"telemetry": [{"id": str(uuid.uuid4()), "timestamp": timezone.now().isoformat(), "app_id": "vscode",
                           "event_type": "edit", "metadata": metadata}]}
    request = urllib.request.Request(f"{live_server.url}/api/v1/privacy/ingest", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.browser
def test_privacy_dashboard(page, live_server, make_user, problems):
    user = make_user("private@example.com")
    log_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Privacy").click()
    expect(page.get_by_test_id("collection-status")).to_contain_text("not collecting")

    page.get_by_label("I consent to the desktop agent reporting my activity").check()
    page.get_by_label("Monitoring on").check()
    page.get_by_role("button", name="Save preferences").click()
    expect_message(page, "Privacy preferences saved")
    expect(page.get_by_test_id("collection-status")).to_contain_text("collecting")
    assert PrivacyPrefs.objects.get(user=user).consent_given

    page.get_by_text("Add an app").click()
    page.get_by_label("App id").fill("vscode")
    page.get_by_label("Name", exact=True).fill("Visual Studio Code")
    page.get_by_role("button", name="Add app").click()
    expect(page.get_by_test_id("apps")).to_contain_text("vscode")

    page.get_by_label("Device name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token").inner_text()
    assert token.startswith("pgd_")

    result = send(live_server, token, {"author": "ann@example.com", "api_key": "sk-live-123", "path": "/home/ann/plan.md"})
    assert result["stored"]["telemetry"] == 1
    page.goto(f"{live_server.url}/privacy/")
    recent = page.get_by_test_id("recent-telemetry")
    expect(recent).to_contain_text("[REDACTED_EMAIL]")
    expect(recent).to_contain_text("/home/[USER]/plan.md")
    assert "sk-live-123" not in page.content() and "ann@example.com" not in page.content()
    expect(page.get_by_test_id("timeline-chart").locator("svg .mark-rect path")).to_have_count(1)  # drawn by Vega-Lite
    assert TelemetryEvent.objects.get(user=user).metadata_redacted_json["api_key"] == "[REDACTED]"

    expect(page.get_by_test_id("chain-status")).to_contain_text("chain intact")
    expect(page.get_by_test_id("chain-status")).to_contain_text("3 entries verified")
    expect(page.get_by_test_id("log")).to_contain_text("device_token_created")
    assert not problems()

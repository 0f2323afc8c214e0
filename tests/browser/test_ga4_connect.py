"""Connecting Google Analytics in Chromium: the connect page → the (loopback) Google authorization
endpoint, which consents at once and redirects back with a code → the callback → the page showing
the property. Then reconnect and revoke."""

import pytest
from playwright.sync_api import expect

from chat.models import GA4Credential
from tests.browser.test_flows import expect_message, log_in, url
from tests.chat.loopback import LoopbackGoogle
from tests.conftest import PASSWORD


@pytest.fixture
def google(settings):
    with LoopbackGoogle() as provider:
        for name, value in provider.settings().items():
            setattr(settings, name, value)
        yield provider


@pytest.mark.browser
def test_connect_reconnect_and_revoke_a_property(page, live_server, google, make_user):
    user = make_user("analyst@example.com", PASSWORD)
    log_in(page, live_server, user.email, PASSWORD)

    page.get_by_role("link", name="Google Analytics").click()
    expect(page.get_by_role("heading", name="Google Analytics")).to_be_visible()
    expect(page.get_by_text("No Google Analytics property connected yet.")).to_be_visible()

    page.locator("main").get_by_role("button", name="Connect Google Analytics").click()
    main = page.locator("main")
    main.get_by_label("GA4 property id").fill("properties/123456789")
    main.get_by_label("Display name").fill("Web shop")
    main.get_by_role("button", name="Continue to Google").click()

    # Google (loopback) consented and sent the browser back through the callback.
    expect(page).to_have_url(url(live_server, "/chat/ga4/"))
    expect_message(page, "Connected “Web shop (123456789)”.")
    row = page.locator("tr[data-property-id='123456789']")
    expect(row).to_contain_text("Web shop")
    expect(row).to_contain_text("Active")
    assert google.calls["authorize"] == 1 and google.calls["token"] == 1
    credential = GA4Credential.objects.get(user=user)
    assert google.is_valid_refresh_token(credential.refresh_token)
    assert credential.refresh_token not in page.content()

    # Google withdrew the grant: the page offers to reconnect.
    GA4Credential.objects.filter(pk=credential.pk).update(status="needs_reauth", refresh_token=None, access_token=None)
    page.reload()
    expect(row).to_contain_text("Needs reconnecting")
    row.get_by_role("link", name="Reconnect").click()
    page.get_by_role("button", name="Continue to Google").click()
    expect(page).to_have_url(url(live_server, "/chat/ga4/"))
    expect_message(page, "Reconnected “Web shop (123456789)”.")
    expect(row).to_contain_text("Active")

    row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke access to “Web shop (123456789)”?")).to_be_visible()
    page.get_by_role("button", name="Revoke").click()
    expect_message(page, "Revoked access to “Web shop (123456789)”.")
    expect(row).to_contain_text("Revoked")
    credential.refresh_from_db()
    assert (credential.status, credential.refresh_token, credential.access_token) == ("revoked", None, None)
    assert google.calls["revoke"] == 1

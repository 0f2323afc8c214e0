"""Account → Security in Chromium: enrol an authenticator app from the page's secret, log in with a
code, and revoke another device's session."""

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.models import AuthSession
from tests.browser.test_flows import expect_message, log_in, url
from tests.conftest import PASSWORD


def enter_code(page, secret: str) -> None:
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.locator("main").get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()


@pytest.mark.browser
def test_enrol_totp_log_in_with_a_code_and_revoke_another_session(page, browser, live_server, make_user, problems):
    user = make_user("careful@example.com")
    log_in(page, live_server, user.email, PASSWORD)
    expect(page.get_by_test_id("signed-in-as")).to_have_text(user.email)

    # Enrol: the page shows the QR code and the secret; a code computed from the secret turns it on.
    page.get_by_role("link", name="Security").click()
    expect(page).to_have_url(url(live_server, "/accounts/security/"))
    expect(page.get_by_test_id("session-row")).to_have_count(1)
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator(".qr-code svg")).to_be_visible()
    assert problems() == []  # the inline QR code under the Content-Security-Policy
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.locator("main").get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify and turn on").click()
    expect_message(page, "Two-factor authentication is on")
    expect(page.get_by_role("button", name="Remove")).to_be_visible()

    # Log out, log in again: the password leads to the code step, the code to the dashboard.
    page.get_by_role("button", name="Log out").click()
    expect_message(page, "You are signed out.")
    log_in(page, live_server, user.email, PASSWORD)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert problems() == []
    enter_code(page, secret)
    expect(page).to_have_url(url(live_server, "/"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text(user.email)

    # Another device signs in too; this one revokes it, and its cookie signs in no one after.
    other = browser.new_context(base_url=live_server.url).new_page()
    log_in(other, live_server, user.email, PASSWORD)
    enter_code(other, secret)
    expect(other.get_by_test_id("signed-in-as")).to_have_text(user.email)
    assert AuthSession.objects.filter(user=user, aal="aal2").count() == 2

    page.goto("/accounts/security/")
    rows = page.get_by_test_id("session-row")
    expect(rows).to_have_count(2)
    rows.filter(has_not_text="this device").get_by_role("button", name="Revoke").click()
    expect_message(page, "The session is signed out.")
    expect(page.get_by_test_id("session-row")).to_have_count(1)

    other.goto("/accounts/security/")
    expect(other).to_have_url(url(live_server, "/accounts/login/?next=/accounts/security/"))
    other.context.close()

"""Organizations in Chromium: create one, invite a colleague by email, and the colleague — in a second
browser context, without an account yet — follows the link, signs up and joins; the switcher then
offers the organization."""

import pytest
from playwright.sync_api import expect

from organizations.models import Membership
from tests.browser.test_flows import expect_message, log_in
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_create_an_organization_invite_and_join_from_another_browser(page, browser, live_server, make_user, problems):
    owner = make_user("founder@example.com")
    log_in(page, live_server, owner.email, PASSWORD)
    page.goto("/organizations/")
    expect(page.get_by_test_id("organization-list")).to_contain_text("Personal")

    page.get_by_text("New organization").click()
    page.get_by_test_id("organization-create").get_by_label("Name").fill("Rocket Labs")
    page.get_by_role("button", name="Create organization").click()
    expect_message(page, "Organization “Rocket Labs” created")
    expect(page.get_by_test_id("organization-name")).to_have_text("Rocket Labs")
    expect(page.get_by_test_id("my-role")).to_have_text("Owner")
    expect(page.get_by_test_id("org-switcher").locator("summary")).to_have_text("Rocket Labs")

    invite = page.get_by_test_id("invite-form")
    invite.get_by_label("Email").fill("colleague@example.com")
    invite.get_by_label("Role").select_option("admin")
    invite.get_by_role("button", name="Invite").click()
    link = page.get_by_test_id("invite-link").input_value()
    expect(page.get_by_test_id("invitation-list")).to_contain_text("colleague@example.com")
    assert problems() == []

    # The colleague, in a browser of their own: no account yet.
    other = browser.new_context(base_url=live_server.url).new_page()
    other.goto(link)
    other.get_by_test_id("join-signup").click()
    main = other.locator("main")
    main.get_by_label("Email").fill("colleague@example.com")
    main.get_by_label("Password", exact=True).fill("another-sound-passphrase-2026")
    main.get_by_label("Confirm password").fill("another-sound-passphrase-2026")
    main.get_by_role("button", name="Sign up").click()
    other.get_by_test_id("join").click()
    expect_message(other, "You joined “Rocket Labs” as admin")
    expect(other.get_by_test_id("organization-name")).to_have_text("Rocket Labs")
    expect(other.get_by_test_id("org-switcher").locator("summary")).to_have_text("Rocket Labs")

    # The link was single-use; the owner sees the new admin.
    other.goto(link)
    other.get_by_test_id("join").click()
    expect(other.get_by_test_id("error")).to_contain_text("not valid")
    page.reload()
    expect(page.get_by_test_id("member-list")).to_contain_text("colleague@example.com")
    assert Membership.objects.filter(organization__name="Rocket Labs").count() == 2
    assert problems() == []

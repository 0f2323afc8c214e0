"""End-to-end flows through the real pages, as a user in Chromium sees them.

The browser does all the work; the ORM only makes a pre-existing user and checks what the database
holds afterwards.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts import passwords
from accounts.models import AuthUser
from sessions_app.models import DraftFile, ResearchSession
from tests.conftest import PASSWORD

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def url(live_server, path: str) -> str:
    return f"{live_server.url}{path}"


def log_in(page, live_server, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label("Email").fill(email)
    main.get_by_label("Password").fill(password)
    main.get_by_role("button", name="Log in").click()


def expect_message(page, text: str) -> None:
    expect(page.locator("ul.messages [role=status]")).to_contain_text(text)


@pytest.mark.browser
def test_sign_up_lands_on_the_dashboard_signed_in(page, live_server):
    email, password = "new.reader@example.com", "a-sound-passphrase-2026"

    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    main = page.locator("main")
    main.get_by_label("Email").fill(email)
    main.get_by_label("Password", exact=True).fill(password)
    main.get_by_label("Confirm password").fill(password)
    main.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(url(live_server, "/"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text(email)
    expect_message(page, "Welcome! Your account is ready.")
    expect(page.get_by_role("heading", name="My research sessions")).to_be_visible()
    expect(page.get_by_text("No research sessions yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    user = AuthUser.objects.get(email=email)
    assert (user.aud, user.role, user.is_sso_user, user.is_anonymous) == ("authenticated", "authenticated", False, False)
    assert user.email_confirmed_at is not None
    assert user.encrypted_password != password
    assert passwords.check_password(password, user.encrypted_password)


@pytest.mark.browser
def test_research_session_and_draft_file_lifecycle_then_log_out(page, live_server, make_user):
    user = make_user("researcher@example.com")

    # Signed out, the dashboard sends us to the login page, which brings us back.
    page.goto("/")
    expect(page).to_have_url(url(live_server, "/accounts/login/?next=/"))
    main = page.locator("main")
    main.get_by_label("Email").fill(user.email)
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(url(live_server, "/"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text(user.email)
    expect_message(page, f"Signed in as {user.email}.")

    # Create a research session.
    page.get_by_role("button", name="New research session").click()
    expect(page).to_have_url(url(live_server, "/research/new/"))
    expect(page.get_by_role("heading", name="New research session")).to_be_visible()
    page.get_by_label("Title").fill("Tidal energy survey")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_label("Stage").select_option(label="2. Planning")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/research/{UUID}/$"))
    expect_message(page, "Research session created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tidal energy survey")
    expect(page.locator("hgroup")).to_contain_text("In progress")
    expect(page.locator("hgroup")).to_contain_text("2. Planning")
    expect(page.get_by_text("No draft files yet.")).to_be_visible()
    session = ResearchSession.objects.get(user=user)
    assert (session.title, session.status, session.stage) == ("Tidal energy survey", "in_progress", "2_planning")
    assert page.url == url(live_server, f"/research/{session.pk}/")

    # The dashboard lists it.
    page.get_by_role("link", name="Research sessions").click()
    expect(page).to_have_url(url(live_server, "/"))
    row = page.get_by_role("row", name=re.compile("Tidal energy survey"))
    expect(row).to_contain_text("In progress")
    expect(row).to_contain_text("2. Planning")
    row.get_by_role("link", name="Tidal energy survey").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/"))

    # Edit its title.
    page.get_by_role("button", name="Edit").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/edit/"))
    expect(page.get_by_role("heading", name="Edit research session")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Tidal energy survey")
    page.get_by_label("Title").fill("Tidal energy survey, North Sea")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/"))
    expect_message(page, "Research session saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tidal energy survey, North Sea")
    session.refresh_from_db()
    assert (session.title, session.status, session.stage) == ("Tidal energy survey, North Sea", "in_progress", "2_planning")

    # Add a draft file.
    page.get_by_role("button", name="Add draft file").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/files/new/"))
    expect(page.get_by_role("heading", name="New draft file")).to_be_visible()
    page.get_by_label("File name").fill("outline.md")
    page.get_by_label("Content").fill("# Outline\n\n1. Sites\n2. Costs")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/"))
    expect_message(page, "Draft file added.")
    draft_card = page.locator("article").filter(has=page.get_by_text("outline.md", exact=True))
    expect(draft_card.locator("pre.draft")).to_have_text("# Outline\n\n1. Sites\n2. Costs")
    expect(page.get_by_text("No draft files yet.")).to_have_count(0)
    draft = DraftFile.objects.get(session=session)
    assert (draft.file_name, draft.content) == ("outline.md", "# Outline\n\n1. Sites\n2. Costs")

    # Edit the draft file.
    draft_card.get_by_role("link", name="Edit").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/files/{draft.pk}/"))
    expect(page.get_by_role("heading", name="Edit draft file")).to_be_visible()
    expect(page.get_by_label("File name")).to_have_value("outline.md")
    page.get_by_label("File name").fill("plan.md")
    page.get_by_label("Content").fill("# Plan\n\nVisit three sites.")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/"))
    expect_message(page, "Draft file saved.")
    draft_card = page.locator("article").filter(has=page.get_by_text("plan.md", exact=True))
    expect(draft_card.locator("pre.draft")).to_have_text("# Plan\n\nVisit three sites.")
    expect(page.get_by_text("outline.md", exact=True)).to_have_count(0)
    draft.refresh_from_db()
    assert (draft.file_name, draft.content) == ("plan.md", "# Plan\n\nVisit three sites.")

    # Delete the draft file, through its confirmation page.
    draft_card.get_by_role("link", name="Delete").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/files/{draft.pk}/delete/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete “plan.md”?")
    expect(page.get_by_text("This draft file will be removed.")).to_be_visible()
    page.locator("main").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/"))
    expect_message(page, "Deleted “plan.md”.")
    expect(page.get_by_text("No draft files yet.")).to_be_visible()
    assert not DraftFile.objects.filter(pk=draft.pk).exists()
    assert ResearchSession.objects.filter(pk=session.pk).exists()

    # Delete the session, through its confirmation page.
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(url(live_server, f"/research/{session.pk}/delete/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete “Tidal energy survey, North Sea”?")
    expect(page.get_by_text("The session and all its draft files will be removed.")).to_be_visible()
    page.locator("main").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(url(live_server, "/"))
    expect_message(page, "Deleted “Tidal energy survey, North Sea” and its draft files.")
    expect(page.get_by_text("No research sessions yet.")).to_be_visible()
    assert not ResearchSession.objects.filter(user=user).exists()

    # Log out: the dashboard is the login page's again.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(url(live_server, "/accounts/login/"))
    expect_message(page, "You are signed out.")
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(url(live_server, "/accounts/login/?next=/"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    assert AuthUser.objects.filter(pk=user.pk).exists()


@pytest.mark.browser
def test_failed_login_shows_the_error_and_stays_signed_out(page, live_server, make_user):
    user = make_user("mallory.target@example.com")

    log_in(page, live_server, user.email, "not-the-password")

    expect(page).to_have_url(url(live_server, "/accounts/login/"))
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    expect(page.locator("main").get_by_label("Email")).to_have_value(user.email)
    expect(page.locator("main").get_by_label("Password")).to_have_value("")

    page.goto("/")
    expect(page).to_have_url(url(live_server, "/accounts/login/?next=/"))
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    user.refresh_from_db()
    assert user.last_sign_in_at is None

"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download cannot work here, so the browser is the system Chromium at
CHROMIUM (override with BROWSER_EXECUTABLE). When it is missing, browser tests are skipped with a
notice, except under CI (CI=true), where they fail.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BROWSER_EXECUTABLE") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No network here: without these, Chromium keeps retrying refused background connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
MISSING = f"Chromium not found at {CHROMIUM}: install Debian's chromium to run the browser tests"


def chromium_available() -> bool:
    path = Path(CHROMIUM)
    return path.is_file() and os.access(path, os.X_OK)


def pytest_runtest_setup(item):
    """Before any fixture (no database or live server for nothing): skip, or fail under CI."""
    if item.get_closest_marker("browser") is None or chromium_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{MISSING} (CI=true: browser tests must run in CI)", pytrace=False)
    pytest.skip(MISSING)


@pytest.fixture(scope="module")
def browser():
    """Chromium, for one module's tests.

    Playwright's sync API keeps an event loop running in this thread while it is started, and Django
    refuses ORM calls (the tests' database checks and the fixtures' flushes) under a running loop unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set. Both last only as long as this fixture: set for the whole process,
    the variable would leak into other tests' subprocesses (`manage.py check --deploy` reports it as
    async.E001)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, _remove_new_end_users):
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def _remove_new_end_users(transactional_db):
    """auth.users is unmanaged, so the transactional flush after a live-server test leaves its rows
    behind; remove the ones this test made (their sessions and files go with them: ON DELETE CASCADE)."""
    from accounts.models import AuthUser

    before = set(AuthUser.objects.values_list("pk", flat=True))
    yield
    AuthUser.objects.exclude(pk__in=before).delete()

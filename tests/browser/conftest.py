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


# Recorded from before the first script runs (Playwright's init scripts are not subject to the CSP).
LISTEN = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));"""


@pytest.fixture
def problems(page):
    """What went wrong on the pages visited: CSP violations, console errors, uncaught exceptions."""
    found = []
    page.add_init_script(LISTEN)

    def console(message):
        # Browsers ask for /favicon.ico where a page names no icon (the admin): not these pages' doing.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            found.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda error: found.append(f"exception: {error}"))

    def check():
        found.extend(f"violation: {v}" for v in page.evaluate("window.__violations"))
        return found

    return check


@pytest.fixture
def page(browser, live_server, committed_db):
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()




# --- What the audit trail recorded during the browser suite ----------------------------------------
# Each live-server test ends with a flush of every table, so the rows are counted per test, just before
# that flush, and added up; the session prints the totals and writes test-results/audit-counts.txt.

@pytest.fixture(scope="session", autouse=True)
def _audit_trail_totals(request):
    totals: dict = {}
    yield totals
    if not totals:
        return
    from audit.models import AUDIT_MODELS

    lines = ["Audit trail recorded during the browser suite:"]
    for model in AUDIT_MODELS:
        table = model._meta.db_table
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(totals.get((table, "kinds"), {}).items()))
        lines.append(f"  {table}: {totals.get(table, 0)}" + (f" ({kinds})" if kinds else ""))
    out = Path(request.config.rootpath) / "test-results" / "audit-counts.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    _AUDIT_REPORT[:] = lines  # printed by pytest_terminal_summary: output during a teardown is captured


_AUDIT_REPORT: list = []


def pytest_terminal_summary(terminalreporter):
    if _AUDIT_REPORT:
        terminalreporter.write_line("")
        for line in _AUDIT_REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _count_audit_rows(request, _audit_trail_totals):
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so its flush runs after this counts
    from django.db import models

    from audit.models import AUDIT_MODELS

    kind_of = {"audit_logs": "action", "audit_user_activities": "activity_type"}

    def counts():
        found = {}
        for model in AUDIT_MODELS:
            table = model._meta.db_table
            found[table] = model.objects.count()
            if table in kind_of:
                rows = model.objects.values_list(kind_of[table]).order_by().annotate(n=models.Count("id"))
                found[(table, "kinds")] = dict(rows)
        return found

    before = counts()
    yield
    after = counts()
    for key, value in after.items():
        if isinstance(value, dict):
            kinds = _audit_trail_totals.setdefault(key, {})
            for kind, n in value.items():
                kinds[kind] = kinds.get(kind, 0) + max(n - before.get(key, {}).get(kind, 0), 0)
        else:
            _audit_trail_totals[key] = _audit_trail_totals.get(key, 0) + max(value - before.get(key, 0), 0)

"""The Content-Security-Policy (django-csp, settings.CONTENT_SECURITY_POLICY) on every page: each page
reachable by following links, signed out and signed in with one of every product's objects, answers
with the policy and a fresh nonce, without 'unsafe-eval' or an inline-script allowance, and every
script element that could run carries that nonce. Token responses are never cached."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.showcase import showcase

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")
DATA_TYPES = {"application/json", "application/ld+json", "importmap-data"}  # blocks CSP does not run
SKIP = ("/api/", "/admin/", "/static/")  # not our page templates (checked below)


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.scripts = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script":
            self.scripts.append(attrs)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def assert_strict(response):
    policy = directives(response)
    scripts = policy["script-src"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in scripts and "*" not in scripts and "data:" not in scripts
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    return policy


def crawl(client, start: str = "/") -> dict[str, object]:
    """Every page reachable from `start` by following same-site links (GET only), by path."""
    seen, queue = {}, [start]
    while queue:
        url = queue.pop()
        path = urlsplit(url).path
        if url in seen or path.startswith(SKIP) or path.endswith("/csv/"):
            continue
        response = client.get(url)
        seen[url] = response
        if response.status_code in (301, 302):
            queue.append(urljoin(url, response["Location"]))
        elif response["Content-Type"].startswith("text/html"):
            page = Page()
            page.feed(response.content.decode())
            queue.extend(urljoin(url, href) for href in page.links if not urlsplit(urljoin(url, href)).netloc)
    return seen


def is_page(response) -> bool:
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


def check_pages(pages: dict) -> set[str]:
    nonces = set()
    for url, response in pages.items():
        if not is_page(response):
            continue
        policy = assert_strict(response)
        found = NONCE.findall(" ".join(policy["script-src"]))
        assert len(found) == 1, f"{url}: no nonce in {response['Content-Security-Policy']}"
        page = Page()
        page.feed(response.content.decode())
        for script in page.scripts:
            if script.get("type") not in DATA_TYPES:
                assert script.get("nonce") == found[0], f"{url}: a script without the page's nonce: {script}"
        nonces.add(found[0])
    return nonces


def test_every_page_has_the_policy_with_a_fresh_nonce(db, pages, make_user):
    signed_out = crawl(pages(), "/accounts/login/")
    user = make_user()
    charts = showcase(user)
    signed_in = crawl(pages(user))

    html = [r for r in [*signed_out.values(), *signed_in.values()] if is_page(r)]
    assert len(html) >= 30, sorted(signed_in)  # the crawl did reach the products' pages
    assert {"/chat/", "/partner/", "/activity/"} <= set(signed_in)
    assert set(charts.values()) <= set(signed_in), "the chart pages are linked from the site"
    nonces = check_pages(signed_out) | check_pages(signed_in)
    assert len(nonces) == len(html)  # one per response


def test_error_pages_have_the_policy(db, pages, make_user, settings):
    settings.DEBUG = False
    response = pages(make_user()).get("/no/such/page/")
    assert response.status_code == 404
    assert_strict(response)


@pytest.mark.parametrize("path", ["/api/docs/", "/admin/login/"])
def test_swagger_ui_and_the_admin_have_the_policy_and_no_inline_script(db, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_strict(response)
    page = Page()
    page.feed(response.content.decode())
    assert page.scripts and all(script.get("src") or script.get("type") in DATA_TYPES for script in page.scripts)


def test_swagger_ui_start_up_script_is_a_file(db, client):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_token_response_is_never_cached(db, api, make_user):
    user = make_user()
    response = api().post("/api/v1/auth/token", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"

"""core.api.negotiation.ContentNegotiation answers as DRF's DefaultContentNegotiation does, for every
kind of Accept header and format request, one renderer or several."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from rest_framework import renderers
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request

from core.api.negotiation import ContentNegotiation
from core.api.renderers import JSONRenderer

ACCEPTS = [None, "*/*", "application/json", "application/json; indent=4", "application/*", "text/html",
           "text/html, application/json;q=0.9", "text/csv", "", "application/json, */*"]
QUERIES = ["", "format=json", "format=api", "format=", "page=2"]
RENDERER_SETS = {"json": [JSONRenderer], "json and api": [JSONRenderer, renderers.BrowsableAPIRenderer],
                 "csv": [renderers.StaticHTMLRenderer]}


def answer(negotiation, accept, query, renderer_classes, suffix):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(RequestFactory().get(f"/api/v1/things/?{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, [cls() for cls in renderer_classes], suffix)
    except (NotAcceptable, Http404) as error:
        return type(error).__name__
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("renderer_set", RENDERER_SETS)
@pytest.mark.parametrize("suffix", [None, "json", "csv"])
def test_answers_as_drf_does(renderer_set, suffix):
    for accept in ACCEPTS:
        for query in QUERIES:
            expected = answer(DefaultContentNegotiation(), accept, query, RENDERER_SETS[renderer_set], suffix)
            assert answer(ContentNegotiation(), accept, query, RENDERER_SETS[renderer_set], suffix) == expected, (accept, query)


def test_the_common_case_parses_no_accept_header(monkeypatch):
    monkeypatch.setattr(DefaultContentNegotiation, "get_accept_list", lambda *a: pytest.fail("parsed"))
    for accept in (None, "*/*", "application/json"):
        assert answer(ContentNegotiation(), accept, "page=2", [JSONRenderer], None) == ("JSONRenderer", "application/json")


def test_the_api_negotiates_with_it(api, user_a):
    assert api(user_a).get("/api/v1/research-sessions/", HTTP_ACCEPT="application/json")["Content-Type"] == "application/json"
    assert api(user_a).get("/api/v1/research-sessions/", HTTP_ACCEPT="text/csv").status_code == 406

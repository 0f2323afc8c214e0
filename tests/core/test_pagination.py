"""The shared page links (`templates/_pagination.html`) keep the list's other query parameters."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def _render(query, number):
    page = Paginator(list(range(50)), 10).page(number)
    request = RequestFactory().get("/list/", query)
    context = {"request": request, "is_paginated": True, "page_obj": page, "previous": "Newer", "next": "Older"}
    return render_to_string("_pagination.html", context)


def test_links_keep_filters_and_replace_the_page():
    html = _render({"status": "active", "tab": "storage", "page": "3"}, 3)
    assert 'href="?status=active&amp;tab=storage&amp;page=2"' in html
    assert 'href="?status=active&amp;tab=storage&amp;page=4"' in html
    assert "Page 3 of 5" in html and "← Newer" in html and "Older →" in html


def test_first_and_last_pages_link_one_way():
    first, last = _render({}, 1), _render({}, 5)
    assert "Newer" not in first and 'href="?page=2"' in first
    assert "Older" not in last and 'href="?page=4"' in last


def test_query_values_are_escaped():
    html = _render({"q": '"><script>'}, 2)
    assert "<script>" not in html

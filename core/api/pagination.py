"""Pagination styles of the API. DRF's fall back to defaults on a bad number; these refuse it with a
400, as their schema (minimum values) documents."""

import base64
import binascii
import re
from functools import cached_property
from urllib import parse

from django.core import paginator, signing
from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import replace_query_param

from core import rls
from core.api.errors import InvalidCursor
from core.db import compiler

_cursor_signer = signing.Signer(salt="core.api.pagination.cursor")
MAX_NUMBER = 10**9  # no page, size or offset of ours is larger; PostgreSQL's OFFSET stops at 2**63


def seal_cursor(text: str) -> str:
    """An opaque cursor: `text` signed with SECRET_KEY, so that a cursor this API did not give out,
    or one changed by hand, is refused (`open_cursor`) before any of it reaches a query."""
    return base64.urlsafe_b64encode(_cursor_signer.sign(text).encode()).decode().rstrip("=")


def open_cursor(token: str) -> str:
    try:
        return _cursor_signer.unsign(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (binascii.Error, ValueError, signing.BadSignature):
        raise InvalidCursor() from None


class StrictNumbers:
    """`strict_numbers` maps query parameters to their minimum: a present value must be a whole
    number at least that large."""

    strict_numbers: dict[str, int] = {}

    def number(self, request, name: str, default=None):
        value = request.query_params.get(name)
        if value is None:
            return default
        minimum = self.strict_numbers[name]
        if not re.fullmatch(r"[0-9]{1,10}", value) or not minimum <= int(value) <= MAX_NUMBER:
            raise ValidationError({name: [f"A whole number from {minimum} to {MAX_NUMBER} is required."]})
        return int(value)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in self.strict_numbers:
                parameter["schema"]["minimum"] = self.strict_numbers[parameter["name"]]
                parameter["schema"]["maximum"] = MAX_NUMBER
        return parameters


class Page(paginator.Page):
    """Django's, read whole rather than item by item: `Sequence.__iter__` calls `__getitem__` for
    each row (a type check and a list check each), and DRF's paginators return `list(page)`."""

    def __iter__(self):
        if not isinstance(self.object_list, list):
            self.object_list = list(self.object_list)  # as __getitem__ does: one query, not one a row
        return iter(self.object_list)


class Paginator(paginator.Paginator):
    """Django's, counting a queryset by its shape's reused COUNT statement (core.db.compiler), and
    for a queryset of tuples (a list read as rows) sending the count and the page's SELECT together,
    in one round trip — with the request transaction's COMMIT when they are its last reads
    (core.rls.ending); the page then validated as Django's does, with the count that came back."""

    @cached_property
    def count(self):
        if isinstance(self.object_list, QuerySet):
            return compiler.count(self.object_list)
        return super().count

    def page(self, number):
        if type(number) is int and number >= 1 and "count" not in self.__dict__ and isinstance(self.object_list, QuerySet):
            bottom = (number - 1) * self.per_page
            ending = rls.ending(self.object_list.db)  # a list's last reads (core.api.views.RowListMixin)
            read = compiler.count_and_rows(self.object_list, bottom, bottom + self.per_page + self.orphans, commit=bool(ending))
            if read is not None:
                if ending is not None:
                    rls.reads_sent()
                self.count, rows = read
                number = self.validate_number(number)
                top = bottom + self.per_page
                if top + self.orphans >= self.count:
                    top = self.count
                return self._get_page(rows[: top - bottom], number, self)
        return super().page(number)

    def _get_page(self, *args, **kwargs):
        return Page(*args, **kwargs)


class PageNumberPagination(StrictNumbers, pagination.PageNumberPagination):
    django_paginator_class = Paginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = f"Number of results to return per page (larger values return {max_page_size})."
    strict_numbers = {"page": 1, "page_size": 1}

    def get_page_size(self, request):
        return min(self.number(request, "page_size", self.page_size), self.max_page_size)

    def get_page_number(self, request, paginator):
        # DRF reads an empty `?page=` as page 1; the schema says a whole number of at least 1.
        return self.number(request, self.page_query_param, 1)


class CursorPagination(StrictNumbers, pagination.CursorPagination):
    """Newest first, stable under concurrent inserts: for append-only event tables."""

    ordering = ("-created_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    strict_numbers = {"page_size": 1}

    def get_page_size(self, request):
        return min(self.number(request, "page_size", self.page_size), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def encode_cursor(self, cursor):
        tokens = {"o": cursor.offset, "r": int(cursor.reverse)}
        if cursor.position is not None:
            tokens["p"] = cursor.position
        return replace_query_param(self.base_url, self.cursor_query_param, seal_cursor(parse.urlencode(tokens)))

    def decode_cursor(self, request):
        """DRF's, for a sealed cursor (seal_cursor): one not given out here is a 400
        `invalid_cursor` (DRF: 404). Its position is checked as a value of the ordering field too."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        tokens = parse.parse_qs(open_cursor(encoded), keep_blank_values=True)
        try:
            offset = pagination._positive_int(tokens.get("o", ["0"])[0], cutoff=self.offset_cutoff)
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens.get("p", [None])[0]
            if position is not None:
                self._model._meta.get_field(self.ordering[0].lstrip("-")).to_python(position)
        except (ModelValidationError, ValueError, TypeError, OverflowError):
            raise InvalidCursor() from None
        return pagination.Cursor(offset=offset, reverse=reverse, position=position)


class LimitOffsetPagination(StrictNumbers, pagination.LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000
    strict_numbers = {"limit": 1, "offset": 0}

    def get_limit(self, request):
        return min(self.number(request, "limit", self.default_limit), self.max_limit)

    def get_offset(self, request):
        return self.number(request, "offset", 0)

    def get_count(self, queryset):
        return compiler.count(queryset) if isinstance(queryset, QuerySet) else super().get_count(queryset)

"""Pagination styles of the API. DRF's fall back to defaults on a bad number; these refuse it with a
400, as their schema (minimum values) documents."""

import re

from django.core.exceptions import ValidationError as ModelValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from core.api.errors import InvalidCursor


class StrictNumbers:
    """`strict_numbers` maps query parameters to their minimum: a present value must be a whole
    number at least that large."""

    strict_numbers: dict[str, int] = {}

    def number(self, request, name: str, default=None):
        value = request.query_params.get(name)
        if value is None:
            return default
        minimum = self.strict_numbers[name]
        if not re.fullmatch(r"[0-9]+", value) or int(value) < minimum:
            raise ValidationError({name: [f"A whole number of at least {minimum} is required."]})
        return int(value)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in self.strict_numbers:
                parameter["schema"]["minimum"] = self.strict_numbers[parameter["name"]]
        return parameters


class PageNumberPagination(StrictNumbers, pagination.PageNumberPagination):
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

    def decode_cursor(self, request):
        """DRF's, but a cursor that is not one of ours is a 400 `invalid_cursor` (DRF: 404), and its
        position must be a value of the ordering field: a tampered one would reach the query."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise InvalidCursor() from None
        if cursor is not None and cursor.position is not None:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
            try:
                if "\x00" in cursor.position:
                    raise ValueError("NUL")
                field.to_python(cursor.position)
            except (ModelValidationError, ValueError, TypeError, OverflowError):
                raise InvalidCursor() from None
        return cursor


class LimitOffsetPagination(StrictNumbers, pagination.LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000
    strict_numbers = {"limit": 1, "offset": 0}

    def get_limit(self, request):
        return min(self.number(request, "limit", self.default_limit), self.max_limit)

    def get_offset(self, request):
        return self.number(request, "offset", 0)

"""Serializer bases: request fields take the values the schema documents, and lists of rows are
written out without DRF's per-value overhead (same output)."""

import contextvars
import datetime
import functools
import operator
import uuid
import zoneinfo
from functools import cached_property

import orjson
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.query import ModelIterable
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.fields import ISO_8601, Field, SkipField
from rest_framework.relations import PKOnlyObject, RelatedField
from rest_framework.settings import api_settings

from core.validators import WHITESPACE

NO_NUL = r"^[^\x00]*$"  # DRF refuses NUL characters (PostgreSQL text cannot hold them)
NOT_EMPTY = r"^[^\x00]+$"  # drf-spectacular adds the empty string as an alternative where blanks are allowed
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"


class StringOnly:
    """A string, as the schema says (`type: string`, `maxLength`): DRF's string fields would take `0`
    as "0", and check the length only after trimming whitespace, so a value one past the schema's
    `maxLength` with a leading space or newline would pass."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        max_length = getattr(self, "max_length", None)
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)
        return super().to_internal_value(data)


class CharField(StringOnly, serializers.CharField):
    pass


class SlugField(StringOnly, serializers.SlugField):
    pass


# The current time zone while a list is written out: DRF looks it up (a lock-guarded asgiref local)
# for every date-time value, 100 times for a page of 50 rows with two time stamps.
_list_zone = contextvars.ContextVar("list_zone")
_UNSET = object()
_UTC = {datetime.UTC, zoneinfo.ZoneInfo("UTC")}


class DateTimeField(serializers.DateTimeField):
    def default_timezone(self):
        zone = _list_zone.get(_UNSET)
        return super().default_timezone() if zone is _UNSET else zone

    def to_representation(self, value):
        # PostgreSQL's time stamps arrive in UTC; written out in UTC as ISO 8601 they need neither
        # astimezone() nor DRF's checks. Same text as DRF's path ("+00:00" becomes "Z").
        if (
            type(value) is datetime.datetime
            and value.tzinfo is datetime.UTC
            and getattr(self, "format", api_settings.DATETIME_FORMAT) == ISO_8601
            and (self.timezone if hasattr(self, "timezone") else self.default_timezone()) in _UTC
        ):
            return value.isoformat()[:-6] + "Z"
        return super().to_representation(value)

    def column_writer(self):
        """to_representation, for a column of one list (its time zone set): the UTC fast path
        decided once for the list, not per value."""
        if (getattr(self, "format", api_settings.DATETIME_FORMAT) != ISO_8601
                or (self.timezone if hasattr(self, "timezone") else self.default_timezone()) not in _UTC):
            return _values_written_by(self.to_representation)
        slow = _values_written_by(super().to_representation)

        def write(column):
            # orjson writes a UTC date-time as RFC 3339 with "Z": isoformat()'s text, "+00:00" as "Z"
            # (microseconds only when there are some), for a whole column in one call.
            if set(map(type, column)) <= _MOMENTS and set(map(_tzinfo, filter(None, column))) <= {datetime.UTC}:
                return orjson.loads(orjson.dumps(column, option=orjson.OPT_UTC_Z))
            return slow(column)

        return write


_MOMENTS = frozenset({datetime.datetime, type(None)})
_UUIDS = frozenset({uuid.UUID, type(None)})
_TEXTS = frozenset({str, type(None)})
_tzinfo = operator.attrgetter("tzinfo")


def _values_written_by(write):
    return lambda column: [None if value is None else write(value) for value in column]


def _text(column):
    """DRF's text and hex-verbose uuid fields write `str(value)`: text as it is, uuids as orjson
    writes them (the same hyphenated lower-case hex) in one call for the column."""
    kinds = set(map(type, column))
    if kinds <= _TEXTS:
        return list(column)
    if kinds <= _UUIDS:
        return orjson.loads(orjson.dumps(column))
    return [None if value is None else str(value) for value in column]


def _choices(field):
    """DRF's ChoiceField: a choice's value by its text, "" and any other text as they are."""
    mapping, slow = field.choice_strings_to_values, _values_written_by(field.to_representation)

    def write(column):
        if set(map(type, column)) <= _TEXTS:
            return [value if value is None or value == "" else mapping.get(value, value) for value in column]
        return slow(column)

    return write


def _column_writer(field, key: bool):
    """A function that writes a column (a sequence of values) out as `field.to_representation`
    writes each value, None as None (DRF's Serializer.to_representation): DRF's text and
    hex-verbose uuid fields are `str`; a related row's key is written from a PKOnlyObject."""
    method = type(field).to_representation
    if key:
        write = field.to_representation
        return lambda column: [None if value is None else write(PKOnlyObject(value)) for value in column]
    if method is serializers.CharField.to_representation or (
            method is serializers.UUIDField.to_representation and field.uuid_format == "hex_verbose"):
        return _text
    if method is serializers.ChoiceField.to_representation:
        return _choices(field)
    writer = getattr(field, "column_writer", None)
    return writer() if writer is not None else _values_written_by(field.to_representation)


class ListSerializer(serializers.ListSerializer):
    """DRF's, plus one time zone look-up per list, and rows: `rows_of()` turns the list's queryset
    into tuples of the columns the child writes out, which `to_representation` then writes out
    without making a model instance of each."""

    _rows = False

    def rows_of(self, queryset):
        """`queryset.values_list()` of the child's columns (ModelSerializer.row_columns), when it
        writes out columns of the queryset's own model only; `queryset` unchanged otherwise. The
        serializer then expects what comes of the one returned (all, or a page of it)."""
        columns = self.child.row_columns() if isinstance(self.child, ModelSerializer) else None
        query = queryset.query
        if (columns is None or queryset.model is not self.child.Meta.model or queryset._prefetch_related_lookups
                or query.distinct or query.combinator or query.values_select or queryset._iterable_class is not ModelIterable):
            return queryset
        self._rows = True
        return queryset.values_list(*columns)

    def to_representation(self, data):
        token = _list_zone.set(timezone.get_current_timezone() if settings.USE_TZ else None)
        try:
            if self._rows:
                # Column by column: each column's writer chosen once, each row a dict of the results.
                plan, rows = self.child._read_plan, list(data)
                if not rows:
                    return []
                columns = [_column_writer(field, key)(column) for (_, _, field, key), column in zip(plan, zip(*rows))]
                names = [name for name, _, _, _ in plan]
                return [dict(zip(names, values)) for values in zip(*columns)]
            return super().to_representation(data)
        finally:
            _list_zone.reset(token)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
        models.SlugField: SlugField,
        models.DateTimeField: DateTimeField,
    }

    @classmethod
    def many_init(cls, *args, **kwargs):
        serializer = super().many_init(*args, **kwargs)
        if type(serializer) is serializers.ListSerializer:  # Meta names no list class of its own
            serializer.__class__ = ListSerializer
        return serializer

    @cached_property
    def _read_plan(self):
        """(name, column or None, field, whether the value is a related row's key) of each readable
        field. A field that reads one plain model column with DRF's own `Field.get_attribute`, or
        the key of a foreign key with DRF's pk-only `RelatedField.get_attribute`, takes the loaded
        value from the instance's `__dict__` (where Django's column descriptor reads it): DRF's
        generic path (dicts, callables, dotted sources, defaults) changes nothing there, and costs
        ~1 µs a value. A serializer class whose plan can be shared (`_shared_plan`) builds no
        fields of its own to write out."""
        return _shared_plan(type(self)) or self._plan()

    def _plan(self):
        model = self.Meta.model
        columns = {
            f.name: f.attname for f in model._meta.concrete_fields
            if type(getattr(model, f.attname, None)) is DeferredAttribute and not f.is_relation
        }
        keys = {f.name: f.attname for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one}
        plan = []
        for field in self._readable_fields:
            source = field.source_attrs
            name = source[0] if len(source) == 1 else None
            if type(field).get_attribute is Field.get_attribute and name in columns:
                plan.append((field.field_name, columns[name], field, False))
            elif (isinstance(field, RelatedField) and type(field).get_attribute is RelatedField.get_attribute
                  and field.use_pk_only_optimization() and name in keys):
                plan.append((field.field_name, keys[name], field, True))
            else:
                plan.append((field.field_name, None, field, False))
        return plan

    def row_columns(self) -> list[str] | None:
        """The columns of `Meta.model` written out, in field order, when every readable field is
        one (see _read_plan): a list can then be read as rows of them (ListSerializer.rows_of)."""
        plan = self._read_plan
        return None if any(column is None for _, column, _, _ in plan) else [column for _, column, _, _ in plan]

    def to_representation(self, instance):
        if not isinstance(instance, self.Meta.model):  # a dict, say
            return super().to_representation(instance)
        ret, loaded = {}, instance.__dict__
        for name, column, field, key in self._read_plan:
            value = loaded.get(column, _UNSET)
            if value is _UNSET:  # not a plain column, or deferred: DRF's steps (Serializer.to_representation)
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject) and value.pk is None:
                    value = None
            elif key and value is not None:
                value = PKOnlyObject(value)
            ret[name] = None if value is None else field.to_representation(value)
        return ret


# Where a serializer's fields are made, and how a field writes a value out: a serializer class that
# changes none of these outside DRF and this module has the same fields for every instance.
_STOCK_MODULES = ("rest_framework.", __name__)
_FIELD_HOOKS = ("__init__", "fields", "get_fields", "get_field_names", "get_extra_kwargs", "build_field",
                "build_standard_field", "build_relational_field", "include_extra_kwargs", "_readable_fields")


def _stock(cls, name: str) -> bool:
    owner = next((k for k in cls.__mro__ if name in vars(k)), None)
    return owner is not None and owner.__module__.startswith(_STOCK_MODULES)


@functools.cache
def _shared_plan(serializer_class) -> list | None:
    """The read plan of `serializer_class`, made once from an instance without context, when its
    fields are made by DRF's and this module's code only and each writes out a column (or a key) by
    DRF's or this module's `to_representation`, which read no context: building a serializer's
    fields (~150 µs) is then paid once per class, not per list or object. None otherwise."""
    if not all(_stock(serializer_class, hook) for hook in _FIELD_HOOKS):
        return None
    plan = serializer_class()._plan()
    if any(column is None or not _stock(type(field), "to_representation") for _, column, field, _ in plan):
        return None
    return plan


class CharFieldSchema(OpenApiSerializerFieldExtension):
    """The request schema says what the field refuses: NUL characters, and only whitespace where
    blanks are not allowed (DRF trims it away first). A field with a RegexValidator documents that."""

    target_class = CharField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if direction == "request" and not any(isinstance(v, RegexValidator) for v in field.validators):
            schema["pattern"] = NOT_BLANK if field.trim_whitespace and not field.allow_blank else NOT_EMPTY
        return schema

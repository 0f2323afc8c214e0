"""A list's columns are written out (core.api.serializers._column_writer) as DRF's fields write each
value, whatever a column holds: orjson's one call per column for UTC date-times and uuids, the
per-value path for anything else."""

import datetime
import uuid
import zoneinfo

import pytest
from rest_framework import serializers as drf

from core.api.serializers import DateTimeField, _column_writer

UTC = datetime.UTC
MOMENTS = [datetime.datetime(2025, 2, 12, 19, 46, 3, 892081, tzinfo=UTC), datetime.datetime(2025, 1, 1, tzinfo=UTC),
           datetime.datetime(1, 1, 1, tzinfo=UTC), datetime.datetime(999, 12, 31, 23, 59, 59, 10, tzinfo=UTC),
           datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
COLUMNS = {
    "utc date-times": (DateTimeField, MOMENTS),
    "utc date-times and nulls": (DateTimeField, [None, *MOMENTS, None]),
    "other zones": (DateTimeField, [MOMENTS[0].astimezone(zoneinfo.ZoneInfo("Europe/Paris")), MOMENTS[1].replace(tzinfo=zoneinfo.ZoneInfo("UTC"))]),
    "naive": (DateTimeField, [datetime.datetime(2025, 1, 1, 12)]),
    "uuids": (drf.UUIDField, [uuid.uuid4() for _ in range(5)]),
    "uuids and nulls": (drf.UUIDField, [None, uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]),
    "uuid text": (drf.UUIDField, ["00000000-0000-0000-0000-000000000001"]),
    "text": (drf.CharField, ["", "café ✓", "x" * 500]),
    "text and nulls": (drf.CharField, ["a", None]),
    "not text": (drf.CharField, [1, 2.5]),
    "empty": (DateTimeField, []),
    "choices": (lambda: drf.ChoiceField(choices=[("a", "A"), ("1", "One"), ("", "none")]), ["a", "", None, "zz", "1"]),
    "choices of integers": (lambda: drf.ChoiceField(choices=[(1, "One"), (2, "Two")]), [1, "1", 2, None, 3]),
}


@pytest.mark.parametrize("name", COLUMNS)
def test_a_column_is_written_as_drf_writes_each_value(name, settings):
    settings.USE_TZ, settings.TIME_ZONE = True, "UTC"
    field_class, column = COLUMNS[name]
    field = field_class()
    expected = [None if value is None else field.to_representation(value) for value in column]
    if field_class is DateTimeField:  # DRF's own field, for the text it writes
        expected = [None if value is None else drf.DateTimeField().to_representation(value) for value in column]
    assert _column_writer(field, key=False)(tuple(column)) == expected

"""Time stamps come from psycopg's C loader with what Django's own loader gives: the instant, in the
connection's time zone object (UTC: `datetime.timezone.utc`). In UTC the connection's loader is
psycopg's C loader itself (core.db.base.UTCTimestamptzLoader); in another time zone a wrapper over it
(TimestamptzLoader)."""

import datetime
import zoneinfo

import psycopg
import pytest
from django.db import connection
from psycopg.pq import Format

from core.db.base import TIMESTAMPTZ_OID, TimestamptzLoader, UTCTimestamptzLoader, _loader_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text, expected", [
    ("2025-03-30 01:30:00.123456+02", datetime.datetime(2025, 3, 29, 23, 30, 0, 123456, tzinfo=datetime.UTC)),
    ("1999-12-31 23:59:59-05:30", datetime.datetime(2000, 1, 1, 5, 29, 59, tzinfo=datetime.UTC)),
    ("0001-01-01 00:00:00+00", datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)),
])
def test_timestamptz_values_as_django_reads_them(text, expected):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [text])
        [value] = cursor.fetchone()
    assert value == expected and value.tzinfo is datetime.UTC


def test_the_connection_loads_with_the_c_loader_in_djangos_time_zone():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert connection.timezone is datetime.UTC
    assert loader is UTCTimestamptzLoader and loader.timezone is connection.timezone  # Django's create_cursor reads it
    instance = loader(TIMESTAMPTZ_OID, connection.connection)
    if psycopg.pq.__impl__ == "binary":
        assert type(instance).__module__.startswith("psycopg_binary")  # no Python call per value
    assert instance.load(b"2025-01-01 00:00:00+00").tzinfo is datetime.UTC


def test_another_time_zone_gets_the_wrapper_in_that_zone():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    loader = _loader_in(paris)
    assert issubclass(loader, TimestamptzLoader) and loader.timezone is paris
    connection.ensure_connection()
    value = loader(TIMESTAMPTZ_OID, connection.connection).load(b"2025-01-01 00:00:00+00")
    assert value.tzinfo is paris  # Django's loader: the connection's wall time, labelled with its zone

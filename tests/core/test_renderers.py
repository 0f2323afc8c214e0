"""The API's JSON renderer (core/api/renderers.py) writes byte for byte what DRF's writes, and
refuses what DRF's refuses."""

import dataclasses
import datetime
import decimal
import enum
import uuid
import zoneinfo

import pytest
from django.db import models
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.api.renderers import JSONRenderer


class Colour(enum.Enum):
    RED = "red"


class Stage(models.TextChoices):
    FIRST = "1_first"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int
    y: str


MOMENT = datetime.datetime(2025, 2, 12, 19, 46, 3, 892081, tzinfo=datetime.UTC)
SAMPLES = {
    "page": {"count": 2, "next": "http://h/?page=2", "previous": None, "results": ReturnList([
        {"id": str(uuid.UUID(int=1)), "title": "café ✓ \"quoted\" \\ \n\t\x00\x1f\x7f", "n": 3, "ok": True,
         "created_at": "2025-01-01T00:00:00Z"},
    ], serializer=None)},
    "separators": {"u": "line\u2028para\u2029end"},
    "types DRF's encoder writes": [MOMENT, MOMENT.replace(microsecond=0), MOMENT.astimezone(zoneinfo.ZoneInfo("Europe/Paris")),
                                   datetime.date(2025, 1, 2), datetime.time(10, 11, 12, 5000), datetime.timedelta(seconds=90),
                                   uuid.uuid4(), gettext_lazy("Hello"), b"bytes", {3}, (1, 2)],
    "text and integer enums": [Stage.FIRST, Level.HIGH],
    "nested": {"a": [{"b": [[], {}, "", 0, -1, 2**63 - 1, -(2**63)]}]},
    "return dict": ReturnDict({"a": 1}, serializer=None),
    "float": {"x": [1.5, 1e-05, 1e16]},
    "decimal": {"x": decimal.Decimal("1.10")},
    "float from the encoder": [decimal.Decimal("0.00001")],
    "big integer": [2**64],
    "key not text": {1: "a", None: "b", False: "c"},
}


@pytest.mark.parametrize("name", SAMPLES)
def test_same_bytes_as_drf(name):
    data = SAMPLES[name]
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


@pytest.mark.parametrize("media_type", ["application/json; indent=4", "application/json; indent=0", "application/json"])
def test_indentation_as_drf(media_type):
    data = SAMPLES["page"]
    assert JSONRenderer().render(data, media_type) == renderers.JSONRenderer().render(data, media_type)
    assert JSONRenderer().render(data, None, {"indent": 2}) == renderers.JSONRenderer().render(data, None, {"indent": 2})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), "\ud800", Colour.RED, Point(1, "a")])
def test_refuses_what_drf_refuses(value):
    with pytest.raises(Exception) as drf:
        renderers.JSONRenderer().render({"v": [value]})
    with pytest.raises(type(drf.value)):
        JSONRenderer().render({"v": [value]})


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == b""


def test_the_api_renders_with_it(settings):
    from rest_framework.settings import api_settings

    assert JSONRenderer in api_settings.DEFAULT_RENDERER_CLASSES

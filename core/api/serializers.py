"""Serializer bases: request fields take the values the schema documents."""

from django.core.validators import RegexValidator
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core.validators import WHITESPACE

NO_NUL = r"^[^\x00]*$"  # DRF refuses NUL characters (PostgreSQL text cannot hold them)
NOT_EMPTY = r"^[^\x00]+$"  # drf-spectacular adds the empty string as an alternative where blanks are allowed
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"


class CharField(serializers.CharField):
    """A string, as the schema says (`type: string`): DRF's own would take `0` as "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
    }


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

"""Serializer bases: request fields take exactly the JSON types the schema documents."""

from django.db import models
from rest_framework import serializers


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

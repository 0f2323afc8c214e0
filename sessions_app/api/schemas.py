"""The body of `PUT /api/v1/analysis-sessions/{id}/storage/{key}`: one JSON Schema per value type,
compiled (fastjsonschema) to validate the body and published as the OpenAPI request body, so the
two never disagree. What JSON Schema cannot say (a table's rows fit its fields, the image's bytes
are what its base64 claims, no NUL inside nested JSON) the codecs check next (400 as well)."""

import fastjsonschema
from django.conf import settings

from sessions_app import codecs

NO_NUL = "^[^\\x00]*$"
# Whole base64 text (quads, then an optional padded tail), behind the first bytes of each image type.
_B64_REST = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
IMAGE_BASE64_PATTERNS = {
    codecs.PNG: "^iVBORw0KGgo[A-Za-z0-9+/]" + _B64_REST,  # \x89PNG\r\n\x1a\n
    codecs.JPEG: "^/9j/" + _B64_REST,  # \xff\xd8\xff
    codecs.SVG: "^(?:PHN2Z[A-Za-z0-9+/]{3}|PD94bWw[A-Za-z0-9+/])" + _B64_REST,  # "<svg" or "<?xml" (then an <svg> element)
}

_VALUES = {
    codecs.JSON: {"description": "Any JSON value (strings and keys without U+0000, nested at most 64 deep)."},
    codecs.TEXT: {"type": "string", "pattern": NO_NUL},
    codecs.DATAFRAME: {
        "type": "object",
        "description": "pandas' table schema, as `DataFrame.to_json(orient=\"table\")` writes it: the fields "
        "(with their types, `extDtype`, `tz`, categories) and the index as `primaryKey`; rows as objects. "
        "Each row's values must fit their field's type.",
        "properties": {
            "schema": {
                "type": "object",
                "properties": {
                    "fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string", "pattern": NO_NUL}, "type": {"type": "string"}},
                            "required": ["name", "type"],
                        },
                    },
                    "primaryKey": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["fields"],
            },
            "data": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["schema", "data"],
    },
    codecs.IMAGE: {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "mime_type": {"type": "string", "enum": [mime_type]},
                    "base64": {"type": "string", "pattern": pattern, "description": f"The {mime_type} file, base64."},
                },
                "required": ["mime_type", "base64"],
                "additionalProperties": False,
            }
            for mime_type, pattern in IMAGE_BASE64_PATTERNS.items()
        ]
    },
    codecs.FIGURE: {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "library": {"type": "string", "enum": [codecs.VEGA_LITE]},
                    "spec": {
                        "type": "object",
                        "description": "A Vega-Lite spec: a view (`mark`) or a composition; `$schema`, if given, names Vega-Lite.",
                        "properties": {"$schema": {"type": "string", "pattern": "vega-lite"}},
                        "anyOf": [{"required": [name]} for name in sorted(codecs.VEGA_LITE_KEYS)],
                    },
                },
                "required": ["library", "spec"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "library": {"type": "string", "enum": [codecs.PLOTLY]},
                    "spec": {
                        "type": "object",
                        "description": "A Plotly figure's JSON: `data`, a list of traces, and optionally a `layout`.",
                        "properties": {"data": {"type": "array", "items": {"type": "object"}}, "layout": {"type": "object"}},
                        "required": ["data"],
                    },
                },
                "required": ["library", "spec"],
                "additionalProperties": False,
            },
        ]
    },
}


def _body(value_type: str) -> dict:
    return {
        "type": "object",
        "title": f"Store a {value_type} value",
        "properties": {
            "type": {"type": "string", "enum": [value_type]},
            "value": _VALUES[value_type],
            "ttl_seconds": {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.SESSION_STORAGE["MAX_TTL"],
                "description": f"How long the value lives; default for {value_type}: "
                f"{settings.SESSION_STORAGE['RETENTION'][value_type]} s (SESSION_STORAGE_RETENTION_{value_type.upper()}).",
            },
            "sensitive": {"type": "boolean", "description": "Encrypt the value at rest. Default false."},
        },
        "required": ["type", "value"],
        "additionalProperties": False,
    }


BODIES = {value_type: _body(value_type) for value_type in codecs.VALUE_TYPES}
STORE_BODY_SCHEMA = {"oneOf": list(BODIES.values())}
_validators = {value_type: fastjsonschema.compile(schema) for value_type, schema in BODIES.items()}

def _field_errors(schema: dict, body, exc: fastjsonschema.JsonSchemaValueException) -> dict:
    if exc.rule == "required":
        return {name: ["This field is required."] for name in schema["required"] if name not in body}
    if exc.rule == "additionalProperties" and exc.name == "data":
        return {name: ["Unknown field."] for name in sorted(set(body) - set(schema["properties"]))}
    parts = exc.name.split(".")
    field = parts[1] if len(parts) > 1 else "non_field_errors"
    return {field: [exc.message.replace("data.", "", 1).replace("data ", "The body ", 1)]}


def parse_store_body(body) -> dict:
    """The validated PUT body; raises ValueError(field errors)."""
    if not isinstance(body, dict):
        raise ValueError({"non_field_errors": ["The body is a JSON object."]})
    value_type = body.get("type")
    if not isinstance(value_type, str) or value_type not in _validators:
        raise ValueError({"type": [f"One of {', '.join(codecs.VALUE_TYPES)}."]})
    try:
        _validators[value_type](body)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise ValueError(_field_errors(BODIES[value_type], body, exc)) from None
    return body

"""The one schema of a chat message's `content` (jsonb), checked at the API edge and on every answer
the assistant writes.

    user  {"type": "user", "text": "sessions by device category last 7 days"}
    ai    {"type": "ai", "answer": "...", "charts": [...], "metrics": [...], "citations": [...]}

A chart is a line, bar or pie chart of named series of (x, y) points, or a table of columns and
rows. A metric is a headline figure with its unit and its change against the previous period
(`delta`, in percent; null when the previous period had nothing to compare with).

The same dictionaries are compiled here (fastjsonschema: one pass, no serializer per item) and
published in OpenAPI (`chat.api`), so the documentation cannot drift from the validation.
"""

import fastjsonschema

from core.api.serializers import NO_NUL, NOT_BLANK

MAX_TEXT = 4000  # a question
MAX_ANSWER = 20_000
MAX_TITLE = 200
MAX_CHARTS = 10
MAX_SERIES = 10
MAX_POINTS = 1000
MAX_ROWS = 1000
MAX_COLUMNS = 20
MAX_METRICS = 20
MAX_CITATIONS = 20

CHART_KINDS = ["line", "bar", "pie", "table"]
METRIC_UNITS = ["count", "percent", "seconds", "currency", "ratio"]


def _text(max_length, *, blank=False, **extra):
    return {"type": "string", "maxLength": max_length, "pattern": NO_NUL if blank else NOT_BLANK, **({} if blank else {"minLength": 1}), **extra}


_SCALAR = {"oneOf": [{"type": "string", "maxLength": 500, "pattern": NO_NUL}, {"type": "number"}]}
_NUMBER_OR_NULL = {"type": "number", "nullable": True}

POINT_SCHEMA = {
    "type": "object",
    "properties": {"x": _SCALAR, "y": {"type": "number"}},
    "required": ["x", "y"],
    "additionalProperties": False,
}
SERIES_SCHEMA = {
    "type": "object",
    "properties": {
        "name": _text(200),
        "points": {"type": "array", "items": POINT_SCHEMA, "maxItems": MAX_POINTS},
    },
    "required": ["name", "points"],
    "additionalProperties": False,
}
SERIES_CHART_SCHEMA = {
    "type": "object",
    "description": "A line, bar or pie chart: one or more named series of (x, y) points.",
    "properties": {
        "kind": {"type": "string", "enum": ["line", "bar", "pie"]},
        "title": _text(MAX_TITLE),
        "x": _text(200, description="What the x values are (e.g. `date`, `deviceCategory`)."),
        "series": {"type": "array", "items": SERIES_SCHEMA, "minItems": 1, "maxItems": MAX_SERIES},
    },
    "required": ["kind", "title", "series"],
    "additionalProperties": False,
}
TABLE_CHART_SCHEMA = {
    "type": "object",
    "description": "A table: column names and rows of values (strings, numbers or null).",
    "properties": {
        "kind": {"type": "string", "enum": ["table"]},
        "title": _text(MAX_TITLE),
        "columns": {"type": "array", "items": _text(200), "minItems": 1, "maxItems": MAX_COLUMNS},
        "rows": {
            "type": "array",
            "maxItems": MAX_ROWS,
            "items": {
                "type": "array",
                "maxItems": MAX_COLUMNS,
                "items": {"oneOf": [{"type": "string", "maxLength": 500, "pattern": NO_NUL}, _NUMBER_OR_NULL]},
            },
        },
    },
    "required": ["kind", "title", "columns", "rows"],
    "additionalProperties": False,
}
CHART_SCHEMA = {"oneOf": [SERIES_CHART_SCHEMA, TABLE_CHART_SCHEMA]}
METRIC_SCHEMA = {
    "type": "object",
    "properties": {
        "name": _text(200),
        "value": {"type": "number"},
        "unit": {"type": "string", "enum": METRIC_UNITS},
        "delta": {**_NUMBER_OR_NULL, "description": "Change against the previous period, in percent (null: nothing to compare with)."},
    },
    "required": ["name", "value", "unit", "delta"],
    "additionalProperties": False,
}
CITATION_SCHEMA = {
    "type": "object",
    "properties": {"title": _text(500), "source": _text(2000)},
    "required": ["title", "source"],
    "additionalProperties": False,
}
USER_CONTENT_SCHEMA = {
    "type": "object",
    "title": "UserContent",
    "description": "A question asked by the user.",
    "properties": {"type": {"type": "string", "enum": ["user"]}, "text": _text(MAX_TEXT)},
    "required": ["type", "text"],
    "additionalProperties": False,
}
AI_CONTENT_SCHEMA = {
    "type": "object",
    "title": "AIContent",
    "description": "An answer of the assistant: a sentence or two, charts, headline metrics and the reports it read.",
    "properties": {
        "type": {"type": "string", "enum": ["ai"]},
        "answer": _text(MAX_ANSWER),
        "charts": {"type": "array", "items": CHART_SCHEMA, "maxItems": MAX_CHARTS},
        "metrics": {"type": "array", "items": METRIC_SCHEMA, "maxItems": MAX_METRICS},
        "citations": {"type": "array", "items": CITATION_SCHEMA, "maxItems": MAX_CITATIONS},
    },
    "required": ["type", "answer"],
    "additionalProperties": False,
}
CONTENT_SCHEMA = {"oneOf": [USER_CONTENT_SCHEMA, AI_CONTENT_SCHEMA]}


def _json_schema(schema):
    """OpenAPI 3.0's `nullable` as JSON Schema's `"type": [..., "null"]` (fastjsonschema ignores the
    former)."""
    if isinstance(schema, dict):
        converted = {key: _json_schema(value) for key, value in schema.items() if key != "nullable"}
        if schema.get("nullable") is True:
            converted["type"] = [converted["type"], "null"]
        return converted
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    return schema


# Charts are checked one by one against the schema of their kind (the kinds of the two shapes do not
# overlap, so this is the `oneOf` above), which names the field at fault instead of "no shape matched".
_ANY_CHART = {"type": "object", "properties": {"kind": {"type": "string", "enum": CHART_KINDS}}, "required": ["kind"]}
_SCHEMAS = {
    "user": USER_CONTENT_SCHEMA,
    "ai": {**AI_CONTENT_SCHEMA, "properties": {**AI_CONTENT_SCHEMA["properties"], "charts": {**AI_CONTENT_SCHEMA["properties"]["charts"], "items": _ANY_CHART}}},
    "table": TABLE_CHART_SCHEMA,
    "series": SERIES_CHART_SCHEMA,
}
_VALIDATORS = {name: fastjsonschema.compile(_json_schema(schema)) for name, schema in _SCHEMAS.items()}


class ContentInvalid(Exception):
    """`fields`: DRF-style errors, nested along the path of the offending value
    (`{"charts": {"0": {"kind": ["Must be one of: line, bar, pie, table."]}}}`)."""

    def __init__(self, fields: dict):
        super().__init__("invalid content")
        self.fields = fields


def _nest(path, errors) -> dict:
    for key in reversed(path):
        errors = {str(key): errors}
    return errors


def _check(name: str, value, prefix: list) -> None:
    try:
        _VALIDATORS[name](value)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise ContentInvalid(_errors(exc, prefix)) from exc


def _errors(exc: fastjsonschema.JsonSchemaValueException, prefix: list) -> dict:
    path = prefix + list(exc.path[1:])
    if exc.rule == "required" and isinstance(exc.value, dict):
        return _nest(path, {name: ["This field is required."] for name in exc.rule_definition if name not in exc.value})
    if exc.rule == "additionalProperties" and isinstance(exc.value, dict):
        allowed = set(exc.definition.get("properties", {}))
        return _nest(path, {name: ["Unknown field."] for name in sorted(set(exc.value) - allowed)})
    if exc.rule == "pattern":
        message = "May not be blank or contain NUL characters."
    elif exc.rule == "enum":
        message = f"Must be one of: {', '.join(map(str, exc.rule_definition))}."
    elif exc.rule == "oneOf":
        message = "Must be a string or a number." if path and path[-1] == "x" else "Must be a string, a number or null."
    else:
        _, must, rest = exc.message.partition(" must ")  # fastjsonschema: "data.x must be number"
        message = f"Must {rest}." if must else exc.message
    if not path:
        return {"non_field_errors": [message]}
    return _nest(path, [message])


def validate(content, *, kinds=("user", "ai")) -> dict:
    """`content` when it is one of `kinds` and matches its schema; otherwise ContentInvalid naming the
    first error at its path."""
    if not isinstance(content, dict):
        raise ContentInvalid({"non_field_errors": ["Content must be a JSON object."]})
    kind = content.get("type")
    if kind not in kinds:
        raise ContentInvalid({"type": [f"Must be one of: {', '.join(kinds)}."]})
    _check(kind, content, [])
    for index, chart in enumerate(content.get("charts", []) if kind == "ai" else []):
        _check("table" if chart["kind"] == "table" else "series", chart, ["charts", index])
    return content

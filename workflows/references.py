"""Filling a step's params from the execution: `{{steps.<id>.output.<path>}}` and `{{input.<path>}}`.
A string that is exactly one reference becomes the referenced value (a number stays a number);
references inside a longer string are written in as text (JSON for objects and lists)."""

import json

from workflows.definition import REFERENCE


def _lookup(expression: str, context: dict):
    value = context
    for part in expression.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise ValueError(f"{{{{{expression}}}}} has no value in this execution.")
    return value


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def resolve(value, context: dict):
    """`value` (a step's params) with every reference filled; ValueError for one that has no value."""
    if isinstance(value, dict):
        return {key: resolve(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, context) for item in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = REFERENCE.fullmatch(value.strip())
    if whole:
        return _lookup(whole.group(1), context)
    return REFERENCE.sub(lambda m: _text(_lookup(m.group(1), context)), value)

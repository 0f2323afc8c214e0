"""Every operation documents the error responses it can give, in the shared error shape."""

from core.api.serializers import NO_NUL

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

_DESCRIPTIONS = {
    "400": "Invalid input; `fields` maps each field to its errors.",
    "401": "Missing, invalid or expired credentials.",
    "404": "No such object (or it belongs to someone else).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflicts with the current state (e.g. it exists already).",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests.",
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _DESCRIPTIONS.items():
                responses.setdefault(status, {"description": description, "content": {"application/json": {"schema": ref}}})
    return result


def forbid_nul_in_query(result, generator, request, public):
    """`core.api.views.RLSMixin` refuses a query parameter holding a NUL character: the free-text
    ones say so (the others already have a format, a pattern or a list of values)."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string" and not {"format", "pattern", "enum"} & set(schema):
                    schema["pattern"] = NO_NUL
    return result


def require_bodies_with_required_fields(result, generator, request, public):
    """drf-spectacular marks a body required from a serializer; a body given as a raw JSON Schema
    that requires fields (itself, or each of its `oneOf` alternatives) needs the same."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            body = operation.get("requestBody")
            if not body or body.get("required"):
                continue
            schemas = [media.get("schema", {}) for media in body.get("content", {}).values()]
            if schemas and all(s.get("required") or s.get("oneOf") and all(alt.get("required") for alt in s["oneOf"]) for s in schemas):
                body["required"] = True
    return result

"""A workflow's definition: a list of steps with explicit dependencies (a DAG).

    {"steps": [
        {"id": "ask", "kind": "ask_chat", "params": {"question": "sessions last 7 days"}},
        {"id": "busy", "kind": "condition", "needs": ["ask"],
         "params": {"value": "{{steps.ask.output.status}}", "op": "eq", "right": "complete"}},
        {"id": "notify", "kind": "http", "needs": ["busy"],
         "params": {"integration": "<uuid>", "body": {"text": "{{steps.ask.output.answer}}"}},
         "retry": {"max_attempts": 3, "backoff_seconds": 5}}
    ]}

Validated in two passes: ONE compiled JSON Schema (`SCHEMA`, also published in OpenAPI) for the
shape of every step and its kind's parameters, then `check_graph` for what a schema cannot say:
unique ids, known dependencies, no cycle, and references `{{steps.<id>.output.<field>...}}` that
name a step this one depends on (directly or through others) and a field that step's kind outputs.
`{{input.<path>}}` reads the execution's input object. Errors come back as field errors keyed by
the step's place (`steps[2].needs`).
"""

import re

import fastjsonschema

MAX_STEPS = 50
ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
UUID = {"type": "string", "pattern": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}
STORAGE_KEY = {"type": "string", "minLength": 1, "maxLength": 255}

# kind -> (JSON Schema of its params, the fields of its output a reference may name)
KINDS = {
    "ask_chat": ({
        "type": "object", "additionalProperties": False, "required": ["question"],
        "properties": {"question": TEXT, "integration": UUID},
        "description": "Ask the analytics chat a question; `integration`: a ga4 integration whose property it reads.",
    }, ("answer", "status", "error", "session_id", "message_id", "content")),
    "describe": ({
        "type": "object", "additionalProperties": False, "required": ["session", "source_key", "target_key"],
        "properties": {"session": UUID, "source_key": STORAGE_KEY, "target_key": STORAGE_KEY},
        "description": "pandas describe() of a DataFrame stored in an analysis session, stored under target_key.",
    }, ("key", "version", "size_bytes", "value_type")),
    "store_value": ({
        "type": "object", "additionalProperties": False, "required": ["session", "key", "value"],
        "properties": {"session": UUID, "key": STORAGE_KEY, "value": {}},
        "description": "Store a JSON value (or text) in an analysis session.",
    }, ("key", "version", "size_bytes", "value_type")),
    "generate_insights": ({
        "type": "object", "additionalProperties": False,
        "properties": {"models": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}, "maxItems": 20}},
        "description": "Generate the owner's partner insights (all built-in models by default).",
    }, ("insights", "count")),
    "http": ({
        "type": "object", "additionalProperties": False, "required": ["integration"],
        "properties": {
            "integration": UUID,
            "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
            "path": {"type": "string", "maxLength": 500, "pattern": r"^(/[^\s]*)?$"},
            "body": {},
        },
        "description": "Call the integration's URL (+ path), signed with its secret; the answer's status and body are the output.",
    }, ("status_code", "body", "truncated")),
    "wait": ({
        "type": "object", "additionalProperties": False, "required": ["seconds"],
        "properties": {"seconds": {"type": "number", "minimum": 0, "maximum": 86400}},
        "description": "Wait this long (the worker is free meanwhile).",
    }, ("waited_seconds",)),
    "condition": ({
        "type": "object", "additionalProperties": False, "required": ["value", "op"],
        "properties": {
            "value": {},
            "op": {"type": "string", "enum": ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "truthy", "falsy"]},
            "right": {},
        },
        "description": "Compare an earlier step's output; when false, every step that depends on this one is skipped.",
    }, ("result",)),
}

STEP = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "kind"],
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "kind": {"type": "string", "enum": list(KINDS)},
        "name": {"type": "string", "maxLength": 200},
        "needs": {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}, "maxItems": MAX_STEPS, "uniqueItems": True},
        "params": {"type": "object"},
        "retry": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "max_attempts": {"type": "integer", "minimum": 1, "maximum": 10},
                "backoff_seconds": {"type": "number", "minimum": 0, "maximum": 3600},
            },
        },
    },
    "allOf": [
        {"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
         "then": {"properties": {"params": params}, **({"required": ["params"]} if params.get("required") else {})}}
        for kind, (params, _) in KINDS.items()
    ],
}

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["steps"],
    "properties": {"steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS, "items": STEP}},
}

_validate = fastjsonschema.compile(SCHEMA)

# The same, as OpenAPI 3.0 can say it (no `if`/`then`): each kind's params are described, and checked
# by the full SCHEMA above (published as is at GET /api/v1/workflows/definition-schema).
OPENAPI_SCHEMA = {**SCHEMA, "properties": {"steps": {**SCHEMA["properties"]["steps"], "items": {
    key: value for key, value in STEP.items() if key != "allOf"} | {"description": "params by kind: " + "; ".join(
        f"{kind}: {params['description']}" for kind, (params, _) in KINDS.items())}}}}
REFERENCE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
REFERENCE_PATH = re.compile(r"^(?:steps\.([a-z][a-z0-9_]*)\.output(?:\.([A-Za-z0-9_\-]+))?(?:\.[A-Za-z0-9_\-]+)*|input(?:\.[A-Za-z0-9_\-]+)*)$")
DEFAULT_RETRY = {"max_attempts": 1, "backoff_seconds": 2}


class DefinitionInvalid(ValueError):
    def __init__(self, fields: dict):
        super().__init__("The workflow definition is invalid.")
        self.fields = fields


def _place(path) -> str:
    text = ""
    for part in path[1:]:  # path[0] is "data"
        index = isinstance(part, int) or (isinstance(part, str) and part.isdigit())
        text += f"[{part}]" if index else (f".{part}" if text else part)
    return text or "definition"


def validate(definition) -> dict:
    """The definition, checked; raises DefinitionInvalid with field errors ({"steps[1].kind": [...]})."""
    try:
        _validate(definition)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise DefinitionInvalid({_place(exc.path): [exc.message.replace(exc.name, _place(exc.path), 1)]}) from None
    check_graph(definition["steps"])
    return definition


def references(value):
    """Every reference expression (`steps.a.output.x`, `input.y`) in a step's params."""
    if isinstance(value, str):
        yield from REFERENCE.findall(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def check_graph(steps: list) -> None:
    errors: dict[str, list[str]] = {}
    index = {}
    for i, step in enumerate(steps):
        if step["id"] in index:
            errors.setdefault(f"steps[{i}].id", []).append(f"Step id {step['id']!r} is used twice.")
        index.setdefault(step["id"], i)
    for i, step in enumerate(steps):
        for need in step.get("needs", []):
            if need not in index:
                errors.setdefault(f"steps[{i}].needs", []).append(f"Unknown step {need!r}.")
            elif need == step["id"]:
                errors.setdefault(f"steps[{i}].needs", []).append("A step cannot depend on itself.")
    if errors:
        raise DefinitionInvalid(errors)
    cycle = _cycle(steps)
    if cycle:
        raise DefinitionInvalid({"steps": [f"The dependencies form a cycle: {' -> '.join(cycle)}."]})
    ancestors = ancestors_of(steps)
    for i, step in enumerate(steps):
        for expression in references(step.get("params", {})):
            match = REFERENCE_PATH.match(expression)
            problem = None
            if match is None:
                problem = f"{{{{{expression}}}}} is not a reference: use {{{{steps.<id>.output.<field>}}}} or {{{{input.<field>}}}}."
            elif match.group(1) is not None:
                target, field = match.group(1), match.group(2)
                if target not in index:
                    problem = f"{{{{{expression}}}}} names an unknown step {target!r}."
                elif target not in ancestors[step["id"]]:
                    problem = f"{{{{{expression}}}}}: step {target!r} is not among the steps this one needs (add it to `needs`)."
                elif field is not None and field not in KINDS[steps[index[target]]["kind"]][1]:
                    outputs = ", ".join(KINDS[steps[index[target]]["kind"]][1])
                    problem = f"{{{{{expression}}}}}: a {steps[index[target]]['kind']} step outputs {outputs}."
            if problem:
                errors.setdefault(f"steps[{i}].params", []).append(problem)
    if errors:
        raise DefinitionInvalid(errors)


def _cycle(steps: list) -> list[str] | None:
    needs = {step["id"]: step.get("needs", []) for step in steps}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node, trail):
        state[node] = 1
        for need in needs[node]:
            if state.get(need) == 1:
                return [*trail[trail.index(need):], need] if need in trail else [node, need]
            if need not in state:
                found = visit(need, [*trail, need])
                if found:
                    return found
        state[node] = 2
        return None

    for step in steps:
        if step["id"] not in state:
            found = visit(step["id"], [step["id"]])
            if found:
                return found
    return None


def ancestors_of(steps: list) -> dict[str, set[str]]:
    """Step id -> every step it depends on, directly or not (the graph has no cycle)."""
    needs = {step["id"]: step.get("needs", []) for step in steps}
    memo: dict[str, set[str]] = {}

    def of(node):
        if node not in memo:
            memo[node] = set()
            for need in needs[node]:
                memo[node] |= {need} | of(need)
        return memo[node]

    return {node: of(node) for node in needs}


def retry_policy(step: dict) -> dict:
    return {**DEFAULT_RETRY, **step.get("retry", {})}


def integrations_named(steps: list) -> set[str]:
    return {step["params"]["integration"] for step in steps if "integration" in step.get("params", {})}


def sessions_named(steps: list) -> set[str]:
    return {step["params"]["session"] for step in steps if "session" in step.get("params", {})}

"""Feature flag evaluation: who gets a flag, decided the same way on every call.

A flag's `metadata.rules` (validated by RULES_SCHEMA, compiled once) may hold:

- `percentage` (0–100, steps of 0.01): a rollout. A user's bucket is a stable hash of (flag key,
  user id) into 0..9999, and the flag is on when `bucket < percentage * 100` — so raising the
  percentage only adds users, never flips anyone back (PostHog and Unleash bucket the same way);
- `users`: user ids that always get it;
- `organizations`: organization ids whose members get it (the caller's organization is passed in);
- `plans`: plans whose subscribers get it (active or trialing subscriptions).

A disabled flag is off for everyone. An enabled flag without targeting rules is on for everyone.
With rules it is on when any of them matches. An anonymous caller has no bucket: a rollout reaches
them only at 100 %.
"""

import hashlib
import uuid
from dataclasses import dataclass

import fastjsonschema

BUCKETS = 10_000

_UUID = {"type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}
RULES_SCHEMA = {
    "type": "object",
    "properties": {
        "rules": {
            "type": "object",
            "properties": {
                "percentage": {"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
                "users": {"type": "array", "items": _UUID, "uniqueItems": True, "maxItems": 10_000},
                "organizations": {"type": "array", "items": _UUID, "uniqueItems": True, "maxItems": 10_000},
                "plans": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}, "uniqueItems": True},
            },
            "additionalProperties": False,
        },
    },
}
_validate = fastjsonschema.compile(RULES_SCHEMA)


class InvalidRules(ValueError):
    pass


def validate_metadata(metadata) -> None:
    """Raise InvalidRules (with the path of what is wrong) unless `metadata` is a flag's valid
    metadata: an object whose optional `rules` follow RULES_SCHEMA (other keys are free)."""
    if not isinstance(metadata, dict):
        raise InvalidRules("metadata must be a JSON object")
    try:
        _validate(metadata)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise InvalidRules(exc.message.replace("data", "metadata", 1)) from exc


def bucket(flag_key: str, subject) -> int:
    """The subject's bucket 0..9999 for this flag: the same for the same pair, forever."""
    digest = hashlib.sha256(f"{flag_key}:{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    plans: frozenset = frozenset()


def is_on(key: str, enabled: bool, metadata: dict, caller: Caller) -> bool:
    if not enabled:
        return False
    rules = (metadata or {}).get("rules") or {}
    if not rules:
        return True
    if caller.user_id is not None and str(caller.user_id).lower() in {u.lower() for u in rules.get("users", ())}:
        return True
    if caller.organization_id is not None and str(caller.organization_id).lower() in {o.lower() for o in rules.get("organizations", ())}:
        return True
    if caller.plans & set(rules.get("plans", ())):
        return True
    percentage = rules.get("percentage")
    if percentage is None:
        return False
    if caller.user_id is None:
        return percentage >= 100
    return bucket(key, caller.user_id) < round(percentage * 100)


def evaluate(flags, caller: Caller) -> dict[str, bool]:
    """{key: on?} for `flags` — (key, enabled, metadata) rows — as seen by `caller`."""
    return {key: is_on(key, enabled, metadata, caller) for key, enabled, metadata in flags}

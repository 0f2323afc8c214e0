"""The step kinds: each a real action of the product, reached only through the other apps'
services (DESIGN.md: the workflows app is the one orchestrator). A step gets its params with the
references already resolved, and a `Context` for acting as the workflow's owner.

Two sorts: *transactional* steps (storage, insights, condition) run inside the transaction that
records their result, so a worker that dies mid-step leaves neither: the step runs again, once.
*Outside* steps (HTTP, the chat, which make their own transactions or call out) run between the
transaction that marks them running and the one that records them: after a worker dies mid-call
they are made again (at least once). `wait` is the engine's own (it frees the worker meanwhile)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from chat import services as chat_services
from partners import services as partner_services
from sessions_app import services as session_services
from workflows import integrations
from workflows.models import Provider, UserIntegration


class StepFailed(Exception):
    def __init__(self, message: str, *, retriable: bool = True):
        super().__init__(message)
        self.retriable = retriable


@dataclass(frozen=True)
class Context:
    user: object  # accounts.models.AuthUser: the workflow's owner
    as_user: Callable  # as_user(): a transaction under the owner's RLS
    tenant_id: uuid.UUID  # the organization the steps act in: the workflow's, else the owner's personal one


def _integration(user, integration_id, providers) -> UserIntegration:
    integration = UserIntegration.objects.for_user(user).filter(pk=integration_id, provider__in=providers).first()
    if integration is None:
        raise StepFailed(f"No {' or '.join(providers)} integration {integration_id} of yours.", retriable=False)
    return integration


def _session(user, session_id):
    session = session_services.analysis_session(user, session_id)
    if session is None:
        raise StepFailed(f"No analysis session {session_id} of yours.", retriable=False)
    return session


def _entry(entry) -> dict:
    return {"key": entry.key, "version": entry.version, "size_bytes": entry.size_bytes, "value_type": entry.value_type}


# --- transactional: called inside the owner's transaction --------------------------------------------

def describe(ctx: Context, params: dict) -> dict:
    try:
        return _entry(session_services.describe(_session(ctx.user, params["session"]), params["source_key"], params["target_key"]))
    except session_services.StorageError as exc:
        raise StepFailed(str(exc), retriable=False) from None


def store_value(ctx: Context, params: dict) -> dict:
    try:
        return _entry(session_services.store_value(_session(ctx.user, params["session"]), params["key"], params["value"]))
    except (session_services.StorageError, ValueError) as exc:
        raise StepFailed(str(exc), retriable=False) from None


def generate_insights(ctx: Context, params: dict) -> dict:
    try:
        made = partner_services.generate_insights_for_user(ctx.user, params.get("models"))
    except (LookupError, KeyError) as exc:
        raise StepFailed(str(exc).strip("'\""), retriable=False) from None
    return {"insights": made, "count": len(made)}


def _number(value):
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def condition(ctx: Context, params: dict) -> dict:
    value, op, right = params["value"], params["op"], params.get("right")
    if op in {"gt", "gte", "lt", "lte"}:
        left_n, right_n = _number(value), _number(right)
        if left_n is None or right_n is None:
            raise StepFailed(f"{op} compares numbers; got {type(value).__name__} and {type(right).__name__}.", retriable=False)
        result = {"gt": left_n > right_n, "gte": left_n >= right_n, "lt": left_n < right_n, "lte": left_n <= right_n}[op]
    elif op == "contains":
        result = str(right) in value if isinstance(value, str) else isinstance(value, list | dict) and right in value
    else:
        result = {"eq": value == right, "ne": value != right, "truthy": bool(value), "falsy": not value}[op]
    return {"result": bool(result)}


# --- outside: called with no transaction open ------------------------------------------------------

def ask_chat(ctx: Context, params: dict) -> dict:
    credential_id = None
    if params.get("integration"):
        with ctx.as_user():
            integration = _integration(ctx.user, params["integration"], (Provider.GA4,))
            credential_id = integration.ga4_credential_id
    try:
        answer = chat_services.answer_now(ctx.user, params["question"], credential_id, tenant_id=ctx.tenant_id)
    except chat_services.CredentialNotYours:
        raise StepFailed("The integration's GA4 credential is gone.", retriable=False) from None
    if answer["status"] != "complete":
        raise StepFailed(answer["error"] or "The chat gave no answer.")
    return answer


def http(ctx: Context, params: dict) -> dict:
    with ctx.as_user():
        integration = _integration(ctx.user, params["integration"], integrations.HTTP_PROVIDERS)
    try:
        return integrations.call(integration, method=params.get("method", "POST"), path=params.get("path", ""), body=params.get("body"))
    except integrations.CallFailed as exc:
        raise StepFailed(str(exc), retriable=exc.retriable) from None


TRANSACTIONAL = {"describe": describe, "store_value": store_value, "generate_insights": generate_insights, "condition": condition}
OUTSIDE = {"ask_chat": ask_chat, "http": http}


def prepare(kind: str) -> None:
    """What a kind needs done as the connection role before it acts as the owner."""
    if kind == "generate_insights":
        partner_services.register_insight_models()

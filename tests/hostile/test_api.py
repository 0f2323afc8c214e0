"""The hostile-input suite: every operation of the live OpenAPI schema × the catalogue of hostile
input in payloads.py. Each case must answer a 4xx in the API's error shape and leave every table of
the product as it was (counted in the database). One test per operation tries every payload of its
kind, each in a savepoint of its own, and lists every case that failed.

How an endpoint joins: by being in the schema, nothing else; the operations are read from it at
collection. How a payload joins: one line in payloads.py. The caller is an owner with a row of every
kind, sent with valid credentials (except where the credentials are the payload) and real ids in the
path, so each hostile input meets the endpoint's real handling rather than a 404."""

import json
import re
import uuid

import pytest
from django.db import connection, transaction
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from chat.models import ChatMessage, ChatSession
from growth import services as growth_services
from growth.models import AnalyticsEvent
from partners import ingest
from partners import services as partner_services
from partners.models import Partner
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession
from sessions_app.storage import SessionStorage
from tests.conftest import token_for
from tests.hostile.payloads import BODIES, QUERIES, TOKENS
from tests.organizations.rows import org_rows
from workflows import services as workflow_services
from workflows.models import UserIntegration, Workflow

# The tables a hostile request must not change. The audit trail, request logs, security events and
# the cache are left out: recording a refusal is their job.
UNCHANGED_TABLES = [
    '"auth"."users"', '"auth"."sessions"', "research_sessions", "draft_files", "analysis_sessions", "session_storage",
    "partners", "api_keys", "models", "ingestion_events", "insights", "partner_usage_daily",
    "ga4_credentials", "chat_sessions", "chat_messages", "retention_policies",
    "organizations", "organization_members", "organization_invitations",
    "workflows", "workflow_versions", "workflow_executions", "user_integrations",
]


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in sorted(schema["paths"].items()):
        for method, operation in methods.items():
            schemes = {name for requirement in operation.get("security", []) for name in requirement}
            queries = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            yield method.upper(), path, "requestBody" in operation, schemes, queries


OPERATIONS = list(_operations())
WITH_BODY = [(m, p, s) for m, p, body, s, _ in OPERATIONS if body]
AUTHENTICATED = [(m, p) for m, p, _, s, _ in OPERATIONS if s]
WITH_QUERY = [(m, p, s, [query for query in QUERIES if query[0] in q]) for m, p, _, s, q in OPERATIONS
              if m == "GET" and any(query[0] in q for query in QUERIES)]


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def rows(owner):
    """A row of every kind the paths name, by the path prefix that reaches it (parent first)."""
    research = ResearchSession.objects.create(user=owner, title="Hostile")
    draft = DraftFile.objects.create(session=research, file_name="draft.md", content="x")
    analysis = AnalysisSession.objects.create(user=owner, name="Hostile")
    SessionStorage(analysis).set("kept", {"a": 1})
    partner = Partner.objects.create(user=owner, name="Hostile partner", email="hostile@example.com")
    _, key = partner_services.regenerate_key(partner)
    ingest.store(partner.pk, [{"event_type": "page_view", "data": {"path": "/"}, "source": "web", "version": "1"}])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(owner)}")
    chat = client.post("/api/v1/chat/sessions/", {"title": "Hostile"}, format="json").json()["id"]
    message = client.post(f"/api/v1/chat/sessions/{chat}/messages/", {"content": {"type": "user", "text": "hi"}},
                          format="json").json()["assistant_message"]["id"]
    assert ChatSession.objects.filter(pk=chat).exists() and ChatMessage.objects.filter(pk=message).exists()
    organization, member, invitation = org_rows(owner)
    workflow = workflow_services.save(Workflow(user=owner, name="Hostile", definition={"steps": [
        {"id": "pause", "kind": "wait", "params": {"seconds": 0}}]}), definition_changed=True)
    execution = workflow_services.start(workflow, {})
    hook_token, _ = workflow_services.rotate_webhook(workflow)
    integration = UserIntegration.objects.create(user=owner, provider="webhook", name="Hostile", config={"url": "https://hooks.example/"})
    return {
        "key": key,
        "paths": {
            "/api/v1/research-sessions/": [research.pk, draft.pk],
            "/api/v1/analysis-sessions/": [analysis.pk, "kept"],
            "/api/v1/chat/sessions/": [chat, message],
            "/api/v1/chat/messages/": [message],
            "/api/v1/ga4/credentials": ["00000000-0000-4000-8000-000000000000"],
            "/api/v1/organizations/{organization_id}/invitations/": [organization.pk, invitation.pk],
            "/api/v1/organizations/": [organization.pk, member.pk],
            "/api/v1/workflows/": [workflow.pk],
            "/api/v1/workflow-executions/": [execution.pk],
            "/api/v1/integrations/": [integration.pk],
            "/api/v1/hooks/workflows/": [hook_token],
            **privacy_rows(owner),
            "/api/v1/analytics/events/": [_analytics_event(owner)],
        },
    }


def privacy_rows(owner) -> dict:
    from privacy.devicetokens import create as create_device_token
    from privacy.models import AllowedApp, PrivacyExport, SignalToggle

    return {
        "/api/v1/privacy/apps": [AllowedApp.objects.create(user=owner, app_id="hostile").pk],
        "/api/v1/privacy/signals": [SignalToggle.objects.create(user=owner, signal_key="hostile").pk],
        "/api/v1/privacy/device-tokens": [create_device_token(owner, "hostile")[0].pk],
        "/api/v1/privacy/exports": [PrivacyExport.objects.create(user=owner, status="ready", archive=b"PK").pk],
    }
def _analytics_event(owner):
    row = {"event_id": str(uuid.uuid4()), "occurred_at": "2026-03-01T12:00:00Z", "event_name": "page_view"}
    growth_services.record_events(owner.pk, [row])
    return AnalyticsEvent.objects.get(user=owner).pk


def _path(template: str, rows) -> str:
    ids = next((ids for prefix, ids in rows["paths"].items() if template.startswith(prefix)), [])
    names = re.findall(r"{(\w+)}", template)
    for name, value in zip(names, ids):
        template = template.replace("{" + name + "}", str(value), 1)
    return template


def _credentials(schemes, owner, rows) -> dict:
    if not schemes:
        return {}
    if "ApiKey" in schemes:
        return {"HTTP_AUTHORIZATION": f"Api-Key {rows['key']}"}
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for(owner)}"}


def _counts() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in UNCHANGED_TABLES))
        return list(cursor.fetchone())


def _send(method: str, path: str, **extra):
    client = APIClient()
    client.raise_request_exception = False  # a crash is a 500 to report, not an exception here
    return client.generic(method, path, **extra)


def refusal_problem(response, before, statuses=range(400, 500)) -> str | None:
    """Why `response` is not a clean refusal (None when it is)."""
    if response.status_code not in statuses:
        return f"answered {response.status_code}: {response.content[:200]!r}"
    if not response["Content-Type"].startswith("application/json"):
        return f"answered {response['Content-Type']}, not JSON"
    error = json.loads(response.content).get("error")
    if not isinstance(error, dict) or set(error) != {"code", "message", "fields"} or not error["code"]:
        return f"answered outside the error shape: {response.content[:200]!r}"
    if _counts() != before:
        return "changed a table"
    return None


def try_all(method, path, cases, statuses=range(400, 500)):
    """Send every (label, request keywords) case; fail listing each one not cleanly refused."""
    problems = []
    for label, extra in cases:
        before = _counts()
        with transaction.atomic():
            response = _send(method, path, **extra)
            problem = refusal_problem(response, before, statuses)
            transaction.set_rollback(True)
        if problem:
            problems.append(f"{label}: {problem}")
    assert not problems, f"{method} {path}\n  " + "\n  ".join(problems)
    return response


@pytest.mark.parametrize("method, path, schemes", WITH_BODY, ids=[f"{m} {p}" for m, p, _ in WITH_BODY])
def test_hostile_bodies_are_refused(method, path, schemes, owner, rows):
    credentials = _credentials(schemes, owner, rows)
    try_all(method, _path(path, rows), [
        (body.name, {"data": body.content, "content_type": body.content_type, **credentials}) for body in BODIES
    ])


@pytest.mark.parametrize("method, path", AUTHENTICATED, ids=[f"{m} {p}" for m, p in AUTHENTICATED])
def test_hostile_tokens_are_401(method, path, owner, rows):
    try_all(method, _path(path, rows), [
        (name, {"data": b"{}", "content_type": "application/json", "HTTP_AUTHORIZATION": f"Bearer {make(str(owner.pk))}"})
        for name, make in TOKENS
    ], statuses={401})


@pytest.mark.parametrize("method, path, schemes, queries", WITH_QUERY, ids=[f"{m} {p}" for m, p, _, _ in WITH_QUERY])
def test_hostile_query_parameters_are_refused(method, path, schemes, queries, owner, rows):
    credentials = _credentials(schemes, owner, rows)
    try_all(method, _path(path, rows), [
        (label, {"QUERY_STRING": f"{name}={_quote(value)}", **credentials}) for name, value, label in queries
    ])


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def test_the_catalogue_reaches_every_kind_of_operation():
    """The schema is read: a change that empties it would pass the suite vacuously."""
    assert len(WITH_BODY) >= 20 and len(AUTHENTICATED) >= 50 and sum(len(q) for *_, q in WITH_QUERY) >= 30

"""Executions walked in-process (tests/jobs.run_deferred, in the test's transaction): every step kind,
references, conditions that skip, retries with backoff, cancellation, resuming after a dead walker."""

import hashlib
import hmac
import json

import pandas as pd
import pytest
from django.db import connection

from partners.models import IngestionEvent, Partner
from sessions_app.models import AnalysisSession
from sessions_app.storage import SessionStorage
from tests.jobs import run_deferred
from tests.workflows.conftest import SECRET, make_integration, make_workflow
from tests.workflows.loopback import Reply
from workflows import engine, services
from workflows.models import WorkflowExecution

pytestmark = pytest.mark.django_db


def run(workflow, data=None) -> WorkflowExecution:
    execution = services.start(workflow, data or {})
    run_deferred("workflows")
    execution.refresh_from_db()
    return execution


def test_a_multi_step_workflow_passes_outputs_along_and_calls_the_integration(user_a, endpoint):
    session = AnalysisSession.objects.create(user=user_a, name="numbers")
    SessionStorage(session).set("frame", pd.DataFrame({"x": [1, 2, 3, 4]}))
    hook = make_integration(user_a, endpoint.url)
    workflow = make_workflow(user_a, [
        {"id": "store", "kind": "store_value", "params": {"session": str(session.pk), "key": "note", "value": "{{input.note}}"}},
        {"id": "stats", "kind": "describe", "params": {"session": str(session.pk), "source_key": "frame", "target_key": "stats"}},
        {"id": "big", "kind": "condition", "needs": ["stats"], "params": {"value": "{{steps.stats.output.size_bytes}}", "op": "gt", "right": 0}},
        {"id": "notify", "kind": "http", "needs": ["big", "store"],
         "params": {"integration": str(hook.pk), "path": "/hook", "body": {"text": "stored v{{steps.store.output.version}}", "key": "{{steps.stats.output.key}}"}}},
    ])
    execution = run(workflow, {"note": "hello"})
    assert execution.status == "succeeded", execution.steps
    assert [execution.steps[s]["status"] for s in ("store", "stats", "big", "notify")] == ["succeeded"] * 4
    assert execution.output == {"notify": {"status_code": 200, "body": {"ok": True}, "truncated": False}}
    assert SessionStorage(session).read("note")[1] == "hello"
    [request] = endpoint.requests
    assert request["path"] == "/hook" and json.loads(request["body"]) == {"text": "stored v1", "key": "stats"}
    stamp = request["headers"]["X-Workflow-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Workflow-Signature"] == f"sha256={expected}"
    assert request["headers"]["X-Api-Token"] == "hdr-secret"
    assert "hdr-secret" not in json.dumps(execution.steps) and SECRET not in json.dumps(execution.steps)


def test_a_false_condition_skips_its_dependants(user_a):
    workflow = make_workflow(user_a, [
        {"id": "check", "kind": "condition", "params": {"value": "{{input.count}}", "op": "gt", "right": 10}},
        {"id": "pause", "kind": "wait", "needs": ["check"], "params": {"seconds": 0}},
        {"id": "after", "kind": "wait", "needs": ["pause"], "params": {"seconds": 0}},
        {"id": "always", "kind": "wait", "params": {"seconds": 0}},
    ])
    execution = run(workflow, {"count": 3})
    assert execution.status == "succeeded"
    assert {k: v["status"] for k, v in execution.steps.items()} == {"check": "succeeded", "pause": "skipped", "after": "skipped", "always": "succeeded"}
    assert execution.steps["check"]["output"] == {"result": False}


def test_generate_insights_step_makes_the_partners_insights(user_a):
    partner = Partner.objects.create(user=user_a, name="Shop")
    IngestionEvent.objects.create(partner=partner, event_type="order", data={}, source="web", version="1")
    execution = run(make_workflow(user_a, [{"id": "insights", "kind": "generate_insights", "params": {}}]))
    assert execution.status == "succeeded", execution.steps
    assert execution.steps["insights"]["output"]["count"] >= 1


def test_a_failing_call_is_retried_with_backoff_then_succeeds(user_a, endpoint):
    endpoint.replies = [Reply(status=503, body={"busy": True}), Reply(status=502)]
    hook = make_integration(user_a, endpoint.url)
    workflow = make_workflow(user_a, [{"id": "call", "kind": "http", "params": {"integration": str(hook.pk)},
                                       "retry": {"max_attempts": 3, "backoff_seconds": 0}}])
    execution = run(workflow)
    assert execution.status == "succeeded"
    assert execution.steps["call"]["attempts"] == 3 and execution.retries == 2 and len(endpoint.requests) == 3


def test_a_client_error_is_not_retried_and_fails_the_execution(user_a, endpoint):
    endpoint.replies = [Reply(status=400, body={"error": "nope"})]
    hook = make_integration(user_a, endpoint.url)
    workflow = make_workflow(user_a, [
        {"id": "call", "kind": "http", "params": {"integration": str(hook.pk)}, "retry": {"max_attempts": 3, "backoff_seconds": 0}},
        {"id": "next", "kind": "wait", "needs": ["call"], "params": {"seconds": 0}},
    ])
    execution = run(workflow)
    assert execution.status == "failed" and "answered 400" in execution.error
    assert execution.steps["call"]["attempts"] == 1 and "next" not in execution.steps


def test_a_retry_waits_for_its_backoff(user_a, endpoint):
    endpoint.replies = [Reply(status=500)]
    hook = make_integration(user_a, endpoint.url)
    workflow = make_workflow(user_a, [{"id": "call", "kind": "http", "params": {"integration": str(hook.pk)},
                                       "retry": {"max_attempts": 2, "backoff_seconds": 30}}])
    execution = services.start(workflow, {})
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE task_name = 'workflows.advance'")  # as a worker takes it
    engine.advance(execution.pk)
    execution.refresh_from_db()
    assert execution.status == "running" and execution.steps["call"]["status"] == "retrying"
    with connection.cursor() as cursor:
        cursor.execute("SELECT scheduled_at - now() FROM procrastinate_jobs WHERE status = 'todo' AND task_name = 'workflows.advance'")
        assert 25 < cursor.fetchone()[0].total_seconds() <= 31  # now(): the test transaction's start


def test_the_response_is_capped(user_a, endpoint, settings):
    settings.WORKFLOW_HTTP_MAX_RESPONSE_BYTES = 100
    endpoint.replies = [Reply(raw=b"x" * 10_000)]
    hook = make_integration(user_a, endpoint.url)
    execution = run(make_workflow(user_a, [{"id": "call", "kind": "http", "params": {"integration": str(hook.pk)}}]))
    assert execution.steps["call"]["output"] == {"status_code": 200, "body": "x" * 100, "truncated": True}


def test_cancelled_execution_stops_before_its_next_step(user_a):
    workflow = make_workflow(user_a, [
        {"id": "one", "kind": "wait", "params": {"seconds": 0}},
        {"id": "two", "kind": "wait", "needs": ["one"], "params": {"seconds": 0}},
    ])
    execution = services.start(workflow, {})
    assert services.cancel(execution)
    run_deferred("workflows")
    execution.refresh_from_db()
    assert execution.status == "cancelled" and execution.steps == {}
    assert not services.cancel(execution)


def test_a_walker_that_died_mid_step_reruns_only_that_step(user_a, endpoint):
    session = AnalysisSession.objects.create(user=user_a, name="numbers")
    hook = make_integration(user_a, endpoint.url)
    workflow = make_workflow(user_a, [
        {"id": "store", "kind": "store_value", "params": {"session": str(session.pk), "key": "k", "value": 1}},
        {"id": "call", "kind": "http", "needs": ["store"], "params": {"integration": str(hook.pk)}},
    ])
    execution = services.start(workflow, {})
    # As a dead walker leaves it: `store` done, `call` marked running.
    execution.status = "running"
    execution.steps = {"store": {"status": "succeeded", "attempts": 1, "output": {"key": "k", "version": 1}},
                       "call": {"status": "running", "attempts": 1}}
    execution.save()
    run_deferred("workflows")
    execution.refresh_from_db()
    assert execution.status == "succeeded" and execution.steps["call"]["attempts"] == 2
    assert SessionStorage(session).read("k") is None  # the step recorded as finished did not run again
    assert len(endpoint.requests) == 1


def test_steps_act_as_the_owner_only(user_a, user_b):
    others = AnalysisSession.objects.create(user=user_b, name="bob's")
    execution = run(make_workflow(user_a, [{"id": "store", "kind": "store_value",
                                            "params": {"session": str(others.pk), "key": "k", "value": 1}}]))
    assert execution.status == "failed" and "No analysis session" in execution.steps["store"]["error"]
    assert not SessionStorage(others).read("k")


def test_ask_chat_stores_the_answer_from_the_demo_property(user_a):
    from chat.ga4 import demo
    from chat.models import GA4Credential
    from workflows.models import UserIntegration

    credential = GA4Credential.objects.create(user=user_a, property_id=demo.PROPERTY_ID, property_name=demo.PROPERTY_NAME, is_demo=True)
    ga4 = UserIntegration.objects.create(user=user_a, provider="ga4", name="Demo", ga4_credential=credential)
    execution = run(make_workflow(user_a, [{"id": "ask", "kind": "ask_chat",
                                            "params": {"question": "sessions last 7 days", "integration": str(ga4.pk)}}]))
    assert execution.status == "succeeded", execution.steps
    assert "sessions" in execution.steps["ask"]["output"]["answer"].lower()


def test_ask_chat_files_its_chat_in_the_workflows_organization(user_a, user_b):
    """No request names an organization on a worker: the step's chat is the workflow's organization's
    (else the owner's personal one), whatever the owner picked in the pages since."""
    from chat.models import ChatSession
    from organizations.models import Membership, Organization

    acme = Organization.objects.create(name="Acme", slug="acme-ask-chat")
    Membership.objects.create(organization=acme, user=user_b, role="owner")
    Membership.objects.create(organization=acme, user=user_a, role="member")
    step = [{"id": "ask", "kind": "ask_chat", "params": {"question": "sessions last 7 days"}}]
    for organization, tenant in ((acme, acme.pk), (None, user_a.pk)):
        execution = run(make_workflow(user_a, step, organization=organization))
        assert execution.status == "succeeded", execution.steps
        chat = ChatSession.objects.get(pk=execution.steps["ask"]["output"]["session_id"])
        assert chat.user_id == user_a.pk and chat.tenant_id == tenant
        assert set(chat.messages.values_list("tenant_id", flat=True)) == {tenant}

"""The workflow pages: build (with validation messages), the step graph, run now, the timeline,
cancel; integrations add/test."""

import pytest

from tests.jobs import run_deferred
from workflows.models import UserIntegration, Workflow, WorkflowExecution

pytestmark = pytest.mark.django_db
DEFINITION = '{"steps": [{"id": "first", "kind": "wait", "params": {"seconds": 0}}, {"id": "second", "kind": "wait", "needs": ["first"], "params": {"seconds": 0}}]}'


def test_build_run_and_watch_a_workflow(pages, user_a):
    client = pages(user_a)
    assert client.get("/workflows/").status_code == 200
    bad = client.post("/workflows/new/", {"name": "Flow", "definition": '{"steps": [{"id": "a", "kind": "teleport"}]}', "schedule": ""})
    assert bad.status_code == 200 and "steps[0].kind" in bad.content.decode() and not Workflow.objects.exists()
    made = client.post("/workflows/new/", {"name": "Flow", "definition": DEFINITION, "schedule": "", "is_active": "on"})
    workflow = Workflow.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/workflows/{workflow.pk}/"
    page = client.get(f"/workflows/{workflow.pk}/").content.decode()
    assert 'data-step="first"' in page and "needs first" in page
    ran = client.post(f"/workflows/{workflow.pk}/run/", {"input": '{"x": 1}'})
    execution = WorkflowExecution.objects.get()
    assert ran["Location"] == f"/workflows/executions/{execution.pk}/" and execution.input == {"x": 1}
    queued = client.get(ran["Location"]).content.decode()
    assert 'http-equiv="refresh"' in queued and 'data-status="pending"' in queued
    run_deferred("workflows")
    done = client.get(ran["Location"]).content.decode()
    assert 'data-testid="execution-status">succeeded' in done and done.count('data-status="succeeded"') == 2
    assert "refresh" not in done
    assert "Flow" in client.get("/workflows/executions/?status=succeeded").content.decode()


def test_editing_the_definition_makes_a_new_version(pages, user_a):
    client = pages(user_a)
    client.post("/workflows/new/", {"name": "Flow", "definition": DEFINITION, "is_active": "on"})
    workflow = Workflow.objects.get()
    client.post(f"/workflows/{workflow.pk}/", {"name": "Flow", "definition": DEFINITION.replace('"seconds": 0}}]', '"seconds": 1}}]'), "is_active": "on"})
    workflow.refresh_from_db()
    assert workflow.version == 2 and workflow.versions.count() == 2


def test_cancel_from_the_page(pages, user_a):
    client = pages(user_a)
    client.post("/workflows/new/", {"name": "Flow", "definition": DEFINITION, "is_active": "on"})
    client.post(f"/workflows/{Workflow.objects.get().pk}/run/", {"input": "{}"})
    execution = WorkflowExecution.objects.get()
    client.post(f"/workflows/executions/{execution.pk}/cancel/")
    execution.refresh_from_db()
    assert execution.status == "cancelled"


def test_webhook_secret_is_shown_once(pages, user_a):
    client = pages(user_a)
    client.post("/workflows/new/", {"name": "Flow", "definition": DEFINITION, "is_active": "on"})
    workflow = Workflow.objects.get()
    client.post(f"/workflows/{workflow.pk}/webhook/")
    workflow.refresh_from_db()
    first = client.get(f"/workflows/{workflow.pk}/").content.decode()
    assert workflow.webhook_secret in first
    assert workflow.webhook_secret not in client.get(f"/workflows/{workflow.pk}/").content.decode()


def test_add_and_test_an_integration(pages, user_a, endpoint):
    client = pages(user_a)
    added = client.post("/workflows/integrations/", {"provider": "webhook", "name": "Ops", "url": endpoint.url, "signing_secret": "s3cret-value"})
    assert added.status_code == 302
    integration = UserIntegration.objects.get()
    assert integration.config == {"url": endpoint.url, "signing_secret": "s3cret-value"}
    tested = client.post(f"/workflows/integrations/{integration.pk}/test/", follow=True).content.decode()
    assert "Test of “Ops”" in tested and len(endpoint.requests) == 1
    assert "s3cret-value" not in tested

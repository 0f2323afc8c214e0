"""The workflows API: definitions validated (400 with field errors), versions made and immutable in
SQL, run now, executions and cancel, the inbound webhook (signature, rate limit), integrations whose
secrets never come back."""

import hashlib
import hmac
import json

import pytest
from django.db import DatabaseError, connection, transaction

from tests.conftest import api_client
from tests.jobs import deferred
from tests.workflows.conftest import SECRET, make_integration, make_workflow
from workflows import services
from workflows.models import UserIntegration, Workflow, WorkflowExecution, WorkflowVersion

pytestmark = pytest.mark.django_db
WAIT = {"id": "pause", "kind": "wait", "params": {"seconds": 0}}


def create(client, steps, **fields):
    return client.post("/api/v1/workflows/", {"name": "Flow", "definition": {"steps": steps}, **fields}, format="json")


def test_create_makes_version_one_and_a_changed_definition_version_two(user_a):
    client = api_client(user_a)
    response = create(client, [WAIT])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 1 and body["webhook_enabled"] is False
    url = f"/api/v1/workflows/{body['id']}/"
    assert client.patch(url, {"name": "Renamed"}, format="json").json()["version"] == 1
    changed = {"steps": [WAIT, {**WAIT, "id": "again", "needs": ["pause"]}]}
    assert client.patch(url, {"definition": changed}, format="json").json()["version"] == 2
    versions = client.get(f"{url}versions/").json()["results"]
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["definition"] == changed


@pytest.mark.parametrize(("steps", "field", "says"), [
    ([{"id": "a", "kind": "teleport"}], "definition.steps[0].kind", "must be one of"),
    ([{"id": "a", "kind": "wait", "params": {}}], "definition.steps[0].params", "seconds"),
    ([{"id": "a", "kind": "wait", "needs": ["b"], "params": {"seconds": 1}}, {"id": "b", "kind": "wait", "needs": ["a"], "params": {"seconds": 1}}],
     "definition.steps", "cycle"),
    ([{"id": "a", "kind": "wait", "needs": ["ghost"], "params": {"seconds": 1}}], "definition.steps[0].needs", "Unknown step 'ghost'"),
    ([WAIT, {"id": "b", "kind": "condition", "params": {"value": "{{steps.pause.output.waited_seconds}}", "op": "truthy"}}],
     "definition.steps[1].params", "not among the steps this one needs"),
    ([WAIT, {"id": "b", "kind": "condition", "needs": ["pause"], "params": {"value": "{{steps.pause.output.nope}}", "op": "truthy"}}],
     "definition.steps[1].params", "outputs waited_seconds"),
    ([WAIT, {"id": "b", "kind": "condition", "needs": ["pause"], "params": {"value": "{{steps.ghost.output}}", "op": "truthy"}}],
     "definition.steps[1].params", "unknown step 'ghost'"),
    ([WAIT, {**WAIT}], "definition.steps[1].id", "used twice"),
])
def test_invalid_definitions_are_400_with_field_errors_and_store_nothing(user_a, steps, field, says):
    response = create(api_client(user_a), steps)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    flat = {f"definition.{key}": value for key, value in error["fields"]["definition"].items()}
    assert says in " ".join(flat[field]), flat
    assert not Workflow.objects.exists()


def test_bad_cron_is_400(user_a):
    response = create(api_client(user_a), [WAIT], schedule="every minute")
    assert response.status_code == 400 and "schedule" in response.json()["error"]["fields"]


def test_versions_are_immutable_in_sql(user_a):
    workflow = make_workflow(user_a, [WAIT])
    for statement in ("UPDATE workflow_versions SET version = 9", "DELETE FROM workflow_versions"):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert WorkflowVersion.objects.get().version == 1
    workflow.delete()  # its versions go with it
    assert not WorkflowVersion.objects.exists()


def test_run_now_queues_an_execution_of_the_current_version(user_a):
    workflow = make_workflow(user_a, [WAIT])
    response = api_client(user_a).post(f"/api/v1/workflows/{workflow.pk}/run/", {"input": {"x": 1}}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["input"] == {"x": 1} and body["trigger"] == "manual"
    assert deferred("workflows") == [("workflows.advance", {"execution_id": body["id"]})]
    bad = api_client(user_a).post(f"/api/v1/workflows/{workflow.pk}/run/", {"input": [1]}, format="json")
    assert bad.status_code == 400 and WorkflowExecution.objects.count() == 1


def test_executions_list_filters_and_cancel(user_a):
    workflow = make_workflow(user_a, [WAIT])
    client = api_client(user_a)
    execution_id = client.post(f"/api/v1/workflows/{workflow.pk}/run/", {}, format="json").json()["id"]
    listed = client.get("/api/v1/workflow-executions/", {"status": "queued", "workflow": str(workflow.pk)}).json()
    assert [row["id"] for row in listed["results"]] == [execution_id]
    assert client.get("/api/v1/workflow-executions/", {"status": "running"}).json()["results"] == []
    assert client.post(f"/api/v1/workflow-executions/{execution_id}/cancel/").json()["status"] == "cancelled"
    again = client.post(f"/api/v1/workflow-executions/{execution_id}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "finished"


def test_workflow_runs_view_reads_executions_under_rls(user_a, user_b):
    execution = services.start(make_workflow(user_a, [WAIT]), {"k": "v"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, user_id, status, data FROM workflow_runs")
        assert cursor.fetchall() == [(execution.pk, user_a.pk, "queued", '{"k": "v"}')]
    from core import rls

    with rls.end_user(rls.claims_for(user_b)), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workflow_runs")
        assert cursor.fetchone()[0] == 0


def _signed(client, url, body: bytes, secret: str, **headers):
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature, **headers)


def test_webhook_runs_the_workflow_with_a_signed_body_only(user_a, client, settings):
    workflow = make_workflow(user_a, [WAIT])
    made = api_client(user_a).post(f"/api/v1/workflows/{workflow.pk}/webhook/")
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    url, secret = made.json()["url"], made.json()["secret"]
    path = url.split("testserver", 1)[1]
    body = json.dumps({"order": 42}).encode()

    assert _signed(client, path, body, "wrong-secret").status_code == 401
    unsigned = client.post(path, body, content_type="application/json")
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "bad_signature"
    assert client.post("/api/v1/hooks/workflows/not-a-token", body, content_type="application/json").status_code == 404
    assert not WorkflowExecution.objects.exists() and deferred("workflows") == []

    accepted = _signed(client, path, body, secret)
    assert accepted.status_code == 202
    execution = WorkflowExecution.objects.get()
    assert execution.input == {"order": 42} and execution.trigger == "webhook"
    assert Workflow.objects.get().webhook_secret == secret and secret not in json.dumps(api_client(user_a).get(f"/api/v1/workflows/{workflow.pk}/").json())


def test_webhook_is_rate_limited(user_a, client, settings):
    settings.WORKFLOW_WEBHOOK_RATE = {"calls": 2, "window": 60}
    workflow = make_workflow(user_a, [WAIT])
    made = api_client(user_a).post(f"/api/v1/workflows/{workflow.pk}/webhook/").json()
    path = made["url"].split("testserver", 1)[1]
    body = b"{}"
    assert [_signed(client, path, body, made["secret"]).status_code for _ in range(3)] == [202, 202, 429]
    assert WorkflowExecution.objects.count() == 2


def test_integration_secrets_never_come_back(user_a, endpoint):
    client = api_client(user_a)
    response = client.post("/api/v1/integrations/", {
        "provider": "webhook", "name": "Ops", "config": {"url": f"{endpoint.url}/in", "headers": {"Authorization": "Bearer hdr-secret"},
                                                         "signing_secret": SECRET}}, format="json")
    assert response.status_code == 201, response.json()
    text = json.dumps(response.json()) + json.dumps(client.get("/api/v1/integrations/").json())
    assert SECRET not in text and "hdr-secret" not in text and "/in" not in text
    assert response.json()["config_summary"] == {"host": "127.0.0.1", "has_signing_secret": True, "header_names": ["Authorization"]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT config::text FROM user_integrations")
        assert SECRET not in cursor.fetchone()[0]  # encrypted at rest

    tested = client.post(f"/api/v1/integrations/{response.json()['id']}/test/").json()
    assert tested["ok"] is True and tested["status_code"] == 200
    [ping] = endpoint.requests
    assert json.loads(ping["body"])["type"] == "ping" and ping["headers"]["X-Workflow-Signature"].startswith("sha256=")
    assert client.get(f"/api/v1/integrations/{response.json()['id']}/").json()["last_test"]["ok"] is True


def test_integration_needs_a_url_and_ga4_needs_own_credential(user_a, user_b):
    from chat.models import GA4Credential

    client = api_client(user_a)
    assert client.post("/api/v1/integrations/", {"provider": "webhook", "name": "x"}, format="json").status_code == 400
    theirs = GA4Credential.objects.create(user=user_b, property_id="1234", property_name="b")
    refused = client.post("/api/v1/integrations/", {"provider": "ga4", "name": "x", "ga4_credential": str(theirs.pk)}, format="json")
    assert refused.status_code == 404  # another user's credential does not exist for this one
    mine = GA4Credential.objects.create(user=user_a, property_id="1234", property_name="a")
    assert client.post("/api/v1/integrations/", {"provider": "ga4", "name": "x", "ga4_credential": str(mine.pk)}, format="json").status_code == 201


def test_definition_schema_is_published(user_a):
    response = api_client(user_a).get("/api/v1/workflows/definition-schema")
    assert response.status_code == 200 and response.json()["properties"]["steps"]["maxItems"] == 50
    schema = api_client(user_a).get("/api/schema/", {"format": "json"}).json()
    assert "definition" in schema["components"]["schemas"]["Workflow"]["properties"]


def test_failed_test_ping_shows_the_error(user_a, endpoint):
    from tests.workflows.loopback import Reply

    endpoint.replies = [Reply(status=500, body={"down": True})]
    integration = make_integration(user_a, endpoint.url)
    tested = api_client(user_a).post(f"/api/v1/integrations/{integration.pk}/test/").json()
    assert tested["ok"] is False and "answered 500" in tested["message"]


def test_rotate_encryption_key_covers_integration_configs_and_webhook_secrets(settings, user_a):
    from tests.chat.test_rotation import NEW, OLD, opens_with_library_key, raw_values, rotate

    settings.CRYPTOGRAPHY_KEY = OLD
    workflow = make_workflow(user_a, [WAIT])
    services_token = services.rotate_webhook(workflow)
    make_integration(user_a, "https://hooks.example/x")
    ours = {key: value for key, value in raw_values().items() if key[0] in {"workflows", "user_integrations"}}
    assert {key[:2] for key in ours} == {("workflows", "webhook_secret"), ("user_integrations", "config")}
    settings.CRYPTOGRAPHY_KEY, settings.CRYPTOGRAPHY_OLD_KEYS = NEW, [OLD]
    rotate("--no-progress")
    after = {key: value for key, value in raw_values().items() if key in ours}
    assert all(opens_with_library_key(NEW, value) and not opens_with_library_key(OLD, value) for value in after.values())
    assert Workflow.objects.get().webhook_secret == services_token[1]
    assert SECRET in json.dumps(UserIntegration.objects.get().config)


def test_boolean_filters_take_true_or_false_only(user_a):
    client = api_client(user_a)
    make_workflow(user_a, [WAIT])
    assert client.get("/api/v1/workflows/", {"is_active": "null"}).status_code == 400
    assert client.get("/api/v1/integrations/", {"is_active": "1"}).status_code == 400
    assert len(client.get("/api/v1/workflows/", {"is_active": "true"}).json()["results"]) == 1
    assert client.get("/api/v1/workflows/", {"is_active": "false"}).json()["results"] == []

"""The membership dimension of workflows, executions and integrations, declared once: outsider,
viewer, member, admin, owner × read / create / update / delete — through the API, and again in SQL
under each role's own RLS identity (the database alone)."""

import pytest
from django.db import DatabaseError, connection, transaction

from core import rls
from organizations.models import Membership, Organization
from tests.conftest import api_client
from tests.workflows.conftest import make_workflow
from workflows import services
from workflows.models import UserIntegration

pytestmark = pytest.mark.django_db
WAIT = [{"id": "pause", "kind": "wait", "params": {"seconds": 0}}]
ROLES = ["outsider", "viewer", "member", "admin", "owner"]
# role -> (reads, creates, changes and deletes another member's row)
EXPECTED = {"outsider": (False, False, False), "viewer": (True, False, False), "member": (True, True, False),
            "admin": (True, True, True), "owner": (True, True, True)}


@pytest.fixture
def org(make_user):
    """An organization whose `author` (a member) made a workflow, an execution and a shared integration,
    and one user per role."""
    organization = Organization.objects.create(name="Acme", slug="acme")
    people = {role: make_user(f"{role}@acme.example") for role in [*ROLES, "author"]}
    for role, user in people.items():
        if role != "outsider":
            Membership.objects.create(organization=organization, user=user, role="member" if role == "author" else role)
    workflow = make_workflow(people["author"], WAIT, organization=organization)
    execution = services.start(workflow, {})
    integration = UserIntegration.objects.create(user=people["author"], organization=organization, provider="webhook", name="Shared",
                                                  config={"url": "https://hooks.example/x"})
    return {"organization": organization, "people": people, "workflow": workflow, "execution": execution, "integration": integration}


def _client(org, role):
    client = api_client(org["people"][role])
    client.credentials(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"], HTTP_X_ORGANIZATION_ID=str(org["organization"].pk))
    return client


@pytest.mark.parametrize("role", ROLES)
def test_api_follows_the_role(org, role):
    reads, creates, manages = EXPECTED[role]
    client = _client(org, role)
    workflow, execution, integration = org["workflow"], org["execution"], org["integration"]
    hidden = 404
    assert client.get(f"/api/v1/workflows/{workflow.pk}/").status_code == (200 if reads else hidden)
    assert client.get(f"/api/v1/workflow-executions/{execution.pk}/").status_code == (200 if reads else hidden)
    assert client.get(f"/api/v1/integrations/{integration.pk}/").status_code == (200 if reads else hidden)
    if role != "outsider":
        listed = client.get("/api/v1/workflows/").json()["results"]
        assert str(workflow.pk) in {row["id"] for row in listed}
    created = client.post("/api/v1/workflows/", {"name": "Mine", "definition": {"steps": WAIT}}, format="json")
    assert created.status_code == (201 if creates else 403 if reads else 404)
    write = 200 if manages else 403 if reads else hidden
    assert client.patch(f"/api/v1/workflows/{workflow.pk}/", {"name": "Changed"}, format="json").status_code == write
    assert client.post(f"/api/v1/workflows/{workflow.pk}/run/", {}, format="json").status_code == (201 if manages else write)
    assert client.patch(f"/api/v1/integrations/{integration.pk}/", {"name": "Changed"}, format="json").status_code == write
    assert client.post(f"/api/v1/workflow-executions/{execution.pk}/cancel/").status_code == write
    assert client.delete(f"/api/v1/integrations/{integration.pk}/").status_code == (204 if manages else write)
    assert client.delete(f"/api/v1/workflows/{workflow.pk}/").status_code == (204 if manages else write)


def _count(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount if not cursor.description else cursor.fetchone()[0]


@pytest.mark.parametrize("role", ROLES)
def test_rls_alone_follows_the_role(org, role):
    reads, creates, manages = EXPECTED[role]
    user = org["people"][role]
    workflow, execution, integration = org["workflow"], org["execution"], org["integration"]
    with rls.end_user(rls.claims_for(user)):
        for table, pk in [("workflows", workflow.pk), ("workflow_executions", execution.pk), ("workflow_versions", None),
                          ("user_integrations", integration.pk), ("workflow_runs", execution.pk)]:
            where = ("id = %s", [pk]) if pk else ("workflow_id = %s", [workflow.pk])
            assert _count(f"SELECT count(*) FROM {table} WHERE {where[0]}", where[1]) == int(reads), table
        with transaction.atomic():
            assert _count("UPDATE workflows SET name = 'x' WHERE id = %s", [workflow.pk]) == int(manages)
            assert _count("UPDATE workflow_executions SET status = 'cancelled' WHERE id = %s", [execution.pk]) == int(manages)
            assert _count("UPDATE user_integrations SET name = 'x' WHERE id = %s", [integration.pk]) == int(manages)
            transaction.set_rollback(True)
        insert = ("INSERT INTO workflows (id, user_id, organization_id, name, description, definition, is_active, version, schedule) "
                  "VALUES (gen_random_uuid(), %s, %s, 'n', '', '{}', true, 1, '')")
        try:
            with transaction.atomic():
                _count(insert, [user.pk, org["organization"].pk])
            inserted = True
        except DatabaseError:
            inserted = False
        assert inserted == creates
        try:
            with transaction.atomic():
                _count("INSERT INTO workflow_executions (id, user_id, workflow_id, workflow_version_id, input, steps) "
                       "SELECT gen_random_uuid(), w.user_id, w.id, v.id, '{}', '{}' FROM workflows w JOIN workflow_versions v "
                       "ON v.workflow_id = w.id WHERE w.id = %s", [workflow.pk])
            run = _count("SELECT count(*) FROM workflow_executions WHERE workflow_id = %s", [workflow.pk]) == 2
        except DatabaseError:
            run = False
        assert run == manages

"""The workflows app's resources in the membership dimension of the isolation matrix
(resources_organizations.py, test_membership_matrix.py): a workflow, an execution and a shared
integration made by another member of the organization."""

from tests.isolation.resources_organizations import EVERYTHING, READ, InOrganization, Page
from tests.workflows.conftest import DEFINITION
from workflows import services
from workflows.models import UserIntegration, Workflow


def _org_workflow(organization, author):
    return services.save(Workflow(user=author, organization=organization, name="Team workflow", definition=DEFINITION),
                         definition_changed=True)


def _org_integration(organization, author):
    return UserIntegration.objects.create(user=author, organization=organization, provider="webhook", name="Team hook",
                                          config={"url": "https://hooks.example/team"})


WRITERS_CREATE = READ | {"create"}
ORG_RESOURCES = [
    InOrganization(
        name="workflow",
        make=_org_workflow,
        api_collection=lambda organization: "/api/v1/workflows/",
        create={"name": "Planted", "definition": DEFINITION},
        update={"name": "Renamed by someone"},
        header=True,
        nested=False,
        allowed={"viewer": READ, "member": WRITERS_CREATE, "admin": EVERYTHING, "owner": EVERYTHING},
        pages={
            "read": Page("get", lambda obj: f"/workflows/{obj.pk}/"),
            "update": Page("post", lambda obj: f"/workflows/{obj.pk}/", {"name": "Renamed by someone", "is_active": "on", "schedule": "",
                                                                            "definition": '{"steps": [{"id": "x", "kind": "wait", "params": {"seconds": 1}}]}'}),
            "delete": Page("post", lambda obj: f"/workflows/{obj.pk}/delete/"),
        },
    ),
    InOrganization(
        name="workflow-execution",
        make=lambda organization, author: services.start(_org_workflow(organization, author), {}),
        api_collection=lambda organization: "/api/v1/workflow-executions/",
        update={"status": "cancelled"},
        header=True,
        nested=False,
        allowed={"viewer": READ, "member": READ, "admin": EVERYTHING, "owner": EVERYTHING},
        pages={
            "read": Page("get", lambda obj: f"/workflows/executions/{obj.pk}/"),
            "update": Page("post", lambda obj: f"/workflows/executions/{obj.pk}/cancel/"),
            "delete": Page("post", lambda obj: f"/workflows/executions/{obj.pk}/delete/"),
        },
    ),
    InOrganization(
        name="user-integration",
        make=_org_integration,
        api_collection=lambda organization: "/api/v1/integrations/",
        create=None,
        update={"name": "Renamed by someone"},
        nested=False,
        allowed={"viewer": READ, "member": READ, "admin": EVERYTHING, "owner": EVERYTHING},
        pages={
            "update": Page("post", lambda obj: f"/workflows/integrations/{obj.pk}/test/"),
            "delete": Page("post", lambda obj: f"/workflows/integrations/{obj.pk}/delete/"),
        },
    ),
]

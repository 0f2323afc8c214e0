"""The workflows app's resources in the isolation matrix (owner dimension; the membership dimension
is tests/workflows/test_org_access.py)."""

from tests.isolation.resources import Owned
from tests.workflows.conftest import CHANGED, DEFINITION, _execution, _integration, _workflow

RESOURCES = [
    Owned(
        name="workflow",
        make=_workflow,
        api_collection=lambda obj: "/api/v1/workflows/",
        create={"name": "Planted", "definition": DEFINITION},
        update={"name": "Changed by someone else", "definition": CHANGED},
        page_detail=lambda obj: f"/workflows/{obj.pk}/",
        page_edit=lambda obj: f"/workflows/{obj.pk}/",
        page_delete=lambda obj: f"/workflows/{obj.pk}/delete/",
        page_form={"name": "Changed by someone else", "definition": '{"steps": [{"id": "x", "kind": "wait", "params": {"seconds": 1}}]}',
                   "schedule": "", "is_active": "on"},
    ),
    Owned(
        name="workflow-execution",
        make=_execution,
        api_collection=lambda obj: "/api/v1/workflow-executions/",
        create={},
        update={"status": "cancelled"},
        page_detail=lambda obj: f"/workflows/executions/{obj.pk}/",
        page_edit=lambda obj: f"/workflows/executions/{obj.pk}/cancel/",
        page_delete=lambda obj: f"/workflows/executions/{obj.pk}/delete/",
    ),
    Owned(
        name="user-integration",
        make=_integration,
        api_collection=lambda obj: "/api/v1/integrations/",
        create={"provider": "webhook", "name": "Planted", "config": {"url": "https://hooks.example/planted"}},
        update={"name": "Changed by someone else", "config": {"url": "https://evil.example/"}},
        page_edit=lambda obj: f"/workflows/integrations/{obj.pk}/test/",
        page_delete=lambda obj: f"/workflows/integrations/{obj.pk}/delete/",
    ),
]

EXEMPT = {
    "workflows.WorkflowVersion": "read only through /api/v1/workflows/{id}/versions/ (the workflow's 404 for others) and "
                                 "immutable in SQL; its RLS follows the workflow (tests/workflows/test_org_access.py)",
}

"""The workflows app's SQL statement counts (tests/query_counts.py; recorded in query_counts.json)."""

from tests.query_counts import Count, api_crud, contract
from tests.workflows.conftest import DEFINITION, _execution, _integration, _workflow

COUNTS = [
    *api_crud("workflows", _workflow, "/api/v1/workflows/", create={"name": "New", "definition": DEFINITION},
              update={"name": "Renamed"}, more=lambda obj: _workflow(obj.user)),
    *api_crud("integrations", _integration, "/api/v1/integrations/",
              create={"provider": "webhook", "name": "New", "config": {"url": "https://hooks.example/n"}},
              update={"name": "Renamed"}, more=lambda obj: _integration(obj.user)),
    Count("api executions list", _execution, "get", lambda obj: "/api/v1/workflow-executions/", more=lambda obj: _execution(obj.user)),
    Count("api execution detail", _execution, "get", lambda obj: f"/api/v1/workflow-executions/{obj.pk}/"),
    Count("api execution cancel", _execution, "post", lambda obj: f"/api/v1/workflow-executions/{obj.pk}/cancel/", status=200),
    Count("api workflow run", _workflow, "post", lambda obj: f"/api/v1/workflows/{obj.pk}/run/", body={"input": {}}, status=201),
    Count("page workflows", _workflow, "get", lambda obj: "/workflows/", page=True, more=lambda obj: _workflow(obj.user)),
    Count("page workflow editor", _workflow, "get", lambda obj: f"/workflows/{obj.pk}/", page=True),
    Count("page executions", _execution, "get", lambda obj: "/workflows/executions/", page=True, more=lambda obj: _execution(obj.user)),
    Count("page execution", _execution, "get", lambda obj: f"/workflows/executions/{obj.pk}/", page=True),
    Count("page integrations", _integration, "get", lambda obj: "/workflows/integrations/", page=True, more=lambda obj: _integration(obj.user)),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

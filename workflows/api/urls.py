from django.urls import path
from rest_framework.routers import SimpleRouter

from workflows.api import views

router = SimpleRouter()
router.register("workflows", views.WorkflowViewSet, basename="workflow")
router.register("workflow-executions", views.ExecutionViewSet, basename="workflow-execution")
router.register("integrations", views.IntegrationViewSet, basename="integration")

urlpatterns = [
    path("workflows/definition-schema", views.DefinitionSchemaView.as_view(), name="workflow-definition-schema"),
    path("hooks/workflows/<str:token>", views.WebhookView.as_view(), name="workflow-webhook"),
    *router.urls,
]

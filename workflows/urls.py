from django.urls import path

from workflows import views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("new/", views.workflow_create, name="create"),
    path("<uuid:pk>/", views.workflow_detail, name="detail"),
    path("<uuid:pk>/run/", views.workflow_run, name="run"),
    path("<uuid:pk>/webhook/", views.workflow_webhook, name="webhook"),
    path("<uuid:pk>/delete/", views.workflow_delete, name="delete"),
    path("executions/", views.execution_list, name="executions"),
    path("executions/<uuid:pk>/", views.execution_detail, name="execution"),
    path("executions/<uuid:pk>/cancel/", views.execution_cancel, name="execution-cancel"),
    path("executions/<uuid:pk>/delete/", views.execution_delete, name="execution-delete"),
    path("integrations/", views.integration_list, name="integrations"),
    path("integrations/<uuid:pk>/test/", views.integration_test, name="integration-test"),
    path("integrations/<uuid:pk>/delete/", views.integration_delete, name="integration-delete"),
]

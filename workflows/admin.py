from django.contrib import admin

from core.admin import ReadOnlyAdmin
from workflows.models import UserIntegration, Workflow, WorkflowExecution, WorkflowVersion


@admin.register(Workflow)
class WorkflowAdmin(ReadOnlyAdmin):
    """Workflows are their owners' (staff read them for support). The webhook secret and token hash
    are neither shown nor loaded."""

    list_display = ["name", "user", "is_active", "version", "schedule", "created_at", "updated_at"]
    list_filter = ["is_active", "created_at"]
    search_fields = ["name", "user__email", "=id"]
    list_select_related = ["user"]
    fields = ["id", "user", "name", "description", "definition", "is_active", "version", "schedule", "schedule_checked_at",
              "created_at", "updated_at"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("webhook_secret", "webhook_token_hash")


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(ReadOnlyAdmin):
    list_display = ["workflow", "version", "user", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["workflow__name", "user__email", "=workflow__id"]
    list_select_related = ["workflow", "user"]


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(ReadOnlyAdmin):
    list_display = ["id", "workflow", "user", "status", "trigger", "retries", "started_at", "completed_at", "created_at"]
    list_filter = ["status", "trigger", "created_at"]
    search_fields = ["workflow__name", "user__email", "=id", "=workflow__id"]
    list_select_related = ["workflow", "user"]
    date_hierarchy = "created_at"


@admin.register(UserIntegration)
class UserIntegrationAdmin(ReadOnlyAdmin):
    """The encrypted config (URL, headers, signing secret) is never loaded nor shown: only its summary."""

    list_display = ["name", "provider", "user", "is_active", "last_sync_at", "created_at"]
    list_filter = ["provider", "is_active", "created_at"]
    search_fields = ["name", "user__email", "=id"]
    list_select_related = ["user"]
    fields = ["id", "user", "provider", "name", "ga4_credential", "is_active", "last_sync_at", "last_test", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("config")

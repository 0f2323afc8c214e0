from django.contrib import admin

from core.models import JobFailure


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system or by another service: staff read them, never edit them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnlyAdmin):
    """Failed attempts of background jobs, with their (redacted) errors; the jobs themselves, with
    retry, are in procrastinate's admin."""

    list_display = ["created_at", "task_name", "job_id", "attempt", "error_type"]
    list_filter = ["task_name", "error_type", "created_at"]
    search_fields = ["task_name", "error_type", "error", "job_id"]
    date_hierarchy = "created_at"

"""Read-only admin for every audit table (staff read the trail; nobody edits it here), and the
retention policies, which staff tune."""

import json

from django.contrib import admin
from django.utils.html import format_html

from audit.models import AnalysisRun, ApiCall, AuditLog, DataStorage, FileUpload, RetentionPolicy, UserActivity
from core.admin import ReadOnlyAdmin


class UserFilter(admin.SimpleListFilter):
    """By user: the user column links to `?user__id__exact=<id>`; this filter shows that choice and
    offers rows without a user (staff, anonymous, or a deleted account)."""

    title = "user"
    parameter_name = "user_presence"

    def lookups(self, request, model_admin):
        return [("with", "An end user"), ("without", "No end user (staff, anonymous, deleted)")]

    def queryset(self, request, queryset):
        if self.value() == "with":
            return queryset.filter(user__isnull=False)
        if self.value() == "without":
            return queryset.filter(user__isnull=True)
        return queryset


class AuditAdmin(ReadOnlyAdmin):
    """Lists newest first with the request id and a link that filters by the row's user; no add,
    change or delete (ReadOnlyAdmin), and the trail holds no secrets to hide."""

    kind_field = None  # the table's "action" column, filtered and shown second
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    show_full_result_count = False
    list_per_page = 50
    base_search = ["user__email", "=user__id", "=request_id", "=session_id", "=id"]
    extra_search: list = []

    def get_list_display(self, request):
        return ["created_at", self.kind_field, "user_link", *self.columns, "request_id"]

    def get_list_filter(self, request):
        return [self.kind_field, UserFilter, "created_at"]

    def get_search_fields(self, request):
        return [*self.base_search, *self.extra_search]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields if f.name != "details"] + ["details_json"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    columns: list = []

    @admin.display(description="user", ordering="user__email")
    def user_link(self, obj):
        if obj.user_id is None:
            staff = (obj.details or {}).get("staff") or (obj.details or {}).get("staff_user")
            return f"staff: {staff}" if staff else "—"
        return format_html('<a href="?user__id__exact={}">{}</a>', obj.user_id, obj.user.email if obj.user else obj.user_id)

    @admin.display(description="details")
    def details_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.details, indent=2, sort_keys=True, ensure_ascii=False))


@admin.register(AuditLog)
class AuditLogAdmin(AuditAdmin):
    kind_field = "action"
    columns = ["resource_type", "resource_id", "ip_address"]
    extra_search = ["action", "resource_type", "=resource_id", "ip_address"]


@admin.register(UserActivity)
class UserActivityAdmin(AuditAdmin):
    kind_field = "activity_type"
    columns = ["ip_address", "user_agent"]
    extra_search = ["ip_address", "user_agent"]


@admin.register(FileUpload)
class FileUploadAdmin(AuditAdmin):
    kind_field = "status"
    columns = ["file_name", "size_bytes", "content_type", "stored_at"]
    extra_search = ["file_name", "=sha256"]


@admin.register(AnalysisRun)
class AnalysisRunAdmin(AuditAdmin):
    kind_field = "status"
    columns = ["analysis_type", "session_id", "duration_ms"]
    extra_search = ["analysis_type", "error"]

    def get_list_filter(self, request):
        return ["status", "analysis_type", UserFilter, "created_at"]


@admin.register(ApiCall)
class ApiCallAdmin(AuditAdmin):
    kind_field = "service"
    columns = ["method", "endpoint", "status_code", "duration_ms", "error"]
    extra_search = ["endpoint", "error"]

    def get_list_filter(self, request):
        return ["service", "method", "status_code", UserFilter, "created_at"]


@admin.register(DataStorage)
class DataStorageAdmin(AuditAdmin):
    kind_field = "operation"
    columns = ["session_id", "storage_key", "value_type", "size_bytes"]
    extra_search = ["storage_key"]


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["table_name", "retention_days", "enabled", "last_run", "updated_at"]
    list_editable = ["retention_days", "enabled"]
    list_filter = ["enabled"]
    search_fields = ["table_name"]
    readonly_fields = ["id", "last_run", "created_at", "updated_at"]

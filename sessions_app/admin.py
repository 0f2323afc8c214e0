from django.contrib import admin

from core.admin import ReadOnlyAdmin
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession, StoredValue
from sessions_app.storage import SessionStorage


class DraftFileInline(admin.TabularInline):
    model = DraftFile
    fields = ["file_name", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    extra = 0
    show_change_link = True


@admin.register(ResearchSession)
class ResearchSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "status", "stage", "created_at", "updated_at"]
    list_filter = ["status", "stage", "created_at"]
    search_fields = ["title", "user__email", "=id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["id", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [DraftFileInline]


@admin.register(DraftFile)
class DraftFileAdmin(admin.ModelAdmin):
    list_display = ["file_name", "session", "created_at", "updated_at"]
    list_filter = ["created_at", "session__status"]
    search_fields = ["file_name", "session__title", "session__user__email"]
    list_select_related = ["session"]
    raw_id_fields = ["session"]
    readonly_fields = ["id", "created_at", "updated_at"]


class StoredValueInline(admin.TabularInline):
    """Entries only: type and size, never the value (nor its ciphertext)."""

    model = StoredValue
    fields = ["storage_key", "value_type", "size_bytes", "is_encrypted", "updated_at", "expires_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AnalysisSession)
class AnalysisSessionAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "analysis_type", "status", "last_activity_at", "expires_at", "created_at"]
    list_filter = ["status", "analysis_type", "created_at"]
    search_fields = ["name", "user__email", "=id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["id", "created_at", "updated_at", "last_activity_at", "expires_at"]
    date_hierarchy = "created_at"
    inlines = [StoredValueInline]


@admin.register(StoredValue)
class StoredValueAdmin(ReadOnlyAdmin):
    """Stored values are written through SessionStorage (quotas, codecs, audit): staff see each
    entry's type and size, never the value, and may delete one."""

    list_display = ["storage_key", "session", "user", "value_type", "size_bytes", "is_encrypted", "last_accessed_at", "expires_at"]
    list_filter = ["value_type", "is_encrypted", "expires_at"]
    search_fields = ["storage_key", "session__name", "user__email", "=session__id"]
    list_select_related = ["session", "user"]
    fields = ["id", "session", "user", "storage_key", "value_type", "size_bytes", "is_encrypted", "version",
              "created_at", "updated_at", "last_accessed_at", "expires_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("storage_value", "encrypted_value")

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("sessions_app.delete_storedvalue")

    def delete_model(self, request, obj):
        SessionStorage(obj.session).delete(obj.storage_key)  # audited like any other delete

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("session"):
            self.delete_model(request, obj)

from django.contrib import admin

from sessions_app.models import DraftFile, ResearchSession


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

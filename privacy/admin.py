"""Staff see the privacy guardian's health and counts, never contents: the zero-trust tables
(telemetry, transparency log, preferences) have no admin of their own, and the counts come from
privacy_zero_trust_counts(). The page is the retention runs' list ("Privacy guardian")."""

from django.contrib import admin
from django.db import connection

from core.admin import ReadOnlyAdmin
from privacy import services
from privacy.models import RetentionRun


def zero_trust_counts() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, row_count, user_count FROM public.privacy_zero_trust_counts()")
        return [{"table": table, "rows": rows, "users": users} for table, rows, users in cursor.fetchall()]


@admin.register(RetentionRun)
class GuardianAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "users", "telemetry_deleted", "file_events_deleted"]
    date_hierarchy = "created_at"
    change_list_template = "admin/privacy/guardian.html"

    def changelist_view(self, request, extra_context=None):
        extra = {"health": services.health(), "counts": zero_trust_counts(), **(extra_context or {})}
        return super().changelist_view(request, extra)

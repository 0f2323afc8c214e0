"""Staff see the privacy guardian's health and counts, never contents: the zero-trust tables
(telemetry, transparency log, preferences) have no admin of their own, and the counts come from
privacy_zero_trust_counts(). The page is the retention runs' list ("Privacy guardian"). "Privacy
requests" lists end users for the staff tools of privacy.staff (permission `act_on_privacy_data`)."""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.template.response import TemplateResponse

from core.admin import ReadOnlyAdmin
from privacy import services, staff
from privacy.models import PrivacySubject, RetentionRun


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


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=200, strip=True,
        help_text="The request this answers (a ticket number, the user's e-mail of …): the user reads it in their transparency log.")


@admin.register(PrivacySubject)
class PrivacyRequestAdmin(ReadOnlyAdmin):
    """End users, for acting on their privacy requests through privacy.staff's tools: who they are,
    nothing of their privacy data. Only staff with `privacy.act_on_privacy_data` see the page and
    run the tools; each asks for confirmation and a reason, and writes the user's log row."""

    list_display = ["email", "id", "created_at", "last_sign_in_at"]
    search_fields = ["email", "=id"]
    ordering = ["-created_at"]
    show_full_result_count = False
    fields = ["id", "email", "created_at", "last_sign_in_at"]
    readonly_fields = fields

    def has_privacy_request_permission(self, request):
        return request.user.has_perm("privacy.act_on_privacy_data")

    def has_view_permission(self, request, obj=None):
        return self.has_privacy_request_permission(request)

    def get_actions(self, request):
        """One action per tool (and not Django's "delete selected"), for permitted staff only."""
        if not self.has_privacy_request_permission(request):
            return {}
        return {name: (self._action(tool), name, tool.label) for name, tool in staff.TOOLS.items()}

    def _action(self, tool):
        def action(modeladmin, request, queryset):
            return self._confirm_and_run(request, queryset, tool)

        return action

    def _confirm_and_run(self, request, queryset, tool):
        if not self.has_privacy_request_permission(request):
            raise PermissionDenied
        users = list(queryset)
        form = ReasonForm(request.POST if "confirmed" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(request, "admin/privacy/confirm_tool.html", {
                **self.admin_site.each_context(request), "title": tool.label, "opts": self.opts, "tool": tool,
                "users": users, "form": form, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME})
        for user in users:
            summary = staff.run(tool, user, request.user, form.cleaned_data["reason"])
            self.log_change(request, user, f"{tool.name}: {summary}")
        self.message_user(request, tool.done.format(count=len(users)))
        return None

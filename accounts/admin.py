from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

from accounts.models import AuthUser
from core.admin import ReadOnlyAdmin

# What Supabase's dashboard writes for an open-ended ban ("none" lifts it): banned_until far ahead.
BAN_LENGTH = timedelta(days=100 * 365)


@admin.register(AuthUser)
class AuthUserAdmin(ReadOnlyAdmin):
    """Read-only: Supabase Auth owns these rows. The password hash is never shown. Staff who may
    change users can ban and unban them (Supabase's `banned_until`): a banned user's tokens, API
    keys and page sessions are refused from the next request, and sign-in is refused."""

    actions = ["ban", "unban"]

    list_display = ["email", "phone", "created_at", "last_sign_in_at", "email_confirmed_at", "banned_until", "deleted_at"]
    list_filter = ["is_anonymous", "is_sso_user", ("banned_until", admin.EmptyFieldListFilter), ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "phone", "=id"]
    ordering = ["-created_at"]
    show_full_result_count = False
    fields = [
        "id", "email", "phone", "aud", "role", "email_confirmed_at", "phone_confirmed_at", "last_sign_in_at",
        "raw_app_meta_data", "raw_user_meta_data", "is_anonymous", "is_sso_user", "banned_until", "deleted_at",
        "created_at", "updated_at",
    ]
    readonly_fields = fields

    def has_ban_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.action(description="Ban the selected users (until unbanned)", permissions=["ban"])
    def ban(self, request, queryset):
        self._set_ban(request, queryset, timezone.now() + BAN_LENGTH, "Banned")

    @admin.action(description="Unban the selected users", permissions=["ban"])
    def unban(self, request, queryset):
        self._set_ban(request, queryset, None, "Unbanned")

    def _set_ban(self, request, queryset, until, verb):
        users = list(queryset)
        for user in users:
            user.banned_until, user.updated_at = until, timezone.now()
            user.save(update_fields=["banned_until", "updated_at"])
            self.log_change(request, user, f"{verb} (banned_until: {until.isoformat() if until else 'none'})")
        self.message_user(request, f"{verb} {len(users)} user(s).")

from django.contrib import admin

from accounts.models import AuthUser
from core.admin import ReadOnlyAdmin


@admin.register(AuthUser)
class AuthUserAdmin(ReadOnlyAdmin):
    """Read-only: Supabase Auth owns these rows. The password hash is never shown."""

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

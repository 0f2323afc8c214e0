from django.contrib import admin

from chat.models import ChatMessage, ChatSession, GA4Credential
from core.admin import ReadOnlyAdmin


@admin.register(GA4Credential)
class GA4CredentialAdmin(admin.ModelAdmin):
    """Credentials in their safe shape: the encrypted tokens are neither shown nor editable here.
    Staff may rename one; connecting and revoking are the owner's (they talk to the provider)."""

    list_display = ["property_id", "property_name", "user", "status", "token_expiry", "last_refreshed_at", "updated_at"]
    list_filter = ["status", "is_demo", "created_at"]
    search_fields = ["property_id", "property_name", "user__email", "=id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    fields = [
        "id", "user", "tenant_id", "property_id", "property_name", "is_demo", "status", "scopes",
        "token_expiry", "last_refreshed_at", "created_at", "updated_at",
    ]
    readonly_fields = ["id", "user", "tenant_id", "property_id", "is_demo", "status", "scopes", "token_expiry", "last_refreshed_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        # The token columns are never even loaded (nor decrypted) by the admin.
        return super().get_queryset(request).defer("refresh_token", "access_token")

    def has_add_permission(self, request):
        return False  # credentials come from the OAuth flow or the sync endpoint, with real tokens


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    fields = ["role", "status", "created_at", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["created_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdmin):
    """Conversations are the users' own: staff read them (support), never write them."""

    list_display = ["title", "user", "persona", "credential", "archived", "last_message_at", "created_at"]
    list_filter = ["persona", "archived", "created_at"]
    search_fields = ["title", "user__email", "=id", "=tenant_id"]
    list_select_related = ["user", "credential"]
    date_hierarchy = "created_at"
    inlines = [ChatMessageInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "session", "role", "status", "created_at"]
    list_filter = ["role", "status", "created_at"]
    search_fields = ["=id", "=session__id", "session__title", "session__user__email"]
    list_select_related = ["session"]
    fields = ["id", "session", "tenant_id", "role", "status", "content", "error", "chunks", "created_at", "updated_at"]
    date_hierarchy = "created_at"

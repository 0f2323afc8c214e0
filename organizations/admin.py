from django.contrib import admin

from core.admin import ReadOnlyAdmin
from organizations.models import Invitation, Membership, Organization, RoleDefinition


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "created_at"]
    raw_id_fields = ["user"]
    extra = 0
    can_delete = False  # removing goes through the rule that keeps an owner (a database error here)

    def has_add_permission(self, request, obj=None):
        return False  # members join by invitation, with their consent


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Staff rename organizations and change their plan; members come and go through invitations."""

    list_display = ["name", "slug", "plan", "personal_for", "created_at"]
    list_filter = ["plan", ("personal_for", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "slug", "=id", "personal_for__email"]
    list_select_related = ["personal_for"]
    fields = ["id", "name", "slug", "plan", "settings", "personal_for", "created_at", "updated_at"]
    readonly_fields = ["id", "personal_for", "created_at", "updated_at"]
    inlines = [MembershipInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # an organization is created by its first owner


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["organization", "user", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["organization__name", "organization__slug", "user__email", "=organization__id"]
    list_select_related = ["organization", "user"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations without their token hash (the link's secret stays with its addressee)."""

    list_display = ["email", "organization", "role", "invited_by", "expires_at", "accepted_at"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["email", "organization__name", "organization__slug"]
    list_select_related = ["organization", "invited_by"]
    fields = ["id", "organization", "email", "role", "invited_by", "expires_at", "accepted_at", "accepted_by", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("organizations.delete_invitation")  # staff may revoke one


@admin.register(RoleDefinition)
class RoleDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]

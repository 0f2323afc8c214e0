"""DRF pieces for org-aware endpoints (organizations' own, and workflows' and integrations'):

- `OrganizationMixin` gives a view `self.membership`: the caller's membership of the organization the
  request acts in (URL `organization_id`, else the `X-Organization-Id` header, else the personal
  organization; organizations.access), with a malformed id a 400 and a non-member a 404.
- `OrgRolePermission` lets viewers read and refuses them every write (403); on an object with an
  `organization_id`, writers change their own rows and admins/owners every row.
"""

from rest_framework import exceptions, permissions

from organizations import access, services


def api_membership(request, organization_id=None):
    """The caller's membership of the organization an API request acts in (organizations.access),
    its refusals as the API answers them: a malformed id 400, a non-member 404."""
    try:
        return access.active_membership(request, request.user, organization_id)
    except access.BadOrganizationId as exc:
        raise exceptions.ValidationError({services.HEADER: [str(exc)]}) from None
    except access.NotAMember:
        raise exceptions.NotFound("No such organization.") from None


class OrganizationMixin:
    organization_url_kwarg = "organization_id"

    @property
    def membership(self):
        return api_membership(self.request, self.kwargs.get(self.organization_url_kwarg))


class OrgRolePermission(permissions.BasePermission):
    """Reads for every member; writes for writers (creation needs a writer role in the active
    organization); changes to another member's row for admins and owners only."""

    message = "Your role in this organization does not allow this."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", None) != "create":
            return True
        return services.can_write(view.membership.role)

    def has_object_permission(self, request, view, obj):
        organization_id = getattr(obj, "organization_id", None)
        own = getattr(obj, "user_id", None) == request.user.pk
        if organization_id is None:
            return own
        role = view.membership.role if view.membership.organization_id == organization_id else services.role_of(request.user, organization_id)
        if request.method in permissions.SAFE_METHODS:
            return own or services.can_read(role)
        return (own and services.can_write(role)) or services.can_manage(role)

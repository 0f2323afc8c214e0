"""What the rest of the product asks of organizations: who is a member with which role, which
organization a request acts in, and the changes of membership (create, invite, accept, change a
role, remove, leave).

The database decides too: every query here runs as the caller (under row-level security, whose
policies say the same thing in SQL) unless it says otherwise.
"""

import uuid
from datetime import timedelta

from organizations.models import MANAGERS, WRITERS, Membership, Organization, Role

HEADER = "X-Organization-Id"  # the API's header naming the organization a request acts in
SESSION_KEY = "organization_id"  # the page session's active organization
INVITATION_LIFETIME = timedelta(days=7)


class OrganizationError(Exception):
    """A refused change, with a stable code and a message for people (the API's 400/403/409)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def can_read(role: str | None) -> bool:
    return role is not None


def can_write(role: str | None) -> bool:
    """Create and change one's own rows in the organization (not viewers)."""
    return role in WRITERS


def can_manage(role: str | None) -> bool:
    """Manage the organization: its settings, members, invitations, and every member's rows."""
    return role in MANAGERS


def membership(user, organization_id) -> Membership | None:
    """`user`'s membership of the organization, or None (not a member, no such organization, or not
    an id at all). One query."""
    if user is None or not isinstance(organization_id, uuid.UUID):
        try:
            organization_id = uuid.UUID(str(organization_id))
        except (TypeError, ValueError):
            return None
    if user is None:
        return None
    return Membership.objects.select_related("organization").filter(user=user, organization_id=organization_id).first()


def role_of(user, organization_id) -> str | None:
    found = membership(user, organization_id)
    return found and found.role


def memberships(user):
    """Every membership of `user`, with its organization, the personal one first."""
    return (Membership.objects.filter(user=user).select_related("organization")
            .order_by("-organization__personal_for", "organization__name", "organization_id"))


def personal_organization_id(user) -> uuid.UUID:
    """The id of `user`'s personal organization: the user's own id (models.Organization)."""
    user_id = getattr(user, "pk", user)
    return user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))


def create_personal_organization(user) -> Organization:
    """`user`'s personal organization with them as owner (idempotent). As the connection role: it is
    made at sign-up, before the user has a session."""
    organization, created = Organization.objects.get_or_create(
        pk=user.pk,
        defaults={"name": "Personal", "slug": f"personal-{user.pk.hex}", "personal_for_id": user.pk},
    )
    if created:
        Membership.objects.create(organization=organization, user_id=user.pk, role=Role.OWNER)
    return organization

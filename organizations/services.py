"""What the rest of the product asks of organizations: who is a member with which role, which
organization a request acts in, and the changes of membership (create, invite, accept, change a
role, remove, leave).

The database decides too: every query here runs as the caller (under row-level security, whose
policies say the same thing in SQL) unless it says otherwise.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from organizations.models import MANAGERS, WRITERS, Invitation, Membership, Organization, Role

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
            .order_by(F("organization__personal_for_id").desc(nulls_last=True), "organization__name", "organization_id"))


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


# --- changes, each as the caller (row-level security has the last word) ------------------------------

def _database_error(exc, mapping: dict) -> OrganizationError:
    """The OrganizationError for a refused statement, by SQLSTATE (psycopg's `sqlstate`)."""
    state = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    code, message, field = mapping.get(state, ("refused", "The database refused the change.", None))
    return OrganizationError(code, message, field)


SLUG_TAKEN = ("slug_taken", "An organization with this slug exists already.", "slug")
LAST_OWNER = ("last_owner", "An organization keeps at least one owner: make someone else owner first.", None)


def slug_for(name: str) -> str:
    """A slug for a new organization named `name`: its slugified name and a random suffix, since other
    organizations' slugs are not visible to the caller."""
    return f"{(slugify(name)[:50].strip('-') or 'org')}-{secrets.token_hex(3)}"


def create_organization(user, name: str, slug: str | None = None) -> Organization:
    """A new organization owned by `user` (the SQL function create_organization())."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT public.create_organization(%s, %s)", [name, slug or slug_for(name)])
            organization_id = cursor.fetchone()[0]
    except IntegrityError as exc:
        raise _database_error(exc, {"23505": SLUG_TAKEN}) from exc
    return Organization.objects.get(pk=organization_id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    token: str  # shown once, in the invite link; only its hash is stored


def invite(actor: Membership, email: str, role: str) -> Invited:
    """Invite `email` into `actor`'s organization with `role` (admins; an owner invitation by an owner
    only). An open invitation of the same address is replaced: its link stops working."""
    if not can_manage(actor.role):
        raise OrganizationError("forbidden", "Only the organization's admins and owners invite.")
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise OrganizationError("forbidden", "Only an owner invites an owner.", "role")
    email = email.strip().lower()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(organization_id=actor.organization_id, email=email, accepted_at__isnull=True).delete()
        invitation = Invitation.objects.create(
            organization_id=actor.organization_id, email=email, role=role, token_hash=hash_token(token),
            invited_by_id=actor.user_id, expires_at=timezone.now() + INVITATION_LIFETIME,
        )
    return Invited(invitation, token)


INVITATION_ERRORS = {
    "P0002": ("invitation_invalid", "This invitation link is not valid: it was used, revoked or has expired.", None),
    "42501": ("invitation_elsewhere", "This invitation is addressed to another email address: sign in with that one.", None),
}


def invite_path(token: str) -> str:
    """The invite link's path: a page that joins the signed-in addressee (after sign-in or sign-up)."""
    return reverse("organizations:join", args=[token])


def accept(user, token: str) -> Membership:
    """Join the organization of the open invitation whose link holds `token`, as its addressee."""
    if not token or len(token) > 200:
        raise OrganizationError(*INVITATION_ERRORS["P0002"])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT public.accept_organization_invitation(%s)", [hash_token(token)])
            organization_id = cursor.fetchone()[0]
    except DatabaseError as exc:
        if getattr(getattr(exc, "__cause__", None), "sqlstate", None) in INVITATION_ERRORS:
            raise _database_error(exc, INVITATION_ERRORS) from exc
        raise
    return membership(user, organization_id)


def _may_manage(actor: Membership, target: Membership, new_role: str | None = None) -> None:
    if actor.organization_id != target.organization_id or not can_manage(actor.role):
        raise OrganizationError("forbidden", "Only the organization's admins and owners manage its members.")
    if Role.OWNER in (target.role, new_role) and actor.role != Role.OWNER:
        raise OrganizationError("forbidden", "Only an owner changes or removes an owner, or makes one.")


def change_role(actor: Membership, target: Membership, role: str) -> Membership:
    _may_manage(actor, target, role)
    try:
        with transaction.atomic():
            Membership.objects.filter(pk=target.pk).update(role=role)
    except IntegrityError as exc:
        raise _database_error(exc, {"23514": LAST_OWNER}) from exc
    target.role = role
    return target


def remove(actor: Membership, target: Membership) -> None:
    """Remove `target` from the organization; removing oneself is leaving."""
    if target.pk != actor.pk:
        _may_manage(actor, target)
    elif target.organization.is_personal:
        raise OrganizationError("personal", "You can't leave your personal organization.")
    try:
        with transaction.atomic():
            Membership.objects.filter(pk=target.pk).delete()
    except IntegrityError as exc:
        raise _database_error(exc, {"23514": LAST_OWNER}) from exc


def delete_organization(actor: Membership) -> None:
    if actor.role != Role.OWNER:
        raise OrganizationError("forbidden", "Only an owner deletes the organization.")
    if actor.organization.is_personal:
        raise OrganizationError("personal", "Your personal organization can't be deleted.")
    Organization.objects.filter(pk=actor.organization_id).delete()

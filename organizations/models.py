"""Organizations, their members, the role catalogue and invitations (seed 002: `organizations`,
`organization_members`, `roles`; invitations are ours: `organization_invitations`).

Every user has a personal organization whose id *is* the user's id (`personal_for`, CHECKed), so
`accounts.tenancy.tenant_for(user)` without a request (the personal organization) needs no query and
rows keyed by the user's id already sit in it; with a request it is the active organization
(`organizations.access`). Who may do what is decided by PostgreSQL (policies over `public.org_role()` and the seed's
`is_org_member()` / `is_org_admin()` / `is_admin()`, migration 0001) and mirrored for answers and
pages by `organizations.services`.
"""

import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.db import models

from core.fields import ForeignKey
from core.models import OwnedQuerySet, TimestampedModel, choices_check


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# The roles that may write an organization's shared rows, and those that manage the organization.
WRITERS = (Role.OWNER, Role.ADMIN, Role.MEMBER)
MANAGERS = (Role.OWNER, Role.ADMIN)


class Plan(models.TextChoices):
    FREE = "free", "Free"
    PRO = "pro", "Pro"
    ENTERPRISE = "enterprise", "Enterprise"


class RoleDefinition(TimestampedModel):
    """The role catalogue (seed: `roles`, "anyone can view"): written by migrations, read by all."""

    name = models.CharField(max_length=20, unique=True, choices=Role)
    description = models.TextField()
    permissions = ArrayField(models.TextField(), default=list)

    class Meta(TimestampedModel.Meta):
        db_table = "roles"
        ordering = ["created_at"]
        constraints = [choices_check("name", Role, "roles_name_check")]

    def __str__(self):
        return self.name


class OrganizationQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        return models.Q(pk__in=Membership.objects.filter(user=user).values("organization"))


class Organization(TimestampedModel):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=63, unique=True)
    plan = models.CharField(max_length=20, choices=Plan, default=Plan.FREE, db_default=Plan.FREE)
    settings = models.JSONField(default=dict, blank=True, db_default=models.Value({}, models.JSONField()))
    # The user whose personal organization this is (its id is theirs); deleted with them.
    personal_for = ForeignKey("accounts.AuthUser", db_on_delete="CASCADE", null=True, blank=True, related_name="+",
                              db_index=False, editable=False)

    objects = OrganizationQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        db_table = "organizations"
        ordering = ["name", "id"]
        constraints = [
            choices_check("plan", Plan, "organizations_plan_check"),
            models.UniqueConstraint(fields=["personal_for"], name="organizations_personal_for_key"),
            models.CheckConstraint(condition=models.Q(personal_for__isnull=True) | models.Q(id=models.F("personal_for")),
                                   name="organizations_personal_id"),
        ]
        triggers = [
            *TimestampedModel.Meta.triggers,
            # A personal organization stays its user's, and no other becomes one, by any route.
            pgtrigger.Protect(name="personal_for_fixed", operation=pgtrigger.Update,
                              condition=pgtrigger.AnyChange("personal_for")),
        ]

    def __str__(self):
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.personal_for_id is not None


class MembershipQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        return models.Q(organization__in=Membership.objects.filter(user=user).values("organization"))


class Membership(TimestampedModel):
    """One user's role in one organization (seed: `organization_members`)."""

    organization = ForeignKey(Organization, db_on_delete="CASCADE", related_name="members", db_index=False)
    user = ForeignKey("accounts.AuthUser", db_on_delete="CASCADE", related_name="+")
    role = models.CharField(max_length=20, choices=Role, default=Role.MEMBER)

    objects = MembershipQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        db_table = "organization_members"
        ordering = ["created_at", "id"]
        constraints = [
            # Also the index of every membership look-up (org_role(), the policies).
            models.UniqueConstraint(fields=["organization", "user"], name="organization_members_org_user_key"),
            choices_check("role", Role, "organization_members_role_check"),
        ]
        triggers = [
            *TimestampedModel.Meta.triggers,
            # An organization always keeps an owner: the last one can be neither demoted nor removed
            # (by any route), except when the organization or the user itself is being deleted
            # (organization_keeps_an_owner(), migration 0002: it must see past RLS and into auth.users).
            pgtrigger.Trigger(
                name="keep_an_owner",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete | pgtrigger.UpdateOf("role"),
                condition=pgtrigger.Q(old__role="owner"),
                func="""
                IF TG_OP = 'UPDATE' AND NEW.role = 'owner' THEN
                    RETURN NEW;
                END IF;
                IF NOT public.organization_keeps_an_owner(OLD.organization_id, OLD.id, OLD.user_id) THEN
                    RAISE EXCEPTION 'organization % would have no owner', OLD.organization_id
                        USING ERRCODE = 'check_violation', CONSTRAINT = 'organization_members_last_owner';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
                """,
            ),
            # A membership is one user's in one organization for good: a role changes, nothing else.
            pgtrigger.Protect(name="member_fixed", operation=pgtrigger.Update,
                              condition=pgtrigger.AnyChange("organization", "user")),
        ]

    def __str__(self):
        return f"{self.user_id} in {self.organization_id} ({self.role})"


class InvitationQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        return models.Q(organization__in=Membership.objects.filter(user=user, role__in=MANAGERS).values("organization"))

    def pending(self):
        return self.filter(accepted_at__isnull=True, expires_at__gt=models.functions.Now())


class Invitation(TimestampedModel):
    """An invitation of an email address into an organization with a role. Only the SHA-256 of its
    token is stored; the link holds the token. Single use (`accepted_at`), expiring (`expires_at`),
    and accepted only by a signed-in user with the invited address (`accept_organization_invitation`)."""

    organization = ForeignKey(Organization, db_on_delete="CASCADE", related_name="invitations", db_index=False)
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Role, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = ForeignKey("accounts.AuthUser", db_on_delete="SET NULL", related_name="+", editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = ForeignKey("accounts.AuthUser", db_on_delete="SET NULL", related_name="+", editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        db_table = "organization_invitations"
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="idx_org_invitations_org")]
        constraints = [
            choices_check("role", Role, "organization_invitations_role_check"),
            # One open invitation per address and organization; stored lower-cased.
            models.UniqueConstraint(fields=["organization", "email"], condition=models.Q(accepted_at__isnull=True),
                                    name="organization_invitations_open_key"),
            models.CheckConstraint(condition=models.Q(email=models.functions.Lower("email")), name="organization_invitations_email_lower"),
        ]

    def __str__(self):
        return f"{self.email} → {self.organization_id} ({self.role})"

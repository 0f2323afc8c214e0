"""Querysets of org-aware rows (the pattern of core.org_policies.OrgAwareRLS, in the application
layer): a user sees their own rows and the rows of every organization they are a member of.

    class Workflow(OwnedModel):
        organization = ForeignKey("organizations.Organization", null=True, ...)
        objects = OrgAwareQuerySet.as_manager()

`for_user(user)` (core.models.OwnedQuerySet) then filters with `visible_to(user)` below, and
`in_organization(org_id)` narrows to one organization's rows.
"""

from django.db import models

from core.models import OwnedQuerySet
from organizations.models import Membership


def member_organizations(user):
    """A subquery of the ids of the organizations `user` is a member of."""
    return Membership.objects.filter(user=user).values("organization")


class OrgAwareQuerySet(OwnedQuerySet):
    organization_path = "organization"  # the foreign key to organizations.Organization

    def visible_to(self, user):
        return models.Q(**{self.model.owner_path: user}) | models.Q(**{f"{self.organization_path}__in": member_organizations(user)})

    def in_organization(self, organization_id):
        return self.filter(**{f"{self.organization_path}_id": organization_id})

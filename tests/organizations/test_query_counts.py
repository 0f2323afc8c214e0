"""Query-count contracts of the organizations endpoints and pages (tests/query_counts.py)."""

import itertools

from accounts import services as accounts
from organizations import services
from organizations.models import Membership, Organization, Role
from tests.query_counts import Count, api_crud, contract

_n = itertools.count()


def _org(owner):
    organization = Organization.objects.create(name=f"Org {next(_n)}", slug=f"org-{next(_n)}-{owner.pk.hex[:8]}")
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


def _another_org(organization):
    return _org(organization.members.get(role=Role.OWNER).user)


def _member(owner):
    return _add_member(_org(owner))


def _add_member(organization, role=Role.MEMBER):
    person = accounts.sign_up(f"person{next(_n)}@example.com", "a-long-enough-password")
    return Membership.objects.create(organization=organization, user=person, role=role)


def _invitation(owner):
    organization = _org(owner)
    return services.invite(Membership.objects.get(organization=organization, user=owner), f"i{next(_n)}@example.com", Role.MEMBER).invitation


def _another_invitation(invitation):
    owner = Membership.objects.get(organization_id=invitation.organization_id, role=Role.OWNER)
    services.invite(owner, f"i{next(_n)}@example.com", Role.VIEWER)


def _members(obj):
    return f"/api/v1/organizations/{obj.organization_id}/members/"


def _invitations(obj):
    return f"/api/v1/organizations/{obj.organization_id}/invitations/"


COUNTS = [
    *api_crud("organizations", _org, "/api/v1/organizations/", create={"name": "Made"}, update={"name": "Renamed"}, more=_another_org),
    Count("api members list", _member, "get", _members, more=lambda obj: _add_member(obj.organization)),
    Count("api member detail", _member, "get", lambda obj: f"{_members(obj)}{obj.pk}/"),
    Count("api member update", _member, "patch", lambda obj: f"{_members(obj)}{obj.pk}/", body={"role": "viewer"}),
    Count("api member delete", _member, "delete", lambda obj: f"{_members(obj)}{obj.pk}/"),
    Count("api invitations list", _invitation, "get", _invitations, more=_another_invitation),
    Count("api invitation create", _invitation, "post", _invitations, body={"email": "new@example.com", "role": "viewer"}),
    Count("api invitation delete", _invitation, "delete", lambda obj: f"{_invitations(obj)}{obj.pk}/"),
    Count("api roles", _org, "get", lambda obj: "/api/v1/roles"),
    Count("page organizations", _org, "get", lambda obj: "/organizations/", page=True, more=_another_org),
    Count("page organization settings", _member, "get", lambda obj: f"/organizations/{obj.organization_id}/", page=True,
          more=lambda obj: _add_member(obj.organization)),
    Count("page invite", _org, "post", lambda obj: f"/organizations/{obj.pk}/invitations/", body={"email": "new@example.com", "role": "member"},
          page=True, status=201),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

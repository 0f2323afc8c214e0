"""Rows of organizations for the suites that walk the whole API (hostile input, schema fuzz)."""

from accounts import services as accounts
from organizations import services
from organizations.models import Membership, Organization, Role


def org_rows(owner):
    """An organization `owner` owns, with a second member and an open invitation."""
    organization = Organization.objects.create(name="Walked", slug=f"walked-{owner.pk.hex[:12]}")
    mine = Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    colleague = accounts.sign_up(f"colleague-{owner.pk.hex[:12]}@example.com", "a-long-enough-password")
    member = Membership.objects.create(organization=organization, user=colleague, role=Role.MEMBER)
    invitation = services.invite(mine, "walked@example.com", Role.VIEWER).invitation
    return organization, member, invitation

import pytest

from organizations.models import Membership, Organization, Role


@pytest.fixture
def make_org(db):
    """make_org(owner, name="Acme", **members_by_role) → an organization owned by `owner`, with
    further members: make_org(alice, viewer=[bob], admin=[carol])."""

    counter = iter(range(1, 10_000))

    def make(owner, name="Acme", **members):
        organization = Organization.objects.create(name=name, slug=f"{name.lower()}-{next(counter)}-{owner.pk.hex[:6]}")
        Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
        for role, users in members.items():
            for user in users:
                Membership.objects.create(organization=organization, user=user, role=role)
        return organization

    return make

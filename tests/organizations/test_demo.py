import pytest

from organizations import demo
from organizations.models import Invitation, Membership, Organization

pytestmark = pytest.mark.django_db


def test_demo_makes_a_shared_organization_with_a_second_member_and_is_idempotent(user_a):
    lines = []
    demo.load(user_a, lines.append)
    demo.load(user_a, lines.append)
    organization = Organization.objects.get(slug="demo-co")
    assert sorted(Membership.objects.filter(organization=organization).values_list("role", flat=True)) == ["member", "owner"]
    assert Invitation.objects.filter(organization=organization).count() == 1
    assert any("demo.colleague@example.com" in line for line in lines)

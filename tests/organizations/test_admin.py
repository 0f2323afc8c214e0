"""Staff's organization pages: lists with search and filters, no token hash anywhere."""

import pytest

from organizations import services
from organizations.models import Invitation, Membership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", [
    "/admin/organizations/organization/?q=acme&plan__exact=free",
    "/admin/organizations/membership/?role__exact=owner&q=alice",
    "/admin/organizations/invitation/?q=frank&role__exact=member",
    "/admin/organizations/roledefinition/",
])
def test_lists_search_and_filter(admin_client, make_org, user_a, path):
    org = make_org(user_a)
    services.invite(Membership.objects.get(organization=org, user=user_a), "frank@example.com", "member")
    assert admin_client.get(path).status_code == 200


def test_no_token_hash_in_the_invitation_pages(admin_client, make_org, user_a):
    org = make_org(user_a)
    invited = services.invite(Membership.objects.get(organization=org, user=user_a), "frank@example.com", "member")
    digest = Invitation.objects.get().token_hash
    for path in ("/admin/organizations/invitation/", f"/admin/organizations/invitation/{invited.invitation.pk}/change/"):
        body = admin_client.get(path).content.decode()
        assert "frank@example.com" in body and digest not in body and invited.token not in body

"""The organizations API: create, read, change, delete; members; invitations; accept; errors."""

import pytest

from organizations import services
from organizations.models import Invitation, Membership, Organization, Role

pytestmark = pytest.mark.django_db


def test_a_new_user_lists_their_personal_organization(api, user_a):
    body = api(user_a).get("/api/v1/organizations/").json()
    assert body["count"] == 1
    [personal] = body["results"]
    assert personal["id"] == str(user_a.pk) and personal["is_personal"] and personal["role"] == "owner"


def test_create_makes_the_caller_owner_and_slug_is_unique(api, user_a, user_b):
    response = api(user_a).post("/api/v1/organizations/", {"name": "Acme", "slug": "acme"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "owner" and response.json()["slug"] == "acme"
    taken = api(user_b).post("/api/v1/organizations/", {"name": "Other", "slug": "acme"}, format="json")
    assert taken.status_code == 400
    assert taken.json()["error"]["fields"] == {"slug": ["An organization with this slug exists already."]}
    made = api(user_b).post("/api/v1/organizations/", {"name": "Beta Co"}, format="json").json()
    assert made["slug"].startswith("beta-co-")


@pytest.mark.parametrize("body, field", [({}, "name"), ({"name": "x", "slug": "Not a slug!"}, "slug"),
                                         ({"name": "x", "settings": []}, "settings"), ({"name": "x" * 101}, "name")])
def test_bad_input_is_a_400_with_fields(api, user_a, body, field):
    response = api(user_a).post("/api/v1/organizations/", body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_only_admins_update_and_only_owners_delete(api, make_org, user_a, user_b, make_user):
    carol = make_user("carol@example.com")
    org = make_org(user_a, admin=[user_b], member=[carol])
    url = f"/api/v1/organizations/{org.pk}/"
    assert api(carol).patch(url, {"name": "By a member"}, format="json").status_code == 403
    assert api(user_b).patch(url, {"name": "By an admin", "plan": "enterprise"}, format="json").json()["plan"] == "free"
    assert api(user_b).delete(url).status_code == 403
    assert api(user_a).delete(url).status_code == 204
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_a_personal_organization_cannot_be_deleted_or_left(api, user_a):
    assert api(user_a).delete(f"/api/v1/organizations/{user_a.pk}/").status_code == 409
    mine = Membership.objects.get(organization_id=user_a.pk)
    assert api(user_a).delete(f"/api/v1/organizations/{user_a.pk}/members/{mine.pk}/").status_code == 409


def test_members_list_shows_emails_and_filters_by_role(api, make_org, user_a, user_b):
    org = make_org(user_a, viewer=[user_b])
    body = api(user_b).get(f"/api/v1/organizations/{org.pk}/members/?role=viewer").json()
    assert [(m["email"], m["role"]) for m in body["results"]] == [("bob@example.com", "viewer")]
    assert api(user_b).get(f"/api/v1/organizations/{org.pk}/members/?role=boss").status_code == 400


def test_admins_change_roles_but_owners_are_the_owners_business(api, make_org, user_a, user_b, make_user):
    carol = make_user("carol@example.com")
    org = make_org(user_a, admin=[user_b], member=[carol])
    owner = Membership.objects.get(organization=org, user=user_a)
    member = Membership.objects.get(organization=org, user=carol)
    base = f"/api/v1/organizations/{org.pk}/members/"
    assert api(user_b).patch(f"{base}{member.pk}/", {"role": "viewer"}, format="json").json()["role"] == "viewer"
    assert api(user_b).patch(f"{base}{owner.pk}/", {"role": "member"}, format="json").status_code == 403
    assert api(user_b).patch(f"{base}{member.pk}/", {"role": "owner"}, format="json").status_code == 403
    assert api(user_b).delete(f"{base}{owner.pk}/").status_code == 403
    assert api(user_a).patch(f"{base}{owner.pk}/", {"role": "admin"}, format="json").status_code == 409  # the last owner
    assert api(user_a).delete(f"{base}{owner.pk}/").json()["error"]["code"] == "last_owner"
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_invite_and_accept(api, make_org, user_a, make_user):
    org = make_org(user_a)
    response = api(user_a).post(f"/api/v1/organizations/{org.pk}/invitations/", {"email": "Frank@Example.com", "role": "viewer"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "frank@example.com" and body["url"].endswith(f"/organizations/join/{body['token']}/")
    assert Invitation.objects.get().token_hash == services.hash_token(body["token"])
    listed = api(user_a).get(f"/api/v1/organizations/{org.pk}/invitations/").json()["results"]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    frank = make_user("frank@example.com")
    stranger = make_user("stranger@example.com")
    assert api(stranger).post("/api/v1/invitations/accept", {"token": body["token"]}, format="json").status_code == 403
    joined = api(frank).post("/api/v1/invitations/accept", {"token": body["token"]}, format="json")
    assert joined.status_code == 200 and joined.json()["role"] == "viewer"
    again = api(frank).post("/api/v1/invitations/accept", {"token": body["token"]}, format="json")
    assert again.status_code == 404 and again.json()["error"]["code"] == "invitation_invalid"


def test_an_expired_or_revoked_invitation_does_not_join(api, make_org, user_a, make_user):
    org = make_org(user_a)
    frank = make_user("frank@example.com")
    invited = services.invite(Membership.objects.get(organization=org, user=user_a), "frank@example.com", "member")
    Invitation.objects.filter(pk=invited.invitation.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert api(frank).post("/api/v1/invitations/accept", {"token": invited.token}, format="json").status_code == 404
    invited = services.invite(Membership.objects.get(organization=org, user=user_a), "frank@example.com", "member")
    assert api(user_a).delete(f"/api/v1/organizations/{org.pk}/invitations/{invited.invitation.pk}/").status_code == 204
    assert api(frank).post("/api/v1/invitations/accept", {"token": invited.token}, format="json").status_code == 404
    assert not Membership.objects.filter(organization=org, user=frank).exists()


def test_the_organization_header_is_checked(api, make_org, user_a, user_b):
    """X-Organization-Id names the active organization for org-aware endpoints; here through the
    mixin directly, as the workflows endpoints use it."""
    from rest_framework.test import APIRequestFactory

    from organizations.api.permissions import OrganizationMixin

    org = make_org(user_a)

    class View(OrganizationMixin):
        kwargs = {}

    def membership_for(user, header):
        view = View()
        view.request = APIRequestFactory().get("/", HTTP_X_ORGANIZATION_ID=header) if header else APIRequestFactory().get("/")
        view.request.user = user
        return view.membership

    from rest_framework import exceptions

    assert membership_for(user_a, str(org.pk)).organization_id == org.pk
    assert membership_for(user_a, None).organization_id == user_a.pk  # the personal organization
    with pytest.raises(exceptions.NotFound):
        membership_for(user_b, str(org.pk))
    with pytest.raises(exceptions.ValidationError):
        membership_for(user_b, "not-a-uuid")


def test_roles_catalogue(api, user_a):
    body = api(user_a).get("/api/v1/roles").json()
    assert [r["name"] for r in body] == ["owner", "admin", "member", "viewer"]


def test_anyone_reads_the_roles_and_nobody_writes_them(api):
    response = api().get("/api/v1/roles")
    assert response.status_code == 200 and len(response.json()) == 4
    assert api().post("/api/v1/roles", {"name": "x"}, format="json").status_code == 405


def test_a_slug_is_a_string(api, user_a):
    response = api(user_a).post("/api/v1/organizations/", {"name": "Numbers", "slug": 0}, format="json")
    assert response.status_code == 400 and "slug" in response.json()["error"]["fields"]

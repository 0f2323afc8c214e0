"""The organizations pages: list and create, the switcher, leave, and the invite link's page."""

import pytest
from django.test import Client

from organizations import services
from organizations.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_create_makes_it_active_and_the_switcher_offers_it(pages, user_a):
    client = pages(user_a)
    response = client.post("/organizations/", {"name": "Rocket"})
    org = Organization.objects.get(name="Rocket")
    assert response.status_code == 302 and response["Location"] == f"/organizations/{org.pk}/"
    assert Membership.objects.get(organization=org).user_id == user_a.pk
    body = client.get("/").content.decode()
    assert 'data-testid="org-switcher"' in body and "<summary>Rocket</summary>" in body
    client.post("/organizations/switch/", {"organization_id": str(user_a.pk), "next": "/"})
    assert "<summary>Personal</summary>" in client.get("/").content.decode()


def test_create_with_a_blank_name_is_a_400(pages, user_a):
    assert pages(user_a).post("/organizations/", {"name": ""}).status_code == 400


def test_switching_to_someone_elses_organization_is_a_404(pages, make_org, user_a, user_b):
    org = make_org(user_a)
    assert pages(user_b).post("/organizations/switch/", {"organization_id": str(org.pk)}).status_code == 404
    assert pages(user_b).post("/organizations/switch/", {"organization_id": "nope"}).status_code == 404


def test_switch_ignores_an_offsite_next(pages, make_org, user_a):
    org = make_org(user_a)
    response = pages(user_a).post("/organizations/switch/", {"organization_id": str(org.pk), "next": "https://evil.example/"})
    assert response["Location"] == "/organizations/"


def test_leave_and_the_personal_organization_stays(pages, make_org, user_a, user_b):
    org = make_org(user_a, member=[user_b])
    mine = Membership.objects.get(organization=org, user=user_b)
    assert pages(user_b).post(f"/organizations/{org.pk}/members/{mine.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=mine.pk).exists()
    personal = Membership.objects.get(organization_id=user_b.pk)
    assert pages(user_b).post(f"/organizations/{user_b.pk}/members/{personal.pk}/remove/").status_code == 409
    owner = Membership.objects.get(organization=org, user=user_a)
    response = pages(user_a).post(f"/organizations/{org.pk}/members/{owner.pk}/remove/")
    assert response.status_code == 409 and "keeps at least one owner" in response.content.decode()


def _invite(make_org, owner, email="frank@example.com"):
    org = make_org(owner)
    return org, services.invite(Membership.objects.get(organization=org, user=owner), email, "member")


def test_the_invite_link_signed_out_offers_sign_in_and_sign_up_that_come_back(make_org, user_a):
    org, invited = _invite(make_org, user_a)
    path = f"/organizations/join/{invited.token}/"
    body = Client().get(path).content.decode()
    assert f"/accounts/signup/?next=/organizations/join/{invited.token}/" in body.replace("%2F", "/")
    client = Client()
    response = client.post(f"/accounts/signup/?next={path}", {"email": "frank@example.com", "password": "a-sound-passphrase-2026",
                                                              "password_confirm": "a-sound-passphrase-2026", "next": path})
    assert response.status_code == 302 and response["Location"] == path
    assert client.post(path).status_code == 302
    assert Membership.objects.filter(organization=org, user__email="frank@example.com", role="member").exists()


def test_the_invite_link_of_another_address_or_used_is_refused(pages, make_org, make_user, user_a, user_b):
    org, invited = _invite(make_org, user_a)
    path = f"/organizations/join/{invited.token}/"
    assert pages(user_b).post(path).status_code == 403
    frank = make_user("frank@example.com")
    assert pages(frank).post(path).status_code == 302
    assert pages(frank).post(path).status_code == 404
    assert pages(frank).post("/organizations/join/made-up/").status_code == 404
    assert not Membership.objects.filter(organization=org, user=user_b).exists()


def test_invite_shows_the_link_once_and_revoke_ends_it(pages, make_org, user_a, make_user):
    org = make_org(user_a)
    response = pages(user_a).post(f"/organizations/{org.pk}/invitations/", {"email": "frank@example.com", "role": "viewer"})
    assert response.status_code == 201
    body = response.content.decode()
    token = body.split("/organizations/join/")[1].split("/")[0]
    assert pages(user_a).get(f"/organizations/{org.pk}/").content.decode().count(token) == 0
    invitation = org.invitations.get()
    assert pages(user_a).post(f"/organizations/{org.pk}/invitations/{invitation.pk}/revoke/").status_code == 302
    assert pages(make_user("frank@example.com")).post(f"/organizations/join/{token}/").status_code == 404


def test_a_bad_invite_form_is_a_400(pages, make_org, user_a):
    org = make_org(user_a)
    assert pages(user_a).post(f"/organizations/{org.pk}/invitations/", {"email": "nope", "role": "boss"}).status_code == 400

"""Supabase Auth's own rows of a user — their sessions (`auth.sessions`) and MFA factors — reached
through Account → Security and GoTrue's API: user B can neither see, revoke nor remove user A's.
These rows are outside RLS (the `authenticated` role cannot reach the auth schema at all); what keeps
them apart is the scoping by the signed-in user, tried here through every route that ends or removes
one."""

import pytest
from rest_framework.test import APIClient

from accounts import mfa, projectkeys, sessions, tokens
from accounts.models import AuthSession, MfaFactor

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_session(user_a):
    return sessions.start(user_a)


@pytest.fixture
def a_factor(user_a, a_session):
    factor, _ = mfa.enroll(user_a, a_session.aal, "alice's phone", "Test")
    return factor


def gotrue(user):
    token = tokens.issue(user, session=sessions.start(user))["access_token"]
    return APIClient(HTTP_APIKEY=projectkeys.mint("anon"), HTTP_AUTHORIZATION=f"Bearer {token}")


def test_security_page_lists_only_my_sessions(a_session, pages, user_b):
    page = pages(user_b).get("/accounts/security/")
    assert page.status_code == 200
    listed = {row.pk for row in page.context["sessions"]}
    assert listed and a_session.pk not in listed
    assert str(a_session.pk) not in page.content.decode()


def test_revoking_another_users_session_on_the_page_is_404(a_session, pages, user_b):
    client = pages(user_b)
    assert client.post(f"/accounts/security/sessions/{a_session.pk}/revoke/").status_code == 404
    assert AuthSession.objects.filter(pk=a_session.pk).exists()
    assert client.get("/accounts/security/").status_code == 200  # B's own session goes on


@pytest.mark.parametrize("scope", ["global", "others", "local"])
def test_signing_out_through_the_api_ends_only_my_sessions(a_session, user_b, scope):
    assert gotrue(user_b).post(f"/auth/v1/logout?scope={scope}").status_code == 204
    assert AuthSession.objects.filter(pk=a_session.pk).exists()


def test_signing_out_everywhere_on_the_page_ends_only_my_sessions(a_session, pages, user_b):
    assert pages(user_b).post("/accounts/security/sessions/sign-out-everywhere/").status_code == 302
    assert AuthSession.objects.filter(pk=a_session.pk).exists()
    assert not AuthSession.objects.filter(user=user_b).exists()


def test_removing_another_users_factor_is_404(a_factor, pages, user_b):
    assert pages(user_b).post(f"/accounts/security/mfa/{a_factor.pk}/remove/").status_code == 404
    response = gotrue(user_b).delete(f"/auth/v1/factors/{a_factor.pk}")
    assert response.status_code == 404 and response.json()["error_code"] == "mfa_factor_not_found"
    assert gotrue(user_b).post(f"/auth/v1/factors/{a_factor.pk}/challenge").status_code == 404
    assert MfaFactor.objects.filter(pk=a_factor.pk).exists()


def test_the_owner_can_do_each_of_these(a_session, a_factor, pages, user_a):
    """The control: the same requests by A succeed, so the 404s above are about ownership."""
    client = pages(user_a)
    assert client.post(f"/accounts/security/sessions/{a_session.pk}/revoke/").status_code == 302
    assert not AuthSession.objects.filter(pk=a_session.pk).exists()
    assert gotrue(user_a).delete(f"/auth/v1/factors/{a_factor.pk}").status_code == 200
    assert not MfaFactor.objects.filter(pk=a_factor.pk).exists()

"""Account → Security: sessions with revoke and sign out everywhere, TOTP enrolment and removal,
the code step at login, and the user's own MFA requirement (pages half)."""

import re

import pyotp
from django.test import Client

from accounts import mfa, sessions
from accounts.models import AuthSession, MfaFactor
from tests.conftest import PASSWORD, page_client

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def log_in(email=None, password=PASSWORD, **extra) -> tuple[Client, object]:
    client = Client(**extra)
    return client, client.post("/accounts/login/", {"email": email, "password": password})


def enroll(client) -> tuple[str, str]:
    """Start an enrolment on the page: (factor id, secret) as the page shows them."""
    page = client.post("/accounts/security/mfa/enroll/", {"friendly_name": "phone"}).content.decode()
    assert "<svg" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    factor_id = re.search(r"/accounts/security/mfa/([0-9a-f-]{36})/activate/", page).group(1)
    return factor_id, secret


def verified_user(make_user, email="alice@example.com"):
    user = make_user(email)
    client, _ = log_in(email)
    factor_id, secret = enroll(client)
    assert client.post(f"/accounts/security/mfa/{factor_id}/activate/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    return user, client, secret


def test_security_lists_my_live_sessions_with_device_and_ip(user_a, user_b):
    client, _ = log_in(user_a.email, HTTP_USER_AGENT=CHROME, REMOTE_ADDR="203.0.113.7")
    sessions.start(user_b)  # someone else's: not listed
    page = client.get("/accounts/security/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Chrome on Linux" in text and "203.0.113.7" in text and "this device" in text
    assert len(page.context["sessions"]) == 1
    assert 'href="/accounts/security/"' in client.get("/").content.decode()  # in the header menu


def test_signed_out_visitors_go_to_the_login_page(db):
    response = Client().get("/accounts/security/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_revoking_another_session_ends_its_cookie(user_a):
    mine, _ = log_in(user_a.email)
    other, _ = log_in(user_a.email)
    other_id = other.session["_auth_session_id"]
    assert mine.post(f"/accounts/security/sessions/{other_id}/revoke/").status_code == 302
    assert not AuthSession.objects.filter(pk=other_id).exists()
    assert other.get("/accounts/security/").status_code == 302  # its cookie signs in no one now
    assert mine.get("/accounts/security/").status_code == 200


def test_another_users_session_cannot_be_revoked(user_a, user_b):
    mine, _ = log_in(user_a.email)
    theirs = sessions.start(user_b)
    assert mine.post(f"/accounts/security/sessions/{theirs.pk}/revoke/").status_code == 404
    assert AuthSession.objects.filter(pk=theirs.pk).exists()


def test_sign_out_everywhere_ends_every_session(user_a, user_b):
    mine, _ = log_in(user_a.email)
    other, _ = log_in(user_a.email)
    sessions.start(user_b)
    response = mine.post("/accounts/security/sessions/sign-out-everywhere/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not AuthSession.objects.filter(user=user_a).exists()
    assert AuthSession.objects.filter(user=user_b).exists()
    assert other.get("/accounts/security/").status_code == 302


def test_enrolment_shows_the_qr_and_secret_and_a_right_code_turns_it_on(user_a):
    client, _ = log_in(user_a.email)
    factor_id, secret = enroll(client)
    wrong = client.post(f"/accounts/security/mfa/{factor_id}/activate/", {"code": "000000"})
    assert wrong.status_code == 422 and secret in wrong.content.decode()  # still enrolling
    assert MfaFactor.objects.get(pk=factor_id).status == "unverified"

    assert client.post(f"/accounts/security/mfa/{factor_id}/activate/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert MfaFactor.objects.get(pk=factor_id).status == "verified"
    assert AuthSession.objects.get(pk=client.session["_auth_session_id"]).aal == "aal2"
    assert secret not in client.get("/accounts/security/").content.decode()  # shown once


def test_login_with_a_verified_factor_asks_for_the_code(make_user):
    user, _, secret = verified_user(make_user)
    client, response = log_in(user.email)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/mfa/")
    assert client.get("/accounts/security/").status_code == 302  # not signed in yet
    assert "_auth_session_id" not in client.session

    assert client.post("/accounts/login/mfa/", {"code": "123456"}).status_code == 422
    response = client.post("/accounts/login/mfa/", {"code": pyotp.TOTP(secret).now(), "next": "/accounts/security/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    session = AuthSession.objects.get(pk=client.session["_auth_session_id"])
    assert session.aal == "aal2" and session.factor_id is not None
    assert client.get("/accounts/security/").status_code == 200


def test_the_code_step_without_a_password_goes_back_to_login(db):
    assert Client().post("/accounts/login/mfa/", {"code": "123456"})["Location"] == "/accounts/login/"


def test_wrong_codes_are_throttled_per_factor(make_user, settings):
    settings.MFA_VERIFY_THROTTLE = {"attempts": 2, "window": 300}
    user, _, secret = verified_user(make_user)
    client, _ = log_in(user.email)
    statuses = [client.post("/accounts/login/mfa/", {"code": "000000"}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    assert client.post("/accounts/login/mfa/", {"code": pyotp.TOTP(secret).now()}).status_code == 429


def test_unenroll_needs_aal2_and_removes_the_factor(make_user):
    user, client, secret = verified_user(make_user)
    factor = mfa.verified_factors(user).get()
    aal1 = page_client(user)  # an aal1 session of the same user
    aal1.post(f"/accounts/security/mfa/{factor.pk}/remove/")
    assert MfaFactor.objects.filter(pk=factor.pk).exists()
    assert client.post(f"/accounts/security/mfa/{factor.pk}/remove/").status_code == 302
    assert not MfaFactor.objects.filter(pk=factor.pk).exists()

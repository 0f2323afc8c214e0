"""Page sign-up, login and logout against auth.users, and the failed-login throttle."""

import bcrypt
import pytest
from django.conf import settings
from django.test import Client

from accounts.models import AuthSession, AuthUser
from tests.conftest import PASSWORD


def test_sign_up_creates_a_supabase_shaped_user_and_signs_in(db):
    client = Client()
    response = client.post("/accounts/signup/", {"email": "New@Example.com", "password": PASSWORD, "password_confirm": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/"
    user = AuthUser.objects.get(email="new@example.com")
    assert user.aud == user.role == "authenticated"
    assert user.raw_app_meta_data == {"provider": "email", "providers": ["email"]}
    assert user.encrypted_password.startswith("$2a$10$")
    assert bcrypt.checkpw(PASSWORD.encode(), user.encrypted_password.encode())
    assert user.email_confirmed_at and user.created_at and user.updated_at
    assert user.confirmation_token == "" and user.is_anonymous is False and user.is_sso_user is False
    assert b"new@example.com" in client.get("/").content


@pytest.mark.parametrize(
    "data, field",
    [
        ({"email": "x@example.com", "password": PASSWORD, "password_confirm": "different-password"}, "password_confirm"),
        ({"email": "x@example.com", "password": "short", "password_confirm": "short"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD, "password_confirm": PASSWORD}, "email"),
    ],
)
def test_sign_up_rejects_bad_input_and_writes_nothing(db, data, field):
    response = Client().post("/accounts/signup/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not AuthUser.objects.exists()


def test_sign_up_with_a_taken_email(user_a):
    response = Client().post("/accounts/signup/", {"email": "ALICE@example.com", "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 400
    assert "cannot be used to sign up" in response.content.decode()
    assert AuthUser.objects.count() == 1


def test_login_checks_the_bcrypt_hash_and_stamps_last_sign_in(user_a):
    client = Client()
    response = client.post("/accounts/login/", {"email": "alice@example.com", "password": PASSWORD, "next": "/research/new/"})
    assert response.status_code == 302 and response["Location"] == "/research/new/"
    assert AuthUser.objects.get(pk=user_a.pk).last_sign_in_at is not None
    assert client.get("/").status_code == 200


def test_login_accepts_a_2b_hash_written_elsewhere(make_user):
    user = make_user(encrypted_password=bcrypt.hashpw(b"other-password-123", bcrypt.gensalt(4)).decode())
    response = Client().post("/accounts/login/", {"email": user.email, "password": "other-password-123"})
    assert response.status_code == 302


def test_login_refuses_an_offsite_next(user_a):
    response = Client().post("/accounts/login/", {"email": "alice@example.com", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_failed_login_shows_an_error(user_a):
    client = Client()
    response = client.post("/accounts/login/", {"email": "alice@example.com", "password": "wrong-password"})
    assert response.status_code == 400
    assert "Invalid email or password." in response.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_banned_user_cannot_log_in(make_user):
    from datetime import timedelta

    from django.utils import timezone

    user = make_user(banned_until=timezone.now() + timedelta(hours=1))
    response = Client().post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 400 and "banned" in response.content.decode()


def test_failed_logins_are_throttled(user_a, settings):
    settings.LOGIN_THROTTLE = {"attempts": 3, "window": 60}
    client = Client()
    for _ in range(3):
        assert client.post("/accounts/login/", {"email": "alice@example.com", "password": "nope"}).status_code == 400
    response = client.post("/accounts/login/", {"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert AuthUser.objects.get(pk=user_a.pk).last_sign_in_at is None


def test_logout_signs_out(user_a, pages):
    client = pages(user_a)
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # POST only: no logout by link
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_a_cookie_copied_before_logout_is_refused_after_it(user_a):
    """Page sessions are auth.sessions rows: logout deletes the row, so a copy of the (signed) cookie
    made before signs in no one, wherever it is replayed."""
    browser = Client()
    browser.post("/accounts/login/", {"email": user_a.email, "password": PASSWORD})
    auth_session = AuthSession.objects.get(user=user_a)
    assert auth_session.aal == "aal1" and auth_session.ip == "127.0.0.1"
    copied = browser.cookies[settings.SESSION_COOKIE_NAME].value
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = copied
    assert thief.get("/").status_code == 200  # the copy works while the session lives

    browser.post("/accounts/logout/")
    assert not AuthSession.objects.filter(user=user_a).exists()
    thief.cookies[settings.SESSION_COOKIE_NAME] = copied
    assert thief.get("/")["Location"].startswith("/accounts/login/")


def test_signing_in_again_ends_the_previous_session(user_a):
    browser = Client()
    browser.post("/accounts/login/", {"email": user_a.email, "password": PASSWORD})
    first = AuthSession.objects.get(user=user_a).pk
    browser.post("/accounts/login/", {"email": user_a.email, "password": PASSWORD})
    sessions = list(AuthSession.objects.filter(user=user_a).values_list("pk", flat=True))
    assert len(sessions) == 1 and sessions[0] != first


def test_failed_logins_are_throttled_per_account_from_any_address(user_a, settings):
    settings.LOGIN_THROTTLE = {"attempts": 2, "window": 60}  # per account: 4 times that
    for n in range(8):
        Client(REMOTE_ADDR=f"198.51.100.{n}").post("/accounts/login/", {"email": user_a.email, "password": "wrong"})
    response = Client(REMOTE_ADDR="203.0.113.50").post("/accounts/login/", {"email": user_a.email, "password": PASSWORD})
    assert response.status_code == 429


def test_sign_up_is_throttled_per_address(db, settings):
    settings.SIGNUP_THROTTLE = {"attempts": 2, "window": 60}
    for n in range(2):
        Client().post("/accounts/signup/", {"email": f"new{n}@example.com", "password": PASSWORD, "password_confirm": PASSWORD})
    response = Client().post("/accounts/signup/", {"email": "new9@example.com", "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 429 and not AuthUser.objects.filter(email="new9@example.com").exists()


def test_password_change_signs_out_existing_browsers(user_a, pages):
    client = pages(user_a)
    AuthUser.objects.filter(pk=user_a.pk).update(encrypted_password="$2a$10$" + "x" * 53)
    assert client.get("/").status_code == 302


def test_staff_admin_is_separate_from_end_users(user_a, admin_client, pages):
    assert admin_client.get("/admin/accounts/authuser/").status_code == 200
    page = admin_client.get(f"/admin/accounts/authuser/{user_a.pk}/change/").content.decode()
    assert "alice@example.com" in page and user_a.encrypted_password not in page
    assert pages(user_a).get("/admin/").status_code == 302  # an end user is not staff


def test_passwords_past_bcrypts_72_bytes(user_a):
    long = "é" * 40  # 80 bytes
    response = Client().post("/accounts/signup/", {"email": "long@example.com", "password": long, "password_confirm": long})
    assert response.status_code == 400 and "at most 72 bytes" in response.content.decode()
    login = Client().post("/accounts/login/", {"email": "alice@example.com", "password": long})
    assert login.status_code == 400 and "Invalid email or password." in login.content.decode()

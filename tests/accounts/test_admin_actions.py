"""The admin's actions on end users: ban and unban (Supabase's banned_until), through the changelist
as staff; a banned user's token, session and sign-in are refused until unbanned."""

from datetime import timedelta

from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, api_client, page_client

CHANGELIST = "/admin/accounts/authuser/"


def act(client, action, *users):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [str(u.pk) for u in users]}, follow=True)


def test_the_admin_carries_the_products_name(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Supa monolith administration" in page and "<title>Operations | Supa monolith admin</title>" in page


def test_staff_ban_and_unban_an_end_user(admin_client, user_a, user_b):
    token_client, session_client = api_client(user_a), page_client(user_a)
    assert token_client.get("/api/v1/partner/usage").status_code in (200, 404)  # a partner-less user: not 401

    response = act(admin_client, "ban", user_a)
    assert response.status_code == 200 and "Banned 1 user(s)." in response.content.decode()
    user_a.refresh_from_db()
    assert user_a.banned_until > timezone.now() + timedelta(days=36000)
    user_b.refresh_from_db()
    assert user_b.banned_until is None

    assert token_client.get("/api/v1/partner/usage").status_code == 401
    assert session_client.get("/").status_code == 302  # signed out of the pages
    assert Client().post("/api/v1/auth/token", {"email": user_a.email, "password": PASSWORD},
                         content_type="application/json").status_code in (400, 401, 403)
    refused = Client().post("/accounts/login/", {"email": user_a.email, "password": PASSWORD})
    assert refused.status_code == 400 and "sessionid" not in refused.cookies  # the form again, not signed in

    act(admin_client, "unban", user_a)
    user_a.refresh_from_db()
    assert user_a.banned_until is None
    assert api_client(user_a).get("/api/v1/partner/usage").status_code != 401
    assert Client().post("/api/v1/auth/token", {"email": user_a.email, "password": PASSWORD},
                         content_type="application/json").status_code == 200
    assert Client().post("/accounts/login/", {"email": user_a.email, "password": PASSWORD}).status_code == 302


def test_staff_who_may_only_view_users_have_no_ban_action(db, user_a):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_authuser"))
    client = Client()
    client.force_login(viewer)
    page = client.get(CHANGELIST).content.decode()
    assert 'value="ban"' not in page
    act(client, "ban", user_a)
    user_a.refresh_from_db()
    assert user_a.banned_until is None

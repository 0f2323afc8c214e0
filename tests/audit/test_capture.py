"""Captured without any view remembering: changes made through the API, the pages and the admin,
sign-in events, denied access, rolled-back writes — and never a secret."""

import json

import pytest
from django.test import Client

from accounts import services as accounts_services
from audit.models import AuditLog, UserActivity
from partners.models import ApiKey, Partner
from sessions_app.models import ResearchSession
from tests.conftest import PASSWORD

SESSIONS = "/api/v1/research-sessions/"


def logs(**filters):
    return list(AuditLog.objects.filter(**filters).order_by("created_at", "id"))


def test_api_create_update_delete_with_changed_fields(api, user_a):
    client = api(user_a)
    created = client.post(SESSIONS, {"title": "Pricing study"}, format="json", HTTP_X_REQUEST_ID="req-create-1")
    assert created.status_code == 201 and created["X-Request-ID"] == "req-create-1"
    pk = created.json()["id"]
    assert client.patch(f"{SESSIONS}{pk}/", {"stage": "2_planning"}, format="json").status_code == 200
    assert client.delete(f"{SESSIONS}{pk}/").status_code == 204

    create, update, delete = logs(resource_type="research_sessions", resource_id=pk)
    assert (create.action, create.user_id, create.request_id, create.details["via"]) == ("create", user_a.id, "req-create-1", "api")
    assert create.details["model"] == "sessions_app.ResearchSession"
    assert create.details["changes"]["title"] == {"new": "Pricing study"}
    assert create.details["changes"]["user_id"] == {"new": str(user_a.id)}
    assert update.action == "update" and update.details["changes"] == {"stage": {"old": "1_initial_research", "new": "2_planning"}}
    assert update.request_id != "req-create-1" and len(update.request_id) == 32  # made when none was sent
    assert delete.action == "delete" and delete.details["fields"]["title"] == "Pricing study"
    assert create.ip_address == "127.0.0.1"


def test_an_insane_request_id_is_replaced(api, user_a):
    response = api(user_a).get(SESSIONS, HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline" and len(response["X-Request-ID"]) == 32


def test_unchanged_save_and_reads_write_nothing(api, user_a):
    client = api(user_a)
    pk = client.post(SESSIONS, {"title": "Same"}, format="json").json()["id"]
    before = AuditLog.objects.count()
    client.get(f"{SESSIONS}{pk}/")
    client.get(SESSIONS)
    assert client.patch(f"{SESSIONS}{pk}/", {"title": "Same"}, format="json").status_code == 200
    assert AuditLog.objects.count() == before


def test_capture_can_be_switched_off(api, user_a, settings):
    settings.AUDIT_CAPTURE = False
    api(user_a).post(SESSIONS, {"title": "Quiet"}, format="json")
    assert not AuditLog.objects.filter(resource_type="research_sessions").exists()


def test_secrets_never_appear(api, user_a):
    client = api(user_a)
    assert client.post("/api/v1/partner/profile", {"name": "Acme", "email": "a@acme.example"}, format="json").status_code == 201
    response = client.post("/api/v1/partner/api-key/regenerate", format="json")
    assert response.status_code in (200, 201), response.content
    plaintext = [v for v in response.json().values() if isinstance(v, str) and v.startswith("epai_") and len(v) > 20]
    key = ApiKey.objects.get(partner__user=user_a)
    captured = logs(resource_type="api_keys")
    assert captured and captured[0].action == "create"
    trail = json.dumps([row.details for row in AuditLog.objects.all()])
    assert key.key_hash not in trail and "key_hash" not in trail
    assert plaintext and plaintext[0] not in trail
    assert captured[0].details["changes"]["key_prefix"] == {"new": key.key_prefix}  # shown to recognise it


def test_auth_users_changes_never_show_password_hashes(make_user):
    from audit.scope import scope

    with scope("page", capture=True, snapshots=True):
        user = make_user("hash@example.com")
    row = AuditLog.objects.get(resource_type='"auth"."users"', resource_id=str(user.pk))
    assert "encrypted_password" not in row.details["changes"] and "$2" not in json.dumps(row.details)
    assert row.details["changes"]["email"] == {"new": "hash@example.com"}


def test_admin_edit_by_staff(admin_client, admin_user, user_a):
    session = ResearchSession.objects.create(user=user_a, title="Before")
    response = admin_client.post(f"/admin/sessions_app/researchsession/{session.pk}/change/", {
        "user": str(user_a.pk), "title": "After", "status": "in_progress", "stage": "1_initial_research",
        "draft_files-TOTAL_FORMS": "0", "draft_files-INITIAL_FORMS": "0", "draft_files-MIN_NUM_FORMS": "0",
        "draft_files-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 302, response.content
    (row,) = logs(resource_type="research_sessions", action="update")
    assert row.details["via"] == "admin" and row.details["staff"] == admin_user.get_username()
    assert row.details["changes"] == {"title": {"old": "Before", "new": "After"}}
    assert row.user_id is None  # staff are not auth.users rows


def test_staff_login_logout_and_failed_login(admin_user):
    client = Client()
    assert client.post("/admin/login/", {"username": admin_user.username, "password": "wrong"}).status_code == 200
    assert client.post("/admin/login/", {"username": admin_user.username, "password": "password"}).status_code == 302
    client.post("/admin/logout/")
    kinds = list(UserActivity.objects.filter(details__staff_user=admin_user.username).order_by("created_at").values_list("activity_type", flat=True))
    assert kinds == ["login_failed", "login", "logout"]


def test_staff_password_change_is_an_activity_without_the_hash(admin_client, admin_user):
    response = admin_client.post(f"/admin/auth/user/{admin_user.pk}/password/", {
        "password1": "A-new-long-password-2026", "password2": "A-new-long-password-2026", "usable_password": "true"})
    assert response.status_code == 302, response.content
    change = UserActivity.objects.get(activity_type="password_change")
    assert change.details["staff_user"] == admin_user.username
    trail = json.dumps([r.details for r in AuditLog.objects.all()])
    assert "pbkdf2" not in trail and "md5$" not in trail and "password" not in trail


def test_page_signup_login_logout_and_failed_login(make_user):
    client = Client()
    assert client.post("/accounts/signup/", {"email": "new@example.com", "password": PASSWORD, "password_confirm": PASSWORD}).status_code in (200, 302)
    user = accounts_services.find_by_email("new@example.com")
    assert user is not None
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/", {"email": "new@example.com", "password": "wrong-password"}).status_code == 400
    assert client.post("/accounts/login/", {"email": "new@example.com", "password": PASSWORD}, HTTP_USER_AGENT="pytest-browser").status_code == 302
    kinds = list(UserActivity.objects.filter(user=user).order_by("created_at").values_list("activity_type", flat=True))
    assert kinds == ["signup", "logout", "login_failed", "login"]
    login = UserActivity.objects.get(user=user, activity_type="login")
    assert login.user_agent == "pytest-browser" and login.ip_address == "127.0.0.1"
    failed = UserActivity.objects.get(user=user, activity_type="login_failed")
    assert failed.details == {"email": "new@example.com", "reason": "invalid_credentials"}


def test_token_endpoint_success_and_failure(user_a, api):
    client = api()
    assert client.post("/api/v1/auth/token", {"email": user_a.email, "password": "nope"}, format="json").status_code == 401
    assert client.post("/api/v1/auth/token", {"email": "nobody@example.com", "password": "nope"}, format="json").status_code == 401
    assert client.post("/api/v1/auth/token", {"email": user_a.email, "password": PASSWORD}, format="json").status_code == 200
    kinds = list(UserActivity.objects.filter(user=user_a).exclude(activity_type="signup").order_by("created_at").values_list("activity_type", flat=True))
    assert kinds == ["login_failed", "login", "token_issued"]
    stranger = UserActivity.objects.get(activity_type="login_failed", user=None)
    assert stranger.details["email"] == "nobody@example.com"


def test_failed_login_survives_a_rolled_back_transaction(user_a):
    from django.db import transaction

    import audit

    with audit.context("page"):
        with pytest.raises(accounts_services.SignInError):
            with transaction.atomic():
                accounts_services.sign_in(user_a.email, "wrong", "10.0.0.1")
    row = UserActivity.objects.get(user=user_a, activity_type="login_failed")
    assert row.details["rolled_back"] is True and row.details["reason"] == "invalid_credentials"


def test_denied_api_access_is_recorded(api, user_a, user_b):
    assert api().get(SESSIONS).status_code == 401
    row = AuditLog.objects.get(action="access_denied_unauthenticated")
    assert row.resource_id == SESSIONS and row.details["status"] == 401 and row.user_id is None
    bad = Client().get(SESSIONS, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.status_code == 401
    assert AuditLog.objects.filter(action="access_denied_unauthenticated").count() == 2


def test_a_flood_of_bad_tokens_writes_a_handful_of_rows_with_their_count(db):
    client = Client()
    for _ in range(100):
        assert client.get(SESSIONS, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    counts = sorted(AuditLog.objects.filter(action="access_denied_unauthenticated")
                    .values_list("details__count_this_minute", flat=True))
    # 1, 2, 4 … 64 within one minute (two minutes at most, should the clock turn during the loop).
    assert 7 <= len(counts) <= 14 and max(counts) >= 50 and all(count & (count - 1) == 0 for count in counts)


@pytest.mark.urls("tests.audit.urls")
def test_rolled_back_api_write_is_still_audited(api, user_a):
    client = api(user_a)
    client.raise_request_exception = False
    response = client.post("/test-audit/write-then-fail", {"title": "Doomed"}, format="json")
    assert response.status_code == 500
    assert not ResearchSession.objects.exists()  # the write itself was rolled back
    (row,) = logs(resource_type="research_sessions")
    assert row.action == "create" and row.details["rolled_back"] is True and row.user_id == user_a.id
    assert row.details["changes"]["title"] == {"new": "Doomed"}


@pytest.mark.urls("tests.audit.urls")
def test_write_undone_by_an_inner_savepoint_is_still_audited(api, user_a):
    assert api(user_a).put("/test-audit/write-then-fail", format="json").json() == {"ok": True}
    assert not ResearchSession.objects.exists()
    (row,) = logs(resource_type="research_sessions")
    assert row.details["rolled_back"] is True and row.details["changes"]["title"] == {"new": "inner"}


def test_page_create_is_captured_under_rls(pages, user_a):
    client = pages(user_a)
    response = client.post("/research/new/", {"title": "From a page", "status": "in_progress", "stage": "1_initial_research"})
    assert response.status_code == 302, response.content
    session = ResearchSession.objects.get()
    row = AuditLog.objects.get(resource_type="research_sessions", resource_id=str(session.pk))
    assert row.details["via"] == "page" and row.user_id == user_a.id


def test_partner_rows_written_by_the_system_are_not_captured(user_a):
    from audit.capture import capturable
    from partners.models import RequestLog, SecurityEvent

    assert capturable(Partner) and capturable(ApiKey)
    assert not capturable(RequestLog) and not capturable(SecurityEvent) and not capturable(AuditLog)


@pytest.mark.urls("tests.audit.urls")
def test_rows_written_while_a_response_streams_keep_the_request(pages, user_a):
    response = pages(user_a).get("/test-audit/streamed")
    assert b"".join(response.streaming_content) == b"one two"
    chunk, nested = AuditLog.objects.get(action="streamed_chunk"), AuditLog.objects.get(action="streamed_nested")
    assert chunk.user_id == user_a.id and chunk.request_id == response["X-Request-ID"]
    assert nested.request_id == response["X-Request-ID"] and nested.user_id == user_a.id  # inherited from the request


@pytest.mark.urls("tests.audit.urls")
def test_a_page_that_fails_after_writing_keeps_nothing_but_the_audit_row(pages, user_a):
    client = pages(user_a)
    client.raise_request_exception = False
    assert client.get("/test-audit/page-write-then-fail").status_code == 500
    assert not ResearchSession.objects.exists()  # the page's transaction was rolled back
    (row,) = logs(resource_type="research_sessions")
    assert row.action == "create" and row.details["rolled_back"] is True and row.details["via"] == "page"

"""A user who requires MFA: their `aal1` sessions are refused by the API (403 mfa_required) and the
pages (sent to the code step), and — with that application check switched off — the database alone
hides and protects their sensitive rows (restrictive policies over public.mfa_satisfied())."""

import uuid

import pyotp
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import mfa, projectkeys, sessions, tokens
from accounts.models import AuthSession, AuthUser, MfaFactor
from chat.models import ChatMessage, ChatSession
from core import rls
from tests.chat.conftest import scripted  # noqa: F401 (fixture)
from tests.conftest import page_client
from tests.isolation.resources import RESOURCES
from tests.jobs import deferred, run_deferred

pytestmark = pytest.mark.django_db

SENSITIVE = [resource for resource in RESOURCES if resource.name in ("ga4-credential", "stored-value", "chat-message")]
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def require_mfa(user) -> AuthUser:
    AuthUser.objects.filter(pk=user.pk).update(raw_app_meta_data={"provider": "email", "mfa_required": True})
    return AuthUser.objects.get(pk=user.pk)


def session_at(user, aal: str) -> AuthSession:
    session = sessions.start(user)
    AuthSession.objects.filter(pk=session.pk).update(aal=aal)
    session.aal = aal
    return session


def api_at(user, aal: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.issue(user, session=session_at(user, aal))['access_token']}")
    return client


@pytest.fixture
def app_check_off(monkeypatch):
    monkeypatch.setattr(mfa, "satisfied", lambda user, aal: True)


@pytest.fixture(params=SENSITIVE, ids=lambda r: r.name)
def resource(request):
    return request.param


# --- the application ---------------------------------------------------------------------------------

def test_api_refuses_aal1_with_mfa_required(user_a):
    user = require_mfa(user_a)
    response = api_at(user, "aal1").get("/api/v1/research-sessions/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"
    assert "MFA" in response.json()["error"]["message"]
    assert api_at(user, "aal2").get("/api/v1/research-sessions/").status_code == 200


def test_aal1_is_fine_for_a_user_who_does_not_require_mfa(user_a):
    assert api_at(user_a, "aal1").get("/api/v1/research-sessions/").status_code == 200


def test_pages_send_an_aal1_session_to_the_code_step_which_lifts_it(user_a):
    user = require_mfa(user_a)
    MfaFactor.objects.create(id=uuid.uuid4(), user=user, factor_type="totp", status="verified",
                             created_at=timezone.now(), updated_at=timezone.now(), secret=SECRET)
    client = page_client(user)  # a page session at aal1
    response = client.get("/chat/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/mfa/?next=%2Fchat%2F"
    response = client.post("/accounts/login/mfa/", {"code": pyotp.TOTP(SECRET).now(), "next": "/chat/"})
    assert response["Location"] == "/chat/"
    assert AuthSession.objects.get(pk=client.session["_auth_session_id"]).aal == "aal2"
    assert client.get("/chat/").status_code == 200


def test_requiring_mfa_needs_aal2_and_a_factor(user_a):
    session = session_at(user_a, "aal2")
    with pytest.raises(mfa.MFAError) as refused:
        mfa.set_required(user_a, session.aal, True)
    assert refused.value.code == "mfa_factor_not_found"
    with pytest.raises(mfa.MFAError) as refused:
        mfa.set_required(user_a, "aal1", False)
    assert refused.value.code == "insufficient_aal"


# --- the database alone ------------------------------------------------------------------------------

def test_rls_alone_hides_sensitive_rows_from_aal1(app_check_off, resource, user_a):
    obj = resource.make(user_a)
    user = require_mfa(user_a)
    aal1 = api_at(user, "aal1")
    assert aal1.get(resource.api_detail(obj)).status_code == 404
    listed = aal1.get(resource.api_collection(obj))
    assert listed.status_code in (200, 404)
    if listed.status_code == 200:
        assert str(obj.pk) not in {row["id"] for row in listed.json()["results"]}
    if resource.page_detail:
        assert page_client(user).get(resource.page_detail(obj)).status_code == 404
    assert api_at(user, "aal2").get(resource.api_detail(obj)).status_code == 200


def test_rls_alone_keeps_aal1_from_changing_sensitive_rows(app_check_off, resource, user_a):
    obj = resource.make(user_a)
    user = require_mfa(user_a)
    before = resource.snapshot(obj)
    aal1 = api_at(user, "aal1")
    assert aal1.patch(resource.api_detail(obj), resource.update, format="json").status_code in (404, 405)
    assert aal1.delete(resource.api_detail(obj)).status_code == 404
    assert resource.snapshot(obj) == before


def test_the_policy_in_sql(user_a):
    """The restrictive policy itself: an aal1 claim of a user who requires MFA sees none of their rows
    and can write none; aal2 sees them; without the requirement aal1 sees them too."""
    obj = SENSITIVE[0].make(user_a)
    table = type(obj)._meta.db_table

    def visible(user, aal) -> int:
        with rls.end_user({**rls.claims_for(user), "aal": aal}), connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            return cursor.fetchone()[0]

    assert visible(user_a, "aal1") == 1
    user = require_mfa(user_a)
    assert (visible(user, "aal1"), visible(user, "aal2")) == (0, 1)
    with rls.end_user({**rls.claims_for(user), "aal": "aal1"}), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET updated_at = now()")
        assert cursor.rowcount == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosecdef, provolatile, proconfig FROM pg_proc WHERE oid = 'public.mfa_satisfied'::regproc")
        assert cursor.fetchone() == (True, "s", ['search_path=""'])


def test_the_gotrue_api_stays_open_to_aal1_so_it_can_reach_aal2(user_a):
    user = require_mfa(user_a)
    response = api_at(user, "aal1").get("/auth/v1/user", HTTP_APIKEY=projectkeys.mint())
    assert response.status_code == 200 and response.json()["id"] == str(user.pk)


@pytest.mark.usefixtures("scripted")
def test_a_chat_answer_job_acts_at_the_aal_of_the_session_that_asked(user_a):
    """The question is asked at aal2; the job answering it reads and writes chat_messages, guarded
    for this user, as the asking session could."""
    user = require_mfa(user_a)
    chat = ChatSession.objects.create(user=user, title="x", persona="po")
    asked = api_at(user, "aal2").post(f"/api/v1/chat/sessions/{chat.pk}/messages/",
                                      {"content": {"type": "user", "text": "how are we doing?"}}, format="json")
    assert asked.status_code == 201
    assert deferred()[0][1]["aal"] == "aal2"
    run_deferred()
    assert ChatMessage.objects.get(pk=asked.json()["assistant_message"]["id"]).status == "complete"

"""My activity page (under RLS, paginated, mine only) and the read-only admin of every audit table."""

import uuid

import pytest

import audit
from audit.models import AUDIT_MODELS, AuditLog
from tests.conftest import PASSWORD

ACTIVITY = "/activity/"


def test_activity_needs_a_signed_in_end_user(pages):
    response = pages().get(ACTIVITY)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_activity_shows_my_rows_only(pages, user_a, user_b):
    session = uuid.uuid4()
    audit.activity("login", user=user_a, details={})
    audit.activity("login_failed", user=user_b, details={"reason": "invalid_credentials", "email": user_b.email})
    audit.storage("set", session_id=session, key="alice-frame", value_type="dataframe", size_bytes=10, user=user_a)
    audit.storage("set", session_id=session, key="bob-frame", user=user_b)
    with audit.analysis_run(session_id=session, analysis_type="alice-forecast", user=user_a):
        pass
    client = pages(user_a)
    logins = client.get(ACTIVITY).content.decode()
    assert "Login" in logins and "Failed login" not in logins
    storage = client.get(ACTIVITY, {"tab": "storage"}).content.decode()
    assert "alice-frame" in storage and "bob-frame" not in storage
    runs = client.get(ACTIVITY, {"tab": "runs"}).content.decode()
    assert "alice-forecast" in runs and "Succeeded" in runs
    for tab in ("uploads", "calls", "changes", "unknown"):
        assert client.get(ACTIVITY, {"tab": tab}).status_code == 200


def test_activity_is_paginated(pages, user_a):
    for i in range(30):
        audit.storage("get", session_id=uuid.uuid4(), key=f"key-{i:02d}", user=user_a)
    client = pages(user_a)
    first = client.get(ACTIVITY, {"tab": "storage"}).content.decode()
    assert "key-29" in first and "key-00" not in first and "Page 1 of 2" in first
    second = client.get(ACTIVITY, {"tab": "storage", "page": 2}).content.decode()
    assert "key-00" in second


def test_nav_links_to_my_activity(pages, user_a):
    assert 'href="/activity/"' in pages(user_a).get("/").content.decode()


@pytest.mark.parametrize("model", AUDIT_MODELS, ids=lambda m: m._meta.db_table)
def test_admin_lists_and_shows_every_table_read_only(admin_client, user_a, model):
    audit.record("probe", user=user_a)
    audit.activity("login", user=user_a)
    audit.storage("set", session_id=uuid.uuid4(), key="k", user=user_a)
    audit.file_upload(file_name="f.csv", size_bytes=1, content_type="text/csv", sha256="0" * 64, stored_at="x", status="stored", user=user_a)
    with audit.analysis_run(session_id=uuid.uuid4(), analysis_type="probe", user=user_a):
        pass
    from audit.services import api_call

    api_call(service="probe", url="http://127.0.0.1/x?token=abc", method="GET", status_code=200, user=user_a)

    url = f"/admin/audit/{model._meta.model_name}/"
    listing = admin_client.get(url)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert user_a.email in page and f'href="{url}add/"' not in page
    filtered = admin_client.get(url, {"user__id__exact": str(user_a.id), "q": user_a.email})
    assert filtered.status_code == 200 and user_a.email in filtered.content.decode()
    assert admin_client.get(url, {"user_presence": "without"}).status_code == 200
    row = model.objects.filter(user=user_a).first()
    detail = admin_client.get(f"{url}{row.pk}/change/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert 'name="_save"' not in body and "deletelink" not in body and "token=abc" not in body
    assert admin_client.post(f"{url}{row.pk}/delete/").status_code == 403
    assert admin_client.get(f"{url}add/").status_code == 403


def test_admin_retention_policies_are_editable(admin_client):
    from audit.models import RetentionPolicy

    policy = RetentionPolicy.objects.create(table_name="probe_table", retention_days=10)
    response = admin_client.post(f"/admin/audit/retentionpolicy/{policy.pk}/change/", {"table_name": "probe_table", "retention_days": 20, "enabled": "on"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.retention_days == 20
    change = AuditLog.objects.get(resource_type="retention_policies", action="update")
    assert change.details["changes"]["retention_days"] == {"old": 10, "new": 20}


CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_sign_ins_name_the_browser_not_the_user_agent(pages, user_a):
    for agent in (CHROME_LINUX, FIREFOX_WINDOWS, "python-httpx/0.28.1"):
        response = pages().post("/accounts/login/", {"email": user_a.email, "password": PASSWORD}, HTTP_USER_AGENT=agent)
        assert response.status_code == 302
    page = pages(user_a).get(ACTIVITY).content.decode()
    assert ">Chrome on Linux</td>" in page and ">Firefox on Windows</td>" in page
    assert f'title="{CHROME_LINUX}"' in page  # the raw header stays at hand
    assert "<small>python-httpx/0.28.1</small>" in page  # no browser in it: shown as sent

"""Hostile input that is not a body, token or query of one operation: forged forwarding headers,
the pages' JSON forms and uploads, an oversized body sent with an API key, and /api/ paths that
match nothing. The API-wide catalogue is test_api.py."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from partners.models import RequestLog, SecurityEvent
from sessions_app.models import AnalysisSession, StoredValue
from tests.conftest import PASSWORD
from tests.hostile.payloads import BODIES
from tests.partners.conftest import key_a, partner_a  # noqa: F401 (fixtures)


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# What a form field can carry (text): the JSON payloads that are UTF-8 and of a form's size.
PAGE_JSON = [body for body in BODIES if body.content_type == "application/json" and len(body.content) < 1_000_000
             and _utf8(body.content)]


def test_rotating_x_forwarded_for_does_not_escape_the_login_throttle(user_a, settings):
    settings.LOGIN_THROTTLE = {"attempts": 3, "window": 60}
    client = APIClient()
    for n in range(3):
        client.post("/api/v1/auth/token", {"email": user_a.email, "password": "wrong"}, format="json",
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = client.post("/api/v1/auth/token", {"email": user_a.email, "password": PASSWORD}, format="json",
                           HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429 and response.json()["error"]["code"] == "too_many_attempts"


def test_a_forged_forwarded_address_locks_no_one_else_out(db, settings):
    """Refused keys sent 'from' a victim's address count against the sender's own address."""
    settings.API_KEY_THROTTLE = {"attempts": 2, "window": 60}
    for _ in range(3):
        APIClient().get("/api/v1/partner/usage", HTTP_X_API_KEY="epai_" + "z" * 43, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert set(SecurityEvent.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    victim = APIClient(REMOTE_ADDR="198.51.100.77").get("/api/v1/partner/usage", HTTP_X_API_KEY="epai_" + "y" * 43)
    assert victim.status_code == 401  # refused as unknown, not throttled


@pytest.mark.parametrize("body", PAGE_JSON, ids=lambda body: body.name)
def test_the_page_form_refuses_hostile_json_and_stores_nothing(user_a, pages, body):
    session = AnalysisSession.objects.create(user=user_a, name="Forms")
    text = body.content.decode("utf-8")
    response = pages(user_a).post(f"/analysis/{session.pk}/values/", {"key": "k", "value_type": "json", "value": text})
    assert response.status_code == 400, response.status_code
    assert not StoredValue.objects.exists()


@pytest.mark.parametrize("body", PAGE_JSON, ids=lambda body: body.name)
def test_a_hostile_json_upload_is_rejected_and_stores_nothing(user_a, pages, body):
    session = AnalysisSession.objects.create(user=user_a, name="Uploads")
    upload = SimpleUploadedFile("data.json", body.content, content_type="application/json")
    response = pages(user_a).post(f"/analysis/{session.pk}/upload/", {"file": upload})
    assert response.status_code == 400, response.status_code
    assert not StoredValue.objects.exists()


def test_an_oversized_body_with_an_api_key_is_a_json_413_and_still_logged(partner_a, key_a):
    response = Client().post("/api/v1/partner/insights/generate", b'{"x": "' + b"x" * (7 * 1024 * 1024) + b'"}',
                             content_type="application/json", HTTP_X_API_KEY=key_a)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert RequestLog.objects.get(partner=partner_a).status == 413


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/nope", "/api/v1/nope/", "/api/v1/research-sessions"])
def test_unknown_api_paths_answer_the_json_error_shape(db, settings, debug, path):
    settings.DEBUG = debug
    for method in ("get", "post", "put", "delete"):
        response = getattr(Client(enforce_csrf_checks=True), method)(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"

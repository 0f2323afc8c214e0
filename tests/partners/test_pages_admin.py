"""The partner portal pages and the admin."""

import pytest

from partners.models import ApiKey, Partner
from tests.jobs import run_deferred
from tests.partners.conftest import event, key_client


@pytest.fixture
def client(user_a, pages):
    return pages(user_a)


def test_portal_creates_the_profile_then_shows_the_key_once(client, user_a):
    page = client.get("/partner/")
    assert "Become a partner" in page.content.decode() and 'value="alice@example.com"' in page.content.decode()
    assert client.post("/partner/", {"name": "", "email": "bad"}).status_code == 400
    client.post("/partner/", {"name": "Acme", "email": "data@acme.example"})
    assert Partner.objects.get().user_id == user_a.id

    shown = client.post("/partner/key/regenerate/")
    body = shown.content.decode()
    key = body.split('data-testid="new-key" id="new-key">')[1].split("<")[0]
    assert key.startswith("epai_") and shown["Cache-Control"] == "no-store"
    # The plaintext leaves in this response's body only: in no cookie a replay could show again.
    assert key not in shown.cookies.output() and key not in str(client.cookies)
    again = client.get("/partner/").content.decode()
    assert key not in again and ApiKey.objects.get().key_prefix in again and ApiKey.objects.get().key_hash not in again

    key_client(key).post("/api/v1/ingest/events", event(), format="json")
    portal = client.get("/partner/").content.decode()
    assert "1 event from" in portal and "/api/v1/ingest/events" in portal  # usage and recent requests

    client.post("/partner/key/revoke/")
    assert ApiKey.objects.get().revoked_at is not None
    assert 'data-testid="key-status">revoked' in client.get("/partner/").content.decode()


def test_portal_generates_insights_and_edits_the_profile(client, user_a):
    Partner.objects.create(user=user_a, name="Acme", email="a@acme.example")
    client.post("/partner/insights/generate/")
    client.post("/partner/insights/generate/")  # a second click while the first waits: one job
    page = client.get("/partner/").content.decode()
    assert "<strong>queued</strong>" in page and "daily_volume_anomaly" not in page
    assert run_deferred() == ["partners.generate_insights_for"]
    page = client.get("/partner/").content.decode()
    assert "<strong>done</strong>" in page and "daily_volume_anomaly" in page
    client.post("/partner/profile/", {"name": "Acme Corp", "email": "a@acme.example"})
    assert Partner.objects.get().name == "Acme Corp"


def test_portal_needs_a_signed_in_user(db, pages):
    assert pages().get("/partner/")["Location"].startswith("/accounts/login/")
    assert pages().post("/partner/key/regenerate/")["Location"].startswith("/accounts/login/")


def test_admin_lists_every_table_without_key_hashes(admin_client, partner_a, key_a):
    key_client(key_a).post("/api/v1/ingest/events", event(), format="json")
    key_client("epai_wrong").get("/api/v1/partner/usage")
    for model in ["partner", "apikey", "predictionmodel", "ingestionevent", "insight", "requestlog", "securityevent", "dailyusage"]:
        response = admin_client.get(f"/admin/partners/{model}/")
        assert response.status_code == 200, model
        assert ApiKey.objects.get().key_hash not in response.content.decode()
    change = admin_client.get(f"/admin/partners/apikey/{ApiKey.objects.get().pk}/change/").content.decode()
    assert ApiKey.objects.get().key_hash not in change and key_a not in change
    log_page = admin_client.get("/admin/partners/requestlog/").content.decode()
    assert "Add request log" not in log_page

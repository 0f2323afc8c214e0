"""The GA4 credentials API: the sync endpoint (upsert), the safe shape (no token of any kind), the
tenant derived on the server, revoke."""

import uuid

import pytest

from chat.models import GA4Credential
from tests.chat.loopback import Reply

pytestmark = pytest.mark.django_db

URL = "/api/v1/ga4/credentials"
SAFE_FIELDS = {
    "id", "tenant_id", "property_id", "property_name", "status", "scopes",
    "token_expiry", "last_refreshed_at", "created_at", "updated_at",
}
SECRET_REFRESH = "1//refresh-secret-ab12cd34"
SECRET_ACCESS = "ya29.access-secret-ef56gh78"


def sync_body(**overrides):
    return {
        "property_id": "properties/123456789",
        "property_name": "Web shop",
        "refresh_token": SECRET_REFRESH,
        "access_token": SECRET_ACCESS,
        "token_expiry": "2030-01-01T00:00:00Z",
        "scopes": ["https://www.googleapis.com/auth/analytics.readonly"],
        **overrides,
    }


def assert_no_token(response):
    text = response.content.decode()
    assert SECRET_REFRESH not in text and SECRET_ACCESS not in text
    assert "refresh_token" not in text and "access_token" not in text


def test_sync_creates_a_credential_in_the_safe_shape(api, user_a):
    response = api(user_a).post(URL, sync_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == SAFE_FIELDS
    assert_no_token(response)
    assert body["property_id"] == "123456789" and body["status"] == "active"
    credential = GA4Credential.objects.get(pk=body["id"])
    assert credential.user_id == user_a.pk
    assert credential.refresh_token == SECRET_REFRESH and credential.access_token == SECRET_ACCESS


def test_sync_ignores_a_client_sent_tenant_id(api, user_a):
    foreign_tenant = uuid.uuid4()
    response = api(user_a).post(URL, sync_body(tenant_id=str(foreign_tenant)), format="json")
    assert response.status_code == 201
    assert response.json()["tenant_id"] == str(user_a.pk)
    assert GA4Credential.objects.get().tenant_id == user_a.pk != foreign_tenant


def test_sync_upserts_per_user_and_property(api, user_a, user_b):
    client = api(user_a)
    first = client.post(URL, sync_body(), format="json").json()
    again = client.post(URL, sync_body(property_id="123456789", refresh_token="1//rotated", property_name="Renamed"), format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["property_name"] == "Renamed"
    assert GA4Credential.objects.get(pk=first["id"]).refresh_token == "1//rotated"
    # Another user's credential for the same property is their own row.
    other = api(user_b).post(URL, sync_body(), format="json")
    assert other.status_code == 201 and other.json()["id"] != first["id"]
    assert GA4Credential.objects.count() == 2


def test_sync_reactivates_a_credential_that_needed_reauth(api, user_a):
    client = api(user_a)
    created = client.post(URL, sync_body(), format="json").json()
    GA4Credential.objects.filter(pk=created["id"]).update(status="needs_reauth", refresh_token=None)
    again = client.post(URL, sync_body(), format="json")
    assert again.status_code == 200 and again.json()["status"] == "active"


@pytest.mark.parametrize(
    "field, value",
    [
        ("property_id", "UA-12345-1"),
        ("property_id", "123\n"),
        ("property_id", " 123"),
        ("property_id", ""),
        ("refresh_token", ""),
        ("refresh_token", "   "),
        ("scopes", "analytics.readonly"),
        ("token_expiry", "tomorrow"),
    ],
)
def test_sync_refuses_invalid_fields(api, user_a, field, value):
    response = api(user_a).post(URL, sync_body(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not GA4Credential.objects.exists()


def test_sync_needs_a_refresh_token(api, user_a):
    body = sync_body()
    del body["refresh_token"]
    assert api(user_a).post(URL, body, format="json").status_code == 400


def test_list_retrieve_rename_in_the_safe_shape(api, user_a, user_b):
    client = api(user_a)
    mine = client.post(URL, sync_body(), format="json").json()
    client.post(URL, sync_body(property_id="42", property_name="Blog"), format="json")
    api(user_b).post(URL, sync_body(property_id="7"), format="json")

    listed = client.get(URL)
    assert listed.status_code == 200
    assert_no_token(listed)
    assert listed.json()["count"] == 2
    assert {row["property_id"] for row in listed.json()["results"]} == {"123456789", "42"}
    assert all(set(row) == SAFE_FIELDS for row in listed.json()["results"])
    assert client.get(URL, {"status": "revoked"}).json()["count"] == 0

    detail = client.get(f"{URL}/{mine['id']}")
    assert detail.status_code == 200 and set(detail.json()) == SAFE_FIELDS
    assert_no_token(detail)

    renamed = client.patch(f"{URL}/{mine['id']}", {"property_name": "Shop (EU)", "refresh_token": "x", "status": "revoked"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["property_name"] == "Shop (EU)"
    assert_no_token(renamed)
    credential = GA4Credential.objects.get(pk=mine["id"])
    assert credential.refresh_token == SECRET_REFRESH and credential.status == "active"  # only the name changes


def test_delete_revokes_tokens_and_the_grant(google, api, user_a, make_credential, django_capture_on_commit_callbacks):
    credential = make_credential(user_a)
    refresh_token = credential.refresh_token
    with django_capture_on_commit_callbacks(execute=True):
        response = api(user_a).delete(f"{URL}/{credential.pk}")
    assert response.status_code == 204
    row = GA4Credential.objects.get(pk=credential.pk)
    assert (row.status, row.refresh_token, row.access_token, row.token_expiry) == ("revoked", None, None, None)
    (call,) = google.requests_to("revoke")
    assert call.form["token"] == refresh_token
    assert not google.is_valid_refresh_token(refresh_token)
    assert api(user_a).get(f"{URL}/{credential.pk}").json()["status"] == "revoked"
    from audit.models import AuditLog

    log = AuditLog.objects.get(action="ga4_credential.revoked")
    assert (log.user_id, log.resource_id, log.details["provider_revocation"]) == (user_a.pk, str(credential.pk), True)


def test_delete_succeeds_when_the_provider_revocation_fails(google, api, user_a, make_credential, django_capture_on_commit_callbacks, caplog):
    credential = make_credential(user_a)
    google.script("revoke", Reply(503, {"error": "backend_error"}))
    with django_capture_on_commit_callbacks(execute=True):
        assert api(user_a).delete(f"{URL}/{credential.pk}").status_code == 204
    assert GA4Credential.objects.get(pk=credential.pk).status == "revoked"
    assert "revocation answered HTTP 503" in caplog.text


def test_no_revocation_call_when_none_is_configured(google, settings, api, user_a, make_credential, django_capture_on_commit_callbacks):
    settings.GA4_OAUTH_REVOKE_URL = ""
    credential = make_credential(user_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert api(user_a).delete(f"{URL}/{credential.pk}").status_code == 204
    assert google.calls["revoke"] == 0
    assert GA4Credential.objects.get(pk=credential.pk).refresh_token is None


def test_endpoints_need_a_token(api):
    assert api().get(URL).status_code == 401
    assert api().post(URL, sync_body(), format="json").status_code == 401

"""The admin's action on API keys: staff revoke a key, which stops working at once."""

from partners.models import ApiKey
from tests.partners.conftest import key_client


def test_staff_revoke_a_key(admin_client, partner_a, partner_b, key_a, key_b):
    assert key_client(key_a).get("/api/v1/partner/usage").status_code == 200
    selected = ApiKey.objects.get(partner=partner_a)
    response = admin_client.post("/admin/partners/apikey/", {"action": "revoke", "_selected_action": [str(selected.pk)]}, follow=True)
    assert response.status_code == 200 and "Revoked 1 API key(s)." in response.content.decode()

    assert key_client(key_a).get("/api/v1/partner/usage").status_code == 401
    assert key_client(key_b).get("/api/v1/partner/usage").status_code == 200  # only the selected key
    selected.refresh_from_db()
    assert selected.revoked_at is not None
    assert key_a not in response.content.decode() and selected.key_hash not in response.content.decode()

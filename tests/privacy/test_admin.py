import pytest
from django.contrib.auth.models import User

from privacy import services
from privacy.models import RetentionRun
from tests.privacy.conftest import consent


@pytest.mark.django_db
def test_staff_see_health_and_counts_never_contents(client, user_a):
    consent(user_a)
    services.log(user_a, "prefs_changed", "privacy_prefs", metadata={"marker": "secret-marker-42"})
    RetentionRun.objects.create(users=1, telemetry_deleted=3)
    client.force_login(User.objects.create_superuser("staff", "staff@example.com", "pw-staff-123"))
    page = client.get("/admin/privacy/retentionrun/")
    content = page.content.decode()
    assert page.status_code == 200
    assert "present, self-test passed" in content and "forced" in content
    assert "<td>privacy_transparency_log</td><td>1</td><td>1</td>" in content
    assert "secret-marker-42" not in content and user_a.email not in content
    for model in ("telemetryevent", "transparencylogentry", "privacyprefs"):
        assert client.get(f"/admin/privacy/{model}/").status_code == 404

"""Support staff's tools in the admin ("Privacy requests", privacy.staff): each asks for
confirmation and a reason, acts as the user through the user's own services, writes the user's
transparency-log row naming the staff member (the chain still verifies), and is refused to staff
without `privacy.act_on_privacy_data`."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from django.utils.html import escape

from privacy import services
from privacy.models import FileEvent, PrivacyExport, PrivacyPrefs, TelemetryEvent, TransparencyLogEntry
from tests.privacy.conftest import consent, telemetry

CHANGELIST = "/admin/privacy/privacysubject/"
REASON = "Ticket 4711: the user's e-mail of 2 December"


def staff_user(username, *permissions):
    user = User.objects.create_user(username, f"{username}@example.com", "pw-staff-123", is_staff=True)
    user.user_permissions.add(*(Permission.objects.get(content_type__app_label=app, codename=codename)
                                for app, codename in (p.split(".") for p in permissions)))
    return user


@pytest.fixture
def support(client, db):
    client.force_login(staff_user("support", "privacy.act_on_privacy_data"))
    return client


def run(client, action, *users, reason=REASON):
    data = {"action": action, "_selected_action": [str(user.pk) for user in users], "confirmed": "yes"}
    if reason is not None:
        data["reason"] = reason
    return client.post(CHANGELIST, data)


def add_telemetry(user, count=2):
    for i in range(count):
        TelemetryEvent.objects.create(user=user, timestamp=timezone.now(), app_id="code", event_type="edit",
                                      metadata_redacted_json={"note": f"private-note-{i}"})
    FileEvent.objects.create(user=user, file_path="/srv/a.py", event_type="modified", tool="code", timestamp=timezone.now())


def last_entry(user):
    return TransparencyLogEntry.objects.filter(user=user).order_by("position").last()


def assert_attributed(entry, action, staff_username="support"):
    assert entry.action == action
    assert entry.metadata["staff"] == {"id": User.objects.get(username=staff_username).pk, "username": staff_username,
                                       "reason": REASON}


@pytest.mark.django_db
def test_the_list_shows_who_never_what(support, user_a):
    add_telemetry(user_a)
    page = support.get(CHANGELIST)
    content = page.content.decode()
    assert page.status_code == 200 and user_a.email in content
    assert "private-note" not in content
    for action in ("erase_telemetry", "stop_monitoring", "request_export"):
        assert f'value="{action}"' in content
    assert 'value="delete_selected"' not in content


@pytest.mark.django_db
def test_erasure_asks_first_then_logs_with_the_staff_member(support, user_a, user_b):
    add_telemetry(user_a)
    add_telemetry(user_b)
    services.log(user_a, "prefs_changed", "privacy_prefs")  # a chain to extend
    asked = support.post(CHANGELIST, {"action": "erase_telemetry", "_selected_action": [str(user_a.pk)]})
    assert asked.status_code == 200 and b"Erase every telemetry" in asked.content and user_a.email.encode() in asked.content
    assert TelemetryEvent.objects.filter(user=user_a).count() == 2  # nothing done before the confirmation

    done = run(support, "erase_telemetry", user_a)
    assert done.status_code == 302
    assert not TelemetryEvent.objects.filter(user=user_a).exists() and not FileEvent.objects.filter(user=user_a).exists()
    assert TelemetryEvent.objects.filter(user=user_b).count() == 2 and FileEvent.objects.filter(user=user_b).count() == 1
    entry = last_entry(user_a)
    assert_attributed(entry, "telemetry_deleted")
    assert entry.metadata["telemetry_events"] == 2 and entry.metadata["file_events"] == 1
    assert services.verify_chain(user_a) == {"valid": True, "entries": 2, "broken_at": None, "reason": ""}
    assert not TransparencyLogEntry.objects.filter(user=user_b).exists()
    history = LogEntry.objects.get(object_id=str(user_a.pk))
    assert history.user.username == "support" and "erased 2 telemetry and 1 file events" in history.change_message


@pytest.mark.django_db
def test_stop_monitoring(support, api, user_a):
    consent(user_a)
    assert run(support, "stop_monitoring", user_a).status_code == 302
    prefs = PrivacyPrefs.objects.get(user=user_a)
    assert prefs.consent_given and not prefs.monitoring_enabled
    entry = last_entry(user_a)
    assert_attributed(entry, "prefs_changed")
    assert "monitoring_enabled" in entry.metadata["fields"] and "consent_given" not in entry.metadata["fields"]
    assert entry.old_value_hash != entry.new_value_hash
    assert services.verify_chain(user_a)["valid"]
    refused = api(user_a).post("/api/v1/privacy/ingest", json.dumps({"telemetry": [telemetry()]}), content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "monitoring_disabled"


@pytest.mark.django_db
def test_export_for_the_user_to_download(support, pages, user_a):
    assert run(support, "request_export", user_a).status_code == 302
    export = PrivacyExport.objects.get(user=user_a)
    assert export.status == "pending"
    assert_attributed(last_entry(user_a), "export_requested")
    assert services.verify_chain(user_a)["valid"]
    page = pages(user_a).get("/privacy/")  # the user sees who did it, and why
    assert "support staff support: " + escape(REASON) in page.content.decode()


@pytest.mark.django_db
def test_a_reason_is_required(support, user_a):
    add_telemetry(user_a)
    again = run(support, "erase_telemetry", user_a, reason=" ")
    assert again.status_code == 200 and b"This field is required" in again.content
    assert TelemetryEvent.objects.filter(user=user_a).count() == 2 and not TransparencyLogEntry.objects.filter(user=user_a).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("permissions", [(), ("privacy.view_retentionrun",)])
def test_staff_without_the_permission_cannot(client, user_a, permissions):
    add_telemetry(user_a)
    consent(user_a)
    client.force_login(staff_user("helpdesk", *permissions))
    assert client.get(CHANGELIST).status_code == 403
    for action in ("erase_telemetry", "stop_monitoring", "request_export"):
        assert run(client, action, user_a).status_code == 403
    assert TelemetryEvent.objects.filter(user=user_a).count() == 2
    assert PrivacyPrefs.objects.get(user=user_a).monitoring_enabled
    assert not PrivacyExport.objects.filter(user=user_a).exists()
    assert not TransparencyLogEntry.objects.filter(user=user_a).exists()

"""Research-session pages through Django's test client (the browser suite drives the same flows in
Chromium)."""

import pytest

from sessions_app.models import DraftFile, ResearchSession


@pytest.fixture
def client(user_a, pages):
    return pages(user_a)


def test_pages_need_a_signed_in_user(db, pages):
    response = pages().get("/research/new/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/research/new/"


def test_dashboard_lists_only_my_sessions_with_a_status_filter(client, user_a, user_b):
    ResearchSession.objects.create(user=user_a, title="Mine, open")
    ResearchSession.objects.create(user=user_a, title="Mine, done", status="completed")
    ResearchSession.objects.create(user=user_b, title="Bob's")
    page = client.get("/").content.decode()
    assert "Mine, open" in page and "Mine, done" in page and "Bob&#x27;s" not in page
    filtered = client.get("/?status=completed").content.decode()
    assert "Mine, done" in filtered and "Mine, open" not in filtered


def test_dashboard_paginates(client, user_a):
    ResearchSession.objects.bulk_create(ResearchSession(user=user_a, title=f"S{i:02}") for i in range(25))
    first = client.get("/").content.decode()
    assert "Page 1 of 2" in first
    assert client.get("/?page=2").status_code == 200


def test_create_edit_delete_session(client, user_a):
    response = client.post("/research/new/", {"title": "Study", "status": "in_progress", "stage": "1_initial_research"})
    session = ResearchSession.objects.get()
    assert response["Location"] == f"/research/{session.pk}/" and session.user_id == user_a.id

    client.post(f"/research/{session.pk}/edit/", {"title": "Renamed", "status": "completed", "stage": "4_writing"})
    session.refresh_from_db()
    assert (session.title, session.status, session.stage) == ("Renamed", "completed", "4_writing")

    assert "Renamed" in client.get(f"/research/{session.pk}/delete/").content.decode()
    client.post(f"/research/{session.pk}/delete/")
    assert not ResearchSession.objects.exists()


def test_invalid_session_form_shows_errors_and_writes_nothing(client):
    response = client.post("/research/new/", {"title": "", "status": "archived", "stage": "1_initial_research"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "status"}
    assert not ResearchSession.objects.exists()


def test_draft_file_pages(client, user_a):
    session = ResearchSession.objects.create(user=user_a, title="S")
    client.post(f"/research/{session.pk}/files/new/", {"file_name": "notes.md", "content": "hello"})
    draft = DraftFile.objects.get()
    assert draft.session_id == session.pk
    assert "notes.md" in client.get(f"/research/{session.pk}/").content.decode()

    duplicate = client.post(f"/research/{session.pk}/files/new/", {"file_name": "notes.md", "content": "again"})
    assert "already has a file with this name" in duplicate.content.decode()

    client.post(f"/research/{session.pk}/files/{draft.pk}/", {"file_name": "notes.md", "content": "edited"})
    draft.refresh_from_db()
    assert draft.content == "edited"

    client.post(f"/research/{session.pk}/files/{draft.pk}/delete/")
    assert not DraftFile.objects.exists()


def test_api_docs_and_schema_are_served(db, client):
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs and "cdn" not in docs.lower()  # works offline
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/research-sessions/" in schema["paths"]

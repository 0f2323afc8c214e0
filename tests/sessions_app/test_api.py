"""Research sessions and draft files through the API: CRUD, filters, validation, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app.models import DraftFile, ResearchSession

SESSIONS = "/api/v1/research-sessions/"


def files_url(session):
    return f"{SESSIONS}{session.pk}/draft-files/"


@pytest.fixture
def client(user_a, api):
    return api(user_a)


def test_create_read_update_delete(client, user_a):
    created = client.post(SESSIONS, {"title": "Pricing study"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "in_progress" and body["stage"] == "1_initial_research"
    session = ResearchSession.objects.get(pk=body["id"])
    assert session.user_id == user_a.id

    assert client.get(f"{SESSIONS}{session.pk}/").json()["title"] == "Pricing study"

    updated = client.patch(f"{SESSIONS}{session.pk}/", {"stage": "2_planning", "status": "completed"}, format="json")
    assert updated.status_code == 200
    assert updated.json()["updated_at"] > body["updated_at"]
    session.refresh_from_db()
    assert (session.stage, session.status) == ("2_planning", "completed")

    assert client.put(f"{SESSIONS}{session.pk}/", {"title": "Renamed"}, format="json").json()["title"] == "Renamed"
    assert client.delete(f"{SESSIONS}{session.pk}/").status_code == 204
    assert not ResearchSession.objects.exists()


def test_owner_cannot_be_chosen_by_the_client(client, user_a, user_b):
    response = client.post(SESSIONS, {"title": "Mine", "user": str(user_b.id), "user_id": str(user_b.id)}, format="json")
    assert response.status_code == 201
    assert ResearchSession.objects.get().user_id == user_a.id


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({}, {"title"}),
        ({"title": ""}, {"title"}),
        ({"title": "x" * 501}, {"title"}),
        ({"title": "ok", "status": "archived"}, {"status"}),
        ({"title": "ok", "stage": "5_publishing"}, {"stage"}),
    ],
)
def test_invalid_input_is_400_and_writes_nothing(client, payload, fields):
    response = client.post(SESSIONS, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == fields
    assert not ResearchSession.objects.exists()


def test_invalid_update_changes_nothing(client, user_a):
    session = ResearchSession.objects.create(user=user_a, title="Keep")
    response = client.patch(f"{SESSIONS}{session.pk}/", {"title": "", "status": "completed"}, format="json")
    assert response.status_code == 400
    session.refresh_from_db()
    assert (session.title, session.status) == ("Keep", "in_progress")


def test_filters_search_ordering_and_pagination(client, user_a):
    ResearchSession.objects.bulk_create([
        ResearchSession(user=user_a, title=f"Study {i}", status="completed" if i % 2 else "in_progress",
                        stage="4_writing" if i % 3 == 0 else "2_planning")
        for i in range(7)
    ])
    assert client.get(SESSIONS, {"status": "completed"}).json()["count"] == 3
    assert client.get(SESSIONS, {"stage": "4_writing"}).json()["count"] == 3
    assert client.get(SESSIONS, {"status": "completed", "stage": "4_writing"}).json()["count"] == 1
    assert client.get(SESSIONS, {"search": "study 4"}).json()["count"] == 1
    titles = [r["title"] for r in client.get(SESSIONS, {"ordering": "title"}).json()["results"]]
    assert titles == sorted(titles)
    page = client.get(SESSIONS, {"page_size": 5}).json()
    assert page["count"] == 7 and len(page["results"]) == 5 and page["next"]
    assert len(client.get(page["next"]).json()["results"]) == 2


def test_bad_filter_values_are_400(client):
    response = client.get(SESSIONS, {"status": "archived"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    assert client.get(SESSIONS, {"page": 99}).status_code == 404


def test_draft_files_crud(client, user_a):
    session = ResearchSession.objects.create(user=user_a, title="S")
    created = client.post(files_url(session), {"file_name": "notes.md", "content": "# Notes"}, format="json")
    assert created.status_code == 201, created.content
    file_id = created.json()["id"]
    assert created.json()["session"] == str(session.pk)

    assert client.get(files_url(session)).json()["count"] == 1
    assert client.patch(f"{files_url(session)}{file_id}/", {"content": "changed"}, format="json").json()["content"] == "changed"
    assert client.delete(f"{files_url(session)}{file_id}/").status_code == 204
    assert not DraftFile.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [({"content": "x"}, "file_name"), ({"file_name": "../etc/passwd"}, "file_name"), ({"file_name": "notes.md"}, "file_name")],
)
def test_draft_file_validation(client, user_a, payload, field):
    session = ResearchSession.objects.create(user=user_a, title="S")
    DraftFile.objects.create(session=session, file_name="notes.md")
    response = client.post(files_url(session), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert DraftFile.objects.count() == 1


def test_draft_files_of_an_unknown_session_are_404(client):
    response = client.get(f"{SESSIONS}00000000-0000-0000-0000-000000000000/draft-files/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("page_size", [10, 100])
def test_list_query_count_does_not_grow_with_page_size(client, user_a, page_size):
    ResearchSession.objects.bulk_create(ResearchSession(user=user_a, title=f"S{i}") for i in range(120))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SESSIONS, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
    # Savepoints and the role reset exist only because the test itself runs in a transaction.
    statements = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "RESET ROLE"))]
    # The token's user, who the same statement switches the transaction to (RLS claims); the count, the page.
    assert len(statements) == 3, statements
    assert "FROM auth.users" in statements[0] and "set_config('request.jwt.claims'" in statements[0]

"""The sessions app's SQL statement counts (tests/query_counts.py; recorded in query_counts.json)."""

import uuid
from urllib.parse import quote

import pandas as pd

from sessions_app.models import AnalysisSession, DraftFile, ResearchSession
from sessions_app.storage import SessionStorage
from tests.query_counts import Count, api_crud, contract


def _session(owner):
    return ResearchSession.objects.create(user=owner, title="A study")


def _draft(owner):
    return DraftFile.objects.create(session=_session(owner), file_name="notes.md", content="notes")


def _draft_beside(obj):
    return DraftFile.objects.create(session=obj.session, file_name=f"{uuid.uuid4()}.md", content="more")


def _analysis(owner):
    return AnalysisSession.objects.create(user=owner, name="An analysis")


def _value(owner):
    session = _analysis(owner)
    SessionStorage(session).set("result", {"rows": [1, 2, 3]})
    return session.stored_values.get()


def _frame(owner):
    session = _analysis(owner)
    SessionStorage(session).set("weekly", pd.DataFrame({"day": pd.date_range("2026-01-05", periods=30, tz="UTC"), "sales": range(30)}))
    return session.stored_values.get()


def _value_beside(obj):
    SessionStorage(obj.session).set(f"result {uuid.uuid4()}", {"rows": [1]})


def _value_url(obj):
    return f"/api/v1/analysis-sessions/{obj.session_id}/storage/{quote(obj.storage_key, safe='')}"


COUNTS = [
    *api_crud("research-sessions", _session, "/api/v1/research-sessions/", create={"title": "New"},
              update={"title": "Changed"}, more=lambda obj: _session(obj.user)),
    *api_crud("draft-files", _draft, lambda obj: f"/api/v1/research-sessions/{obj.session_id}/draft-files/",
              create={"file_name": "new.md", "content": "x"}, update={"content": "changed"}, more=_draft_beside),
    *api_crud("analysis-sessions", _analysis, "/api/v1/analysis-sessions/", create={"name": "New"},
              update={"name": "Changed"}, more=lambda obj: _analysis(obj.user)),
    Count("api storage list", _value, "get", lambda obj: f"/api/v1/analysis-sessions/{obj.session_id}/storage/",
          more=_value_beside),
    Count("api storage get", _value, "get", _value_url),
    Count("api storage put", _value, "put", _value_url, body={"type": "json", "value": {"rows": [4]}}),
    Count("api storage delete", _value, "delete", _value_url),
    Count("page research list", _session, "get", lambda obj: "/", page=True, more=lambda obj: _session(obj.user)),
    Count("page research detail", _session, "get", lambda obj: f"/research/{obj.pk}/", page=True,
          more=lambda obj: DraftFile.objects.create(session=obj, file_name=f"{uuid.uuid4()}.md")),
    Count("page research edit", _session, "post", lambda obj: f"/research/{obj.pk}/edit/", page=True, status=302,
          body={"title": "Changed", "status": "failed", "stage": "4_writing"}),
    Count("page analysis list", _analysis, "get", lambda obj: "/analysis/", page=True,
          more=lambda obj: _analysis(obj.user)),
    Count("page analysis detail", _value, "get", lambda obj: f"/analysis/{obj.session_id}/", page=True,
          more=_value_beside),
    Count("page stored value", _value, "get", lambda obj: f"/analysis/{obj.session_id}/values/{quote(obj.storage_key)}/",
          page=True),
    Count("page stored value csv", _frame, "get", lambda obj: f"/analysis/{obj.session_id}/values/{quote(obj.storage_key)}/csv/",
          page=True),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

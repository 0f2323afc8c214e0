"""load_demo: the demo user's analysis session, once however often it runs."""

import io

import pandas as pd
from django.core.management import call_command

from sessions_app.models import AnalysisSession
from sessions_app.storage import SessionStorage


def test_load_demo_creates_one_analysis_session_with_its_values(db):
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    session = AnalysisSession.objects.get()
    storage = SessionStorage(session)
    assert storage.keys() == ["findings", "note", "revenue chart", "sales", "sales summary", "warehouse token"]
    pd.testing.assert_frame_equal(storage.get("sales summary"), storage.get("sales").describe())
    assert [e.is_encrypted for e in storage.entries() if e.key == "warehouse token"] == [True]

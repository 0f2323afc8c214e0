"""Analyses that run on stored values, each recorded by `audit.analysis_run(...)`."""

import audit
from sessions_app import codecs
from sessions_app.models import AnalysisSession
from sessions_app.storage import Entry, SessionStorage, StorageError


class AnalysisRefused(StorageError):
    """The stored data does not allow the analysis (no such value, not a DataFrame...)."""

    code = "analysis_refused"

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def describe(session, source_key: str, target_key: str) -> Entry:
    """pandas' `describe()` of the DataFrame stored under `source_key` (count, mean, std, min,
    quartiles and max of each numeric column; count, unique, top and freq when there are none),
    stored under `target_key` as a new DataFrame. Raises AnalysisRefused, or the storage's errors
    when the result cannot be stored."""
    storage = SessionStorage(session)
    parameters = {"source_key": source_key, "target_key": target_key}
    with audit.analysis_run(session_id=session.pk, analysis_type="describe", parameters=parameters, user=session.user_id) as run:
        found = storage.read(source_key)
        if found is None:
            raise AnalysisRefused("not_found", f"No value is stored under {source_key!r}.")
        entry, frame = found
        if entry.value_type != codecs.DATAFRAME:
            raise AnalysisRefused("not_a_dataframe", f"{source_key!r} holds a {entry.value_type} value, not a DataFrame.")
        if frame.columns.empty:
            raise AnalysisRefused("no_columns", f"The DataFrame under {source_key!r} has no columns to describe.")
        result = frame.describe()
        stored = storage.set(target_key, result)
        run.result_summary = {
            "source_rows": len(frame),
            "source_columns": len(frame.columns),
            "described_columns": [str(c) for c in result.columns],
            "result_key": target_key,
            "result_bytes": stored.size_bytes,
        }
    return stored


def analysis_session(user, session_id) -> AnalysisSession | None:
    """`user`'s analysis session with this id, or None (another user's is None too)."""
    return AnalysisSession.objects.for_user(user).filter(pk=session_id).first()


def store_value(session, key: str, value) -> Entry:
    """Store `value` (JSON, or text) under `key` in the session: SessionStorage.set's rules and errors."""
    return SessionStorage(session).set(key, value)

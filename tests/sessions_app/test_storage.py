"""SessionStorage, the typed session manager: round trips by type, expiry at read, quotas that
refuse and write nothing, encryption at rest, preconditions, and the audit rows of every operation."""

import base64
import datetime
import threading

import numpy as np
import pandas as pd
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from audit.models import DataStorage
from core import rls
from sessions_app import codecs
from sessions_app.models import AnalysisSession, StoredValue
from sessions_app.storage import (
    Figure,
    Image,
    InvalidKey,
    PreconditionFailed,
    QuotaExceeded,
    SessionClosed,
    SessionStorage,
)

# A 1×1 PNG and the first bytes of a JPEG: what the magic-byte check reads.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'


@pytest.fixture
def session(user_a):
    return AnalysisSession.objects.create(user=user_a, name="Churn", analysis_type="churn")


@pytest.fixture
def storage(session):
    return SessionStorage(session)


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "count": pd.array([1, None, 3], dtype="Int64"),
            "ratio": [0.5, np.nan, 1e-9],
            "name": ["ä", None, "c"],
            "segment": pd.Categorical(["b", "a", None], categories=["a", "b", "c"], ordered=True),
            "flag": [True, False, True],
            "maybe": pd.array([True, None, False], dtype="boolean"),
            "seen": pd.to_datetime(["2024-01-01 10:00:00.123456", None, "2024-03-01 00:00:00.000001"]),
            "local": pd.to_datetime(["2024-01-01 10:00", "2024-06-01 12:30", None]).tz_localize("Europe/Paris"),
            "small": np.array([1, 2, 255], dtype="uint8"),
            "single": np.array([1.5, 2.25, -3.0], dtype="float32"),
        },
        index=pd.Index(["r1", "r2", "r3"], name="row"),
    )


# --- round trips ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [{"a": [1, 2.5, None, "é", True]}, [1, "two"], 42, 3.25, None, True, {"nested": {"deep": [[[]]]}}])
def test_json_values_round_trip(storage, value):
    assert storage.set("v", value).value_type == "json"
    assert storage.get("v") == value


def test_text_round_trips_as_text(storage):
    assert storage.set("note", "line 1\nline 2 ✓").value_type == "text"
    assert storage.get("note") == "line 1\nline 2 ✓"
    assert storage.set("quoted", "[1, 2]").value_type == "text"
    assert storage.get("quoted") == "[1, 2]"
    assert storage.set("json string", "[1, 2]", value_type="json").value_type == "json"
    assert storage.get("json string") == "[1, 2]"


@pytest.mark.parametrize(
    "frame",
    [
        sample_frame(),
        sample_frame().reset_index(drop=True),  # the default RangeIndex
        sample_frame().set_index("seen"),  # a datetime index with a null
        sample_frame().set_index(["small", "flag"]),  # several index levels
        pd.DataFrame({"x": pd.Series([], dtype="float64")}),  # no rows
        pd.DataFrame({"when": pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")}, index=pd.RangeIndex(10, 13)),
    ],
    ids=["dtypes", "range-index", "datetime-index", "multi-index", "empty", "non-default-range"],
)
def test_dataframes_round_trip_with_dtypes_index_and_nulls(storage, frame):
    entry = storage.set("frame", frame)
    assert entry.value_type == "dataframe"
    back = storage.get("frame")
    pd.testing.assert_frame_equal(back, frame, check_index_type=True, check_column_type=True)
    assert list(back.dtypes.astype(str)) == list(frame.dtypes.astype(str))


def test_a_large_dataframe_round_trips(storage):
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({
        "value": rng.normal(size=10_000),
        "group": pd.Categorical(rng.choice(["a", "b", "c"], size=10_000)),
        "at": pd.date_range("2025-01-01", periods=10_000, freq="min", tz="UTC"),
    })
    storage.set("big", frame)
    pd.testing.assert_frame_equal(storage.get("big"), frame)


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"d": pd.to_timedelta([1, 2], unit="s")}), "timedelta"),
        (pd.DataFrame({1: [1]}), "column names must be strings"),
        (pd.DataFrame({"s": ["a\x00b"]}), "NUL"),
        (pd.DataFrame({"x": [1.0, 1.7976931348623157e308]}), "reads back"),
        (pd.DataFrame({"x": [-1.7976931348623e308]}), "reads back"),
        (pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])), "several column levels"),
    ],
)
def test_dataframes_the_table_schema_cannot_carry_are_refused(storage, frame, message):
    # Each is refused when written: stored, it could never be read back (its page would break for good).
    with pytest.raises(codecs.CodecError, match=message):
        storage.set("frame", frame)
    assert not StoredValue.objects.exists()


@pytest.mark.parametrize("data, mime_type", [(PNG, "image/png"), (JPEG, "image/jpeg"), (SVG, "image/svg+xml")])
def test_images_round_trip_with_their_mime_type(storage, data, mime_type):
    assert storage.set("picture", data).value_type == "image"
    image = storage.get("picture")
    assert image == Image(data, mime_type) and image.mime_type == mime_type
    assert image.data_url.startswith(f"data:{mime_type};base64,")


def test_images_are_checked_by_their_first_bytes(storage):
    with pytest.raises(codecs.CodecError, match="Not a PNG, JPEG or SVG"):
        storage.set("picture", b"GIF89a....")
    with pytest.raises(codecs.CodecError, match="not image/png"):
        storage.set("picture", Image(JPEG, "image/png"))
    assert not StoredValue.objects.exists()


def test_figures_round_trip(storage):
    vega = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "bar",
            "data": {"values": [{"a": "x", "b": 1}]}, "encoding": {"x": {"field": "a"}, "y": {"field": "b", "type": "quantitative"}}}
    plotly = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {"title": {"text": "t"}}}
    assert storage.set("vega", Figure(vega)).value_type == "figure"
    assert storage.set("plotly", Figure(plotly)).value_type == "figure"
    assert storage.get("vega") == Figure(vega, "vega-lite")
    assert storage.get("plotly") == Figure(plotly, "plotly")
    with pytest.raises(codecs.CodecError):
        storage.set("bad", Figure({"title": "no mark, no traces"}))


@pytest.mark.parametrize("value", [{"k": "nul\x00"}, {"\x00": 1}, float("nan"), {"x": float("inf")}, object()])
def test_values_jsonb_cannot_hold_are_refused(storage, value):
    with pytest.raises(codecs.CodecError):
        storage.set("v", value, value_type="json")


@pytest.mark.parametrize("key", ["", "a/b", "x" * 256, "nul\x00"])
def test_invalid_keys_are_refused(storage, key):
    with pytest.raises(InvalidKey):
        storage.set(key, 1)


def test_any_other_key_is_fine(storage):
    keys = ["x" * 255, "with space", "ünïcode ✓", "?&#%", ".", ".."]
    for key in keys:
        storage.set(key, key)
    assert sorted(storage.keys()) == sorted(keys)
    assert dict(storage.items()) == {k: k for k in keys}


# --- the rest of the manager ------------------------------------------------------------------------

def test_keys_items_delete_clear_and_missing_values(storage):
    storage.set("b", 2)
    storage.set("a", 1)
    assert storage.keys() == ["a", "b"]
    assert storage.items() == [("a", 1), ("b", 2)]
    assert "a" in storage and "zz" not in storage
    assert storage.get("zz") is None and storage.get("zz", "fallback") == "fallback"
    assert storage.delete("a") is True and storage.delete("a") is False
    assert storage.clear() == 1
    assert storage.keys() == []


def test_replacing_a_value_moves_its_version_and_etag(storage):
    first = storage.set("k", 1)
    assert first.created and first.version == 1
    second = storage.set("k", 2)
    assert not second.created and second.version == 2 and second.etag != first.etag
    assert second.id == first.id and second.created_at == first.created_at and second.updated_at > first.updated_at
    same = storage.set("k", 2)
    assert same.version == 2 and same.etag == second.etag  # nothing changed


def test_if_match_and_if_none_match(storage):
    entry = storage.set("k", 1)
    newer = storage.set("k", 2, if_match=entry.etag)
    with pytest.raises(PreconditionFailed):
        storage.set("k", 3, if_match=entry.etag)  # a second worker that read version 1
    assert storage.get("k") == 2
    with pytest.raises(PreconditionFailed):
        storage.set("k", 3, if_none_match="*")
    with pytest.raises(PreconditionFailed):
        storage.set("new", 1, if_match="*")
    assert storage.set("new", 1, if_none_match="*").created
    assert storage.set("k", 4, if_match=["other", newer.etag]).version == 3


def test_retention_is_the_default_ttl_by_type(storage, settings):
    settings.SESSION_STORAGE = {**settings.SESSION_STORAGE, "RETENTION": {**settings.SESSION_STORAGE["RETENTION"], "image": 3600, "json": 86400}}
    before = timezone.now()
    image, result = storage.set("img", PNG), storage.set("res", {"a": 1})
    assert before + datetime.timedelta(seconds=3590) < image.expires_at <= timezone.now() + datetime.timedelta(seconds=3600)
    assert before + datetime.timedelta(seconds=86390) < result.expires_at <= timezone.now() + datetime.timedelta(seconds=86400)
    assert storage.set("short", 1, ttl=datetime.timedelta(minutes=1)).expires_at <= timezone.now() + datetime.timedelta(seconds=60)


def expire(session, key):
    StoredValue.objects.filter(session=session, storage_key=key).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))


def test_an_expired_value_is_never_returned_even_before_cleanup(storage, session):
    storage.set("old", {"a": 1})
    storage.set("fresh", {"b": 2})
    expire(session, "old")
    assert StoredValue.objects.filter(storage_key="old").exists()  # not cleaned up yet
    assert storage.get("old") is None
    assert storage.read_payload("old") is None
    assert storage.keys() == ["fresh"] and storage.items() == [("fresh", {"b": 2})]
    assert "old" not in storage and storage.touch("old") is False
    with pytest.raises(PreconditionFailed):
        storage.set("old", 2, if_match="*")
    assert storage.set("old", 3).created  # stored anew over the expired one
    assert storage.get("old") == 3


def test_touch_stamps_the_access_and_extends(storage, session):
    entry = storage.set("k", 1, ttl=60)
    assert storage.touch("k", ttl=3600)
    row = StoredValue.objects.get(pk=entry.id)
    assert row.expires_at > entry.expires_at and row.last_accessed_at > entry.last_accessed_at
    assert row.version == entry.version  # no change of the value


def test_a_read_does_not_change_the_value_version(storage, session):
    entry = storage.set("k", 1)
    StoredValue.objects.filter(pk=entry.id).update(last_accessed_at=timezone.now() - datetime.timedelta(hours=1))
    storage.get("k")
    row = StoredValue.objects.get(pk=entry.id)
    assert row.last_accessed_at > timezone.now() - datetime.timedelta(minutes=1)  # stamped by the read
    assert (row.version, row.updated_at) == (entry.version, entry.updated_at)


def test_an_expired_session_takes_no_writes_but_reads_and_deletes(storage, session):
    storage.set("k", 1)
    AnalysisSession.objects.filter(pk=session.pk).update(status="expired")
    with pytest.raises(SessionClosed):
        storage.set("k2", 2)
    assert storage.get("k") == 1 and storage.delete("k")
    AnalysisSession.objects.filter(pk=session.pk).update(status="active", expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(SessionClosed):
        storage.set("k3", 3)


def test_a_write_keeps_the_session_alive(storage, session, settings):
    session.refresh_from_db()
    before = session.expires_at
    storage.set("k", 1)
    session.refresh_from_db()
    assert session.expires_at > before and session.last_activity_at > session.created_at


# --- quotas -------------------------------------------------------------------------------------------

def sizes(**limits):
    return lambda settings: setattr(settings, "SESSION_STORAGE", {**settings.SESSION_STORAGE, **limits})


def snapshot():
    return sorted(StoredValue.objects.values_list("storage_key", "version", "size_bytes"))


def test_per_value_quota_refuses_and_writes_nothing(storage, settings):
    sizes(MAX_VALUE_BYTES=100)(settings)
    storage.set("k", "x" * 50)
    before = snapshot()
    with pytest.raises(QuotaExceeded) as refused:
        storage.set("k", "x" * 200)
    assert refused.value.scope == "value" and refused.value.limit == 100
    assert snapshot() == before and storage.get("k") == "x" * 50


def test_per_session_quota_counts_the_replaced_value_once(storage, settings):
    sizes(MAX_SESSION_BYTES=250)(settings)
    storage.set("a", "x" * 98)  # 100 bytes serialized (the quotes)
    storage.set("b", "x" * 98)
    before = snapshot()
    with pytest.raises(QuotaExceeded) as refused:
        storage.set("c", "x" * 98)
    assert refused.value.scope == "session" and refused.value.needed == 300
    assert snapshot() == before
    storage.set("b", "y" * 148)  # replaces b: 100 + 150 fits exactly
    assert storage.get("b") == "y" * 148


def test_per_user_quota_spans_sessions(user_a, settings):
    sizes(MAX_USER_BYTES=250)(settings)
    first = SessionStorage(AnalysisSession.objects.create(user=user_a, name="one"))
    second = SessionStorage(AnalysisSession.objects.create(user=user_a, name="two"))
    first.set("a", "x" * 148)
    before = snapshot()
    with pytest.raises(QuotaExceeded) as refused:
        second.set("b", "x" * 148)
    assert refused.value.scope == "user"
    assert snapshot() == before
    second.set("b", "x" * 98)


def test_expired_values_do_not_count_against_quota(storage, session, settings):
    sizes(MAX_SESSION_BYTES=150)(settings)
    storage.set("a", "x" * 98)
    expire(session, "a")
    storage.set("b", "x" * 98)




def test_concurrent_writes_cannot_both_pass_the_quota(committed_db, user_a, settings):
    """Two connections write 100 bytes each under a 150-byte user quota at the same moment: the
    owner's lock serializes the checks, so exactly one write lands. The rows must be committed for
    the other connections to see them (`committed_db`: a transactional database)."""
    sizes(MAX_USER_BYTES=150)(settings)
    sessions = [AnalysisSession.objects.create(user=user_a, name=f"s{i}") for i in range(2)]
    barrier, results = threading.Barrier(2), []

    def write(session):
        try:
            barrier.wait()
            with transaction.atomic():
                SessionStorage(session).set("k", "x" * 98)
            results.append("stored")
        except QuotaExceeded:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused", "stored"]
    assert StoredValue.objects.count() == 1


# --- at rest ------------------------------------------------------------------------------------------

def test_sensitive_values_are_unreadable_in_raw_sql(storage):
    secret = {"api_token": "tok-4242-very-secret"}
    entry = storage.set("creds", secret, sensitive=True)
    assert entry.is_encrypted
    with connection.cursor() as cursor:
        cursor.execute("SELECT storage_value, encrypted_value, is_encrypted, size_bytes FROM session_storage WHERE id = %s", [entry.id])
        plain, encrypted, is_encrypted, size = cursor.fetchone()
        cursor.execute("SELECT t::text FROM session_storage t WHERE id = %s", [entry.id])
        whole_row = cursor.fetchone()[0]
    assert plain is None and is_encrypted and size > 0
    assert b"tok-4242" not in bytes(encrypted) and "tok-4242" not in whole_row
    assert storage.get("creds") == secret


def test_sensitive_dataframes_and_images_round_trip(storage):
    storage.set("frame", sample_frame(), sensitive=True)
    storage.set("picture", PNG, sensitive=True)
    pd.testing.assert_frame_equal(storage.get("frame"), sample_frame())
    assert storage.get("picture").data == PNG


def test_the_database_refuses_a_value_owned_by_someone_else_than_the_session_owner(session, user_b):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        StoredValue.objects.create(session=session, user=user_b, storage_key="k", value_type="json", storage_value=1, size_bytes=1)


def test_rls_alone_keeps_other_users_values_out(storage, session, user_b):
    storage.set("k", {"secret": 1})
    with rls.end_user(rls.claims_for(user_b)), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM session_storage")
        assert cursor.fetchone()[0] == 0
        cursor.execute("UPDATE session_storage SET size_bytes = 0")
        assert cursor.rowcount == 0


def test_as_the_owner_under_rls_the_manager_works(session, user_a):
    with rls.end_user(rls.claims_for(user_a)):
        storage = SessionStorage(session)
        storage.set("k", {"a": 1}, sensitive=True)
        assert storage.get("k") == {"a": 1}
        assert storage.delete("k")


# --- audit --------------------------------------------------------------------------------------------

def test_every_operation_is_audited_without_the_value(storage, session, user_a):
    storage.set("k", {"secret": "do-not-log-me"})
    storage.get("k")
    storage.get("missing")
    storage.delete("k")
    storage.set("gone", 1)
    expire(session, "gone")
    storage.set("gone", 2)  # the expired one is removed first
    rows = list(DataStorage.objects.order_by("created_at", "id").values_list("operation", "storage_key", "value_type", "size_bytes", "session_id", "user_id"))
    sid, uid = session.pk, user_a.pk
    assert [r[:2] for r in rows] == [("set", "k"), ("get", "k"), ("get", "missing"), ("delete", "k"), ("set", "gone"), ("expire", "gone"), ("set", "gone")]
    assert rows[0] == ("set", "k", "json", len('{"secret":"do-not-log-me"}'), sid, uid)
    assert all(r[4:] == (sid, uid) for r in rows)
    dumped = str(list(DataStorage.objects.values()))
    assert "do-not-log-me" not in dumped

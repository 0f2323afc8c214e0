"""manage.py cleanup_sessions on generated data: exactly the expected values survive, sessions past
their expiry are marked expired, users over quota lose their least recently accessed values first,
in batches, with expire/evict audit rows."""

import datetime
import io
import random

from django.core.management import call_command
from django.utils import timezone

from audit.models import DataStorage
from sessions_app.models import AnalysisSession, StoredValue
from sessions_app.storage import SessionStorage

NOW = timezone.now()


def store(session, key, size, *, expired=False, accessed_minutes_ago=0):
    """A text value of exactly `size` serialized bytes, with the given expiry and last access."""
    SessionStorage(session).set(key, "x" * (size - 2))
    StoredValue.objects.filter(session=session, storage_key=key).update(
        expires_at=NOW - datetime.timedelta(minutes=5) if expired else NOW + datetime.timedelta(days=1),
        last_accessed_at=NOW - datetime.timedelta(minutes=accessed_minutes_ago),
    )


def run(**options):
    out = io.StringIO()
    call_command("cleanup_sessions", no_progress=True, stdout=out, **options)
    return out.getvalue()


def survivors():
    return sorted(StoredValue.objects.values_list("session__name", "storage_key"))


def test_time_based_cleanup(make_user):
    rng = random.Random(5)
    users = [make_user() for _ in range(3)]
    expected = []
    for u, user in enumerate(users):
        session = AnalysisSession.objects.create(user=user, name=f"s{u}")
        for i in range(rng.randrange(5, 12)):
            expired = rng.random() < 0.5
            store(session, f"k{i}", 10, expired=expired)
            if not expired:
                expected.append((f"s{u}", f"k{i}"))
    due = StoredValue.objects.filter(expires_at__lte=NOW).count()
    assert 0 < due < StoredValue.objects.count()

    output = run(batch_size=3)  # several batches

    assert survivors() == sorted(expected)
    assert f"deleted {due} expired values" in output and "evicted 0 values" in output
    expired_audit = DataStorage.objects.filter(operation="expire")
    assert expired_audit.count() == due
    assert set(expired_audit.values_list("storage_key", flat=True)) <= {f"k{i}" for i in range(12)}


def test_sessions_past_their_expiry_are_marked_expired(user_a):
    past, future = NOW - datetime.timedelta(hours=1), NOW + datetime.timedelta(hours=1)
    due = [AnalysisSession.objects.create(user=user_a, name=f"due{i}") for i in range(3)]
    store(due[0], "kept", 10)  # its values live on until their own expiry
    AnalysisSession.objects.filter(pk__in=[s.pk for s in due]).update(expires_at=past)
    alive = AnalysisSession.objects.create(user=user_a, name="alive", expires_at=future)
    completed = AnalysisSession.objects.create(user=user_a, name="done", status="completed", expires_at=past)

    output = run(batch_size=2)

    statuses = dict(AnalysisSession.objects.values_list("name", "status"))
    assert statuses == {"due0": "expired", "due1": "expired", "due2": "expired", "alive": "active", "done": "completed"}
    assert "marked 3 sessions expired" in output
    assert survivors() == [("due0", "kept")]
    assert alive.pk and completed.pk


def test_size_based_cleanup_trims_least_recently_accessed_first(make_user, settings):
    heavy, light = make_user(), make_user()
    one = AnalysisSession.objects.create(user=heavy, name="one")
    two = AnalysisSession.objects.create(user=heavy, name="two")
    mine = AnalysisSession.objects.create(user=light, name="light")
    # heavy: 8 values of 200 bytes over two sessions = 1600 bytes, 600 over; oldest access first:
    # a0 (80 min ago), b0 (70), a1 (60) go — 600 bytes — and the rest fits exactly.
    for minutes, session, key in [(80, one, "a0"), (70, two, "b0"), (60, one, "a1"), (50, two, "b1"),
                                  (40, one, "a2"), (30, two, "b2"), (20, one, "a3"), (10, two, "b3")]:
        store(session, key, 200, accessed_minutes_ago=minutes)
    store(one, "gone", 200, expired=True, accessed_minutes_ago=500)  # expired: removed by time, not counted
    store(mine, "small", 900, accessed_minutes_ago=1000)  # under quota: untouched however old
    # Writes never pass the quota: a user is over it when it is lowered.
    settings.SESSION_STORAGE = {**settings.SESSION_STORAGE, "MAX_USER_BYTES": 1000}

    output = run(batch_size=2)

    assert survivors() == sorted([("one", "a2"), ("one", "a3"), ("two", "b1"), ("two", "b2"), ("two", "b3"), ("light", "small")])
    assert sum(StoredValue.objects.filter(user=heavy).values_list("size_bytes", flat=True)) == 1000
    evicted = DataStorage.objects.filter(operation="evict").order_by("created_at", "id")
    assert list(evicted.values_list("storage_key", flat=True)) == ["a0", "b0", "a1"]
    assert set(evicted.values_list("user_id", flat=True)) == {heavy.pk}
    assert "evicted 3 values" in output and "from 1 user over quota" in output
    assert "deleted 1 expired value " in output

    assert "evicted 0 values" in run()  # nothing left to do

"""My activity's SQL statement counts (tests/query_counts.py; recorded in query_counts.json)."""

from audit.models import DataStorage, UserActivity
from tests.query_counts import Count, contract


def _activity(owner):
    return UserActivity.objects.create(user=owner, activity_type="login", user_agent="Mozilla/5.0 (X11; Linux x86_64)")


def _storage(owner):
    return DataStorage.objects.create(user=owner, operation="set", storage_key="frame")


COUNTS = [
    Count("api activity list", _storage, "get", lambda obj: "/api/v1/audit/activity/", more=lambda obj: _storage(obj.user)),
    Count("api activity one table", _storage, "get", lambda obj: "/api/v1/audit/activity/?table=audit_data_storage",
          more=lambda obj: _storage(obj.user)),
    Count("page activity sign-ins", _activity, "get", lambda obj: "/activity/", page=True,
          more=lambda obj: _activity(obj.user)),
    Count("page activity storage", _storage, "get", lambda obj: "/activity/?tab=storage", page=True,
          more=lambda obj: _storage(obj.user)),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

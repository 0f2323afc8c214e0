"""Growth's SQL statement counts (tests/query_counts.py; recorded in query_counts.json). A batch of
events is one statement whatever its size."""

from growth import services
from growth.models import AnalyticsEvent
from tests.growth.helpers import event
from tests.query_counts import Count, contract

URL = "/api/v1/analytics/events/"


def _event(owner):
    row = event("page_view", props={"path": "/"})
    services.record_events(owner.pk, [row])
    return AnalyticsEvent.objects.get(user=owner, event_id=row["event_id"])


COUNTS = [
    Count("api analytics events list", _event, "get", lambda obj: URL, more=lambda obj: _event(obj.user)),
    Count("api analytics events detail", _event, "get", lambda obj: f"{URL}{obj.pk}/"),
    Count("api analytics events upsert 1", _event, "post", lambda obj: URL, body={"rows": [event()]}, status=200),
    Count("api analytics events upsert 500", _event, "post", lambda obj: URL, body={"rows": [event() for _ in range(500)]}, status=200),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

"""Growth's owned rows in the isolation matrix. Analytics events are written by batch (POST of
`{"rows": [...]}`, upsert by the sender's event id) and read by list and detail, with no update or
delete endpoint, so they have a matrix of their own (test_growth_matrix.py) rather than an `Owned`
row. utm_tracks and cohorts are staff-only (RLS on, no policy, no grant)."""

from growth import services
from growth.models import AnalyticsEvent
from tests.growth.helpers import event

EVENTS_URL = "/api/v1/analytics/events/"


def make_event(owner, **fields) -> AnalyticsEvent:
    row = event("order_completed", props={"revenue_cents": 100, "owner": owner.email}, **fields)
    services.record_events(owner.pk, [row])
    return AnalyticsEvent.objects.get(user=owner, event_id=row["event_id"])


GROWTH_EXEMPT = {
    "growth.AnalyticsEvent": "not an Owned row (batch upsert, list and detail; no update or delete endpoint): "
    "its own matrix, tests/isolation/test_growth_matrix.py, with and without the application's scoping",
    "growth.UtmTrack": "staff only: RLS on with no policy and no grant, read on the staff Growth page; no end-user endpoint or page",
    "growth.Cohort": "staff only: RLS on with no policy and no grant, read on the staff Growth page; no end-user endpoint or page",
}

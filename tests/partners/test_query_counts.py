"""The partner platform's SQL statement counts (tests/query_counts.py; recorded in query_counts.json)."""

from partners.models import IngestionEvent, Partner, RequestLog
from tests.query_counts import Count, contract


def _partner(owner):
    return Partner.objects.get_or_create(user=owner, defaults={"name": "Acme", "email": "a@acme.example"})[0]


def _event(owner):
    return IngestionEvent.objects.create(partner=_partner(owner), event_type="view", data={"n": 1}, source="web", version="1")


def _log(owner):
    return RequestLog.objects.create(partner=_partner(owner), endpoint="/x", method="GET", status=200)


COUNTS = [
    Count("api events list", _event, "get", lambda obj: "/api/v1/partner/events", more=lambda obj: _event(obj.partner.user)),
    Count("api logs list", _log, "get", lambda obj: "/api/v1/partner/logs", more=lambda obj: _log(obj.partner.user)),
    Count("api insights list", _partner, "get", lambda obj: "/api/v1/partner/insights"),
    Count("api usage", _event, "get", lambda obj: "/api/v1/partner/usage"),
    Count("api profile", _partner, "get", lambda obj: "/api/v1/partner/profile"),
    Count("api profile update", _partner, "patch", lambda obj: "/api/v1/partner/profile", body={"name": "Acme 2"}),
    Count("api models list", _partner, "get", lambda obj: "/api/v1/models"),
    Count("page portal", _event, "get", lambda obj: "/partner/", page=True, more=lambda obj: _event(obj.partner.user)),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

"""The accounts app's SQL statement counts (tests/query_counts.py; recorded in query_counts.json):
Account → Security, its session list growing with the user's sessions, and revoking one."""

from accounts import sessions
from tests.query_counts import Count, contract


def _other_session(owner):
    """One of the owner's sessions besides the page's own (another browser)."""
    return sessions.start(owner)


COUNTS = [
    Count("page security", _other_session, "get", lambda obj: "/accounts/security/", page=True,
          more=lambda obj: sessions.start(obj.user)),
    Count("page security revoke session", _other_session, "post",
          lambda obj: f"/accounts/security/sessions/{obj.pk}/revoke/", page=True, status=302),
]

test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

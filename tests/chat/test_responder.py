"""The GA4 responder against a loopback GA4 Data API with known numbers: the question's grammar, the
runReport request, and the answer (sentence, chart, headline metrics, citation); what it says
without a property or with a grant Google no longer honours; and how Google's failures end a message."""

from datetime import date, timedelta

import httpx
import pytest
from django.utils import timezone

from audit.models import ApiCall
from chat.models import ChatMessage, ChatSession, GA4Credential
from chat.responders import grammar, report
from chat.responders.ga4 import NO_PROPERTY, RECONNECT
from tests.chat.ga4_reports import KnownReports
from tests.chat.loopback import Reply
from tests.chat.sse import ask_and_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(google):
    handler = KnownReports()
    google.report_handler = handler
    return handler


@pytest.fixture
def chat(user_a, make_credential):
    """chat(persona="general", credential=True): a chat session of user A reading property 123456789."""
    made = []

    def make(persona="general", credential=True):
        if credential and not made:
            made.append(make_credential(user_a))
        return ChatSession.objects.create(user=user_a, title="Analytics", persona=persona, credential=made[0] if credential else None)

    return make


def days(n_back_start, n_back_end):
    today = timezone.now().date()
    return today - timedelta(days=n_back_start), today - timedelta(days=n_back_end)


def final(events):
    assert events[-1]["event"] == "complete", events[-1]
    return events[-1]["data"]["content"]


# --- the grammar -------------------------------------------------------------------------------------

TODAY = date(2026, 11, 18)  # a Wednesday


@pytest.mark.parametrize(
    "question, persona, metrics, dimension, start, end, previous",
    [
        ("sessions by device category last 7 days", "general", ["sessions"], "deviceCategory", "2026-11-11", "2026-11-17", ("2026-11-04", "2026-11-10")),
        ("top pages this month", "po", ["screenPageViews"], "pagePath", "2026-11-01", "2026-11-18", ("2026-10-14", "2026-10-31")),
        ("new users and revenue per day last week", "general", ["newUsers", "totalRevenue"], "date", "2026-11-09", "2026-11-15", ("2026-11-02", "2026-11-08")),
        ("how are we doing?", "po", ["activeUsers", "conversions"], None, "2026-11-11", "2026-11-17", ("2026-11-04", "2026-11-10")),
        ("how are we doing?", "ux", ["engagementRate", "averageSessionDuration"], None, "2026-11-11", "2026-11-17", ("2026-11-04", "2026-11-10")),
        ("how are we doing?", "mgr", ["sessions", "totalRevenue"], None, "2026-11-11", "2026-11-17", ("2026-11-04", "2026-11-10")),
        ("page views by country yesterday", "general", ["screenPageViews"], "country", "2026-11-17", "2026-11-17", ("2026-11-16", "2026-11-16")),
        ("bounce rate by source last month", "general", ["bounceRate"], "sessionSource", "2026-10-01", "2026-10-31", ("2026-09-01", "2026-09-30")),
        ("conversions today", "general", ["conversions"], None, "2026-11-18", "2026-11-18", ("2026-11-17", "2026-11-17")),
        ("active users this week by browser", "general", ["activeUsers"], "browser", "2026-11-16", "2026-11-18", ("2026-11-13", "2026-11-15")),
        ("Sessions over the last 30 days, daily", "general", ["sessions"], "date", "2026-10-19", "2026-11-17", ("2026-09-19", "2026-10-18")),
    ],
)
def test_grammar(question, persona, metrics, dimension, start, end, previous):
    plan = grammar.parse(question, persona=persona, today=TODAY)
    assert (plan.metrics, plan.dimension) == (metrics, dimension)
    assert (plan.period.start.isoformat(), plan.period.end.isoformat()) == (start, end)
    assert (plan.previous.start.isoformat(), plan.previous.end.isoformat()) == previous
    assert plan.previous.days == plan.period.days or "month" in question


def test_grammar_top_n_and_limits():
    assert grammar.parse("top 5 countries by sessions", today=TODAY).limit == 5
    with pytest.raises(grammar.QuestionNotUnderstood):
        grammar.parse("sessions last 400 days", today=TODAY)
    with pytest.raises(grammar.QuestionNotUnderstood):
        grammar.parse("top 500 pages", today=TODAY)


def test_request_body_asks_for_both_periods():
    body = report.request_body(grammar.parse("sessions by device category last 7 days", today=TODAY))
    assert body == {
        "dateRanges": [
            {"startDate": "2026-11-11", "endDate": "2026-11-17", "name": "current"},
            {"startDate": "2026-11-04", "endDate": "2026-11-10", "name": "previous"},
        ],
        "metrics": [{"name": "sessions"}],
        "metricAggregations": ["TOTAL"],
        "dimensions": [{"name": "deviceCategory"}],
        "orderBys": [{"metric": {"metricName": "sessions"}, "desc": True}],
        "limit": 20,
    }


# --- answers from known numbers ----------------------------------------------------------------------


def test_breakdown_answer(api, user_a, chat, google, reports):
    session = chat()
    posted, events = ask_and_stream(api(user_a), session, "sessions by device category last 7 days")
    start, end = days(7, 1)
    prev_start, prev_end = days(14, 8)
    described = f"sessions by device category (top 10), the last 7 days ({start} – {end})"

    assert [e["event"] for e in events] == ["streaming", "streaming", "streaming", "complete"]
    assert [e["id"] for e in events] == [1, 2, 3, 4]
    assert events[0]["data"]["text"] == f"Reading your question as: {described}."
    assert events[1]["data"]["text"] == "Running a GA4 report on property Property 123456789…"
    assert events[2]["data"]["text"] == "Google Analytics returned 6 rows; writing the answer…"
    content = final(events)
    assert content["answer"] == (
        f"The last 7 days ({start} – {end}): sessions 3,400, up 13.3% on the previous period (3,000). "
        "By device category, desktop leads with 2,000 sessions, 58.8% of the total."
    )
    assert content["charts"] == [{
        "kind": "bar",
        "title": f"S{described[1:]}",
        "x": "deviceCategory",
        "series": [{"name": "Sessions", "points": [{"x": "desktop", "y": 2000}, {"x": "mobile", "y": 1200}, {"x": "tablet", "y": 200}]}],
    }]
    assert content["metrics"] == [{"name": "Sessions", "value": 3400, "unit": "count", "delta": 13.3}]
    assert content["citations"] == [{
        "title": f"GA4 runReport, property Property 123456789: {described}, compared with {prev_start} – {prev_end}",
        "source": f"{google.data_api_url}/properties/123456789:runReport",
    }]

    (body,) = reports.bodies
    assert body["dateRanges"] == [
        {"startDate": start.isoformat(), "endDate": end.isoformat(), "name": "current"},
        {"startDate": prev_start.isoformat(), "endDate": prev_end.isoformat(), "name": "previous"},
    ]
    assert body["dimensions"] == [{"name": "deviceCategory"}] and body["metrics"] == [{"name": "sessions"}]
    (call,) = google.requests_to("runReport")
    assert call.headers["authorization"] == f"Bearer {session.credential.access_token}"

    message = ChatMessage.objects.get(pk=posted["assistant_message"]["id"])
    assert message.status == "complete" and message.content == content and len(message.chunks) == 3
    (call,) = ApiCall.objects.filter(service="ga4")
    assert (call.status_code, call.method, call.user_id) == (200, "POST", user_a.pk)  # the stream's calls are the asker's
    assert call.endpoint.endswith("/properties/123456789:runReport")


def test_daily_answer_is_a_line_over_every_day(api, user_a, chat, reports):
    _, events = ask_and_stream(api(user_a), chat(), "sessions per day last 7 days")
    content = final(events)
    start, end = days(7, 1)
    (chart,) = content["charts"]
    assert chart["kind"] == "line" and chart["x"] == "date"
    points = chart["series"][0]["points"]
    assert [p["x"] for p in points] == [(start + timedelta(days=i)).isoformat() for i in range(7)]
    assert [p["y"] for p in points] == [100, 0, 120, 130, 140, 150, 160]  # the missing day is a zero
    assert content["metrics"] == [{"name": "Sessions", "value": 800, "unit": "count", "delta": 42.9}]
    assert content["answer"].endswith(f"The highest sessions was on {end} (160).")


def test_many_rows_are_a_table(api, user_a, chat, reports):
    content = final(ask_and_stream(api(user_a), chat(persona="mgr"), "top 20 pages this month")[1])
    (chart,) = content["charts"]
    assert chart["kind"] == "table"
    assert chart["columns"] == ["Page", "Views"]
    assert len(chart["rows"]) == 20
    assert chart["rows"][0] == ["/page-00", 1000] and chart["rows"][19] == ["/page-19", 810]
    assert content["metrics"] == [{"name": "Views", "value": 25650, "unit": "count", "delta": 13.2}]
    assert reports.bodies[0]["metrics"] == [{"name": "screenPageViews"}] and reports.bodies[0]["limit"] == 40


def test_persona_picks_the_metrics(api, user_a, chat, reports):
    content = final(ask_and_stream(api(user_a), chat(persona="ux"), "how are we doing this week?")[1])
    assert reports.bodies[0]["metrics"] == [{"name": "engagementRate"}, {"name": "averageSessionDuration"}]
    assert content["metrics"] == [
        {"name": "Engagement rate", "value": 62.0, "unit": "percent", "delta": 24.0},
        {"name": "Average session duration", "value": 125.0, "unit": "seconds", "delta": 25.0},
    ]
    assert "engagement rate 62.0%, up 24.0% on the previous period (50.0%)" in content["answer"]
    assert "average session duration 2 min 05 s, up 25.0% on the previous period (1 min 40 s)" in content["answer"]
    assert content["charts"][0]["kind"] == "table"
    assert content["charts"][0]["rows"] == [["Engagement rate", 62.0, 50.0, 24.0], ["Average session duration", 125.0, 100.0, 25.0]]

    final(ask_and_stream(api(user_a), chat(persona="po"), "how are we doing?")[1])
    assert reports.bodies[1]["metrics"] == [{"name": "activeUsers"}, {"name": "conversions"}]


def test_share_is_a_pie(api, user_a, chat, reports):
    content = final(ask_and_stream(api(user_a), chat(), "share of sessions by device last 7 days")[1])
    assert content["charts"][0]["kind"] == "pie"


# --- no property, reconnecting, failures --------------------------------------------------------------


def test_without_a_property_it_says_how_to_connect_one(api, user_a, chat, google):
    content = final(ask_and_stream(api(user_a), chat(credential=False), "sessions last 7 days")[1])
    assert content["answer"].startswith(NO_PROPERTY[:60]) and "/chat/ga4/" in content["answer"]
    assert content["charts"] == [] and content["metrics"] == []
    assert google.calls["runReport"] == 0


def test_a_credential_needing_reauth_says_to_reconnect(api, user_a, chat, google):
    session = chat()
    GA4Credential.objects.filter(pk=session.credential_id).update(status="needs_reauth")
    content = final(ask_and_stream(api(user_a), session, "sessions last 7 days")[1])
    assert content["answer"] == RECONNECT
    assert google.calls["runReport"] == 0


def test_a_question_outside_the_grammar_is_answered_with_help(api, user_a, chat, google):
    content = final(ask_and_stream(api(user_a), chat(), "sessions over the last 900 days")[1])
    assert content["answer"].startswith("I can look back between 1 and 365 days.")
    assert "sessions by device category last 7 days" in content["answer"]


@pytest.mark.parametrize(
    "reply, error",
    [
        (Reply(403, {"error": {"code": 403, "message": "User does not have sufficient permissions for this property.", "status": "PERMISSION_DENIED"}}),
         "Google Analytics refused access to property 123456789: User does not have sufficient permissions for this property. "
         "Check that the connected Google account can read it."),
        (Reply(429, {"error": {"code": 429, "message": "Exhausted property tokens.", "status": "RESOURCE_EXHAUSTED"}}),
         "The Google Analytics quota of property 123456789 is used up for now: Exhausted property tokens. Try again later."),
        (Reply(503, b"upstream down"), "Google Analytics answered HTTP 503. Try again later."),
        (Reply(200, b"<html>not json</html>"), "Google Analytics sent an answer that is not JSON. Try again."),
    ],
)
def test_google_failures_fail_the_message_with_a_clear_error(api, user_a, chat, google, reply, error):
    google.script("runReport", reply)
    posted, events = ask_and_stream(api(user_a), chat(), "sessions last 7 days")
    assert events[-1]["event"] == "error" and events[-1]["data"]["error"] == error
    assert events[-1]["id"] == len(events)
    message = ChatMessage.objects.get(pk=posted["assistant_message"]["id"])
    assert (message.status, message.error, message.content) == ("error", error, {})


def test_a_slow_google_is_a_timeout_error(api, user_a, chat, google, settings):
    settings.GA4_HTTP_TIMEOUT = 0.5
    google.script("runReport", Reply(hang=True, hang_seconds=2))
    _, events = ask_and_stream(api(user_a), chat(), "sessions last 7 days")
    assert events[-1]["data"]["error"] == "Google Analytics did not answer within 0.5 seconds. Try again."
    assert ApiCall.objects.filter(service="ga4").exclude(error="").exists()


# The token refresh commits on a connection of its own: these tests need committed rows.


def test_a_refused_token_is_refreshed_once(committed_db, api, user_a, chat, google, reports):
    session = chat()
    GA4Credential.objects.filter(pk=session.credential_id).update(access_token="ya29.revoked-by-google")
    content = final(ask_and_stream(api(user_a), session, "sessions by device category last 7 days")[1])
    assert content["metrics"][0]["value"] == 3400
    assert google.calls["runReport"] == 2 and google.calls["token"] == 1
    credential = GA4Credential.objects.get(pk=session.credential_id)
    assert credential.access_token != "ya29.revoked-by-google" and google.is_valid_access_token(credential.access_token)


def test_a_revoked_grant_says_to_reconnect(committed_db, api, user_a, chat, google):
    session = chat()
    credential = GA4Credential.objects.get(pk=session.credential_id)
    assert httpx.post(google.revoke_url, data={"token": credential.refresh_token}).status_code == 200
    content = final(ask_and_stream(api(user_a), session, "sessions last 7 days")[1])
    assert content["answer"] == RECONNECT
    assert GA4Credential.objects.get(pk=session.credential_id).status == "needs_reauth"

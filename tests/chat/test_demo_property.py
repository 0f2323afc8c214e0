"""The built-in demo GA4 property: deterministic synthetic reports in runReport's shape, an answer to
every question form of the responder's grammar, chosen only for credentials flagged as demo, and a
demo chat answered end to end through the API with no network; and the Connect page without a
Google client."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError

from audit.models import ApiCall
from chat import content as content_schema
from chat.ga4 import credentials as credential_service
from chat.ga4 import demo, reports
from chat.ga4.reports import ReportError, citation_for
from chat.models import ChatSession, GA4Credential
from chat.responders import answer as answers
from chat.responders import grammar
from chat.responders import report as turn_report
from tests.chat.sse import ask_and_stream

TODAY = date(2026, 11, 18)  # a Wednesday
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, a call would fail at once

# Every form of the grammar: each dimension, none, each period rule, several metrics, top N, a pie,
# the personas' defaults and "top pages".
QUESTIONS = [
    ("sessions by device category last 7 days", "general"),
    ("top pages this month", "po"),
    ("new users and revenue per day last week", "general"),
    ("how are we doing?", "po"),
    ("how are we doing?", "ux"),
    ("how are we doing?", "mgr"),
    ("page views by country yesterday", "general"),
    ("bounce rate by source last month", "general"),
    ("conversions today", "general"),
    ("active users this week by browser", "general"),
    ("Sessions over the last 30 days, daily", "general"),
    ("top 5 cities by sessions last 2 weeks", "general"),
    ("share of conversions by channel last 90 days", "general"),
    ("engaged sessions, events and total users past 14 days", "general"),
    ("average session duration by device this month", "ux"),
    ("sessions per day over the last 365 days", "general"),
]


def run(question, persona="general", property_id=demo.PROPERTY_ID):
    plan = grammar.parse(question, persona=persona, today=TODAY)
    return plan, demo.DemoProperty(property_id, today=TODAY).run_report(turn_report.request_body(plan))


class DemoCredential:
    property_id, property_name, is_demo = demo.PROPERTY_ID, demo.PROPERTY_NAME, True


def test_same_request_same_numbers():
    body = turn_report.request_body(grammar.parse("sessions by device category last 30 days", today=TODAY))
    first = demo.DemoProperty(today=TODAY).run_report(body)
    demo.day_totals.cache_clear()
    demo.day_breakdown.cache_clear()
    assert demo.DemoProperty(today=TODAY).run_report(body) == first
    assert demo.DemoProperty("42", today=TODAY).run_report(body) != first  # another property, other numbers


@pytest.mark.parametrize("question, persona", QUESTIONS)
def test_every_question_form_is_answered(question, persona):
    plan, body = run(question, persona)
    assert [h["name"] for h in body["metricHeaders"]] == plan.metrics
    assert [h["name"] for h in body["dimensionHeaders"]] == ([plan.dimension] if plan.dimension else []) + ["dateRange"]
    assert {t["dimensionValues"][-1]["value"] for t in body["totals"]} == {"current", "previous"}
    assert len(body["rows"]) <= turn_report.request_body(plan)["limit"]

    report = turn_report.read(body, plan)
    assert report.current and report.previous and report.totals["current"] and report.totals["previous"]
    if plan.dimension == "date":
        assert sorted(report.current) == [d.isoformat() for d in plan.period.dates()]
    for value in report.totals["current"] + report.totals["previous"]:
        assert value > 0
    answer = answers.compose(plan, report, source=citation_for(DemoCredential), property_name=DemoCredential.property_name)
    content_schema.validate(answer, kinds=("ai",))
    assert answer["charts"] and answer["metrics"]
    assert answer["citations"][0]["source"] == demo.CITATION


def test_rows_add_up_to_the_totals_and_rates_stay_rates():
    plan, body = run("sessions, conversions, revenue and engagement rate by device category last 30 days")
    rows = [r for r in body["rows"] if r["dimensionValues"][1]["value"] == "current"]
    assert {r["dimensionValues"][0]["value"] for r in rows} == {"desktop", "mobile", "tablet"}
    (total,) = [t for t in body["totals"] if t["dimensionValues"][1]["value"] == "current"]
    for index in range(3):  # the counts: sessions, conversions, revenue
        assert sum(float(r["metricValues"][index]["value"]) for r in rows) == pytest.approx(float(total["metricValues"][index]["value"]))
    rates = [float(r["metricValues"][3]["value"]) for r in rows]
    assert all(0.3 < rate < 0.9 for rate in rates)
    by_device = {r["dimensionValues"][0]["value"]: [float(v["value"]) for v in r["metricValues"]] for r in rows}
    assert by_device["desktop"][1] / by_device["desktop"][0] > by_device["mobile"][1] / by_device["mobile"][0]  # desktop converts better


def test_a_weekly_rhythm_and_a_trend():
    year = [TODAY - timedelta(days=i) for i in range(1, 365)]
    weekday = [demo.day_totals(demo.PROPERTY_ID, d)["sessions"] for d in year if d.weekday() < 5]
    weekend = [demo.day_totals(demo.PROPERTY_ID, d)["sessions"] for d in year if d.weekday() >= 5]
    assert sum(weekday) / len(weekday) > 1.3 * sum(weekend) / len(weekend)
    _, body = run("sessions last 365 days")
    current, previous = (float(t["metricValues"][0]["value"]) for t in body["totals"])
    assert current > 1.1 * previous


def test_breakdowns_of_a_day_add_up_to_it():
    day = TODAY - timedelta(days=3)
    totals = demo.day_totals(demo.PROPERTY_ID, day)
    for dimension in demo.VALUES:
        rows = demo.day_breakdown(demo.PROPERTY_ID, dimension, day).values()
        assert {count: sum(r[count] for r in rows) for count in demo.COUNTS} == {count: totals[count] for count in demo.COUNTS}


@pytest.mark.parametrize("change, message", [
    ({"metrics": [{"name": "nonsense"}]}, "no metric 'nonsense'"),
    ({"dimensions": [{"name": "region"}]}, "no dimension 'region'"),
    ({"dimensions": [{"name": "country"}, {"name": "city"}]}, "one dimension at a time"),
    ({"dateRanges": [{"startDate": "2026-11-10", "endDate": "2026-11-01"}]}, "starts after it ends"),
    ({"dateRanges": [{"startDate": "last tuesday", "endDate": "today"}]}, "Not a date"),
])
def test_a_request_it_cannot_answer_is_a_report_error(change, message):
    body = {**turn_report.request_body(grammar.parse("sessions last 7 days", today=TODAY)), **change}
    with pytest.raises(ReportError, match=message):
        demo.DemoProperty(today=TODAY).run_report(body)


def test_relative_dates_and_a_single_range():
    body = {"dateRanges": [{"startDate": "7daysAgo", "endDate": "yesterday"}], "metrics": [{"name": "sessions"}],
            "dimensions": [{"name": "date"}], "metricAggregations": ["TOTAL", "MAXIMUM"]}
    answer = demo.DemoProperty(today=TODAY).run_report(body)
    assert [h["name"] for h in answer["dimensionHeaders"]] == ["date"]  # no dateRange with one range
    assert [r["dimensionValues"][0]["value"] for r in answer["rows"]] == [(TODAY - timedelta(days=i)).strftime("%Y%m%d") for i in range(7, 0, -1)]
    assert answer["maximums"][0]["metricValues"][0]["value"] == str(max(int(r["metricValues"][0]["value"]) for r in answer["rows"]))


# --- choosing the source -------------------------------------------------------------------------


@pytest.fixture
def demo_credential(db, user_a):
    return GA4Credential.objects.create(user=user_a, property_id=demo.PROPERTY_ID, property_name=demo.PROPERTY_NAME, is_demo=True)


def test_only_a_demo_credential_reads_the_demo_property(demo_credential, user_a, make_credential):
    real = make_credential(user_a, "123456789")
    assert isinstance(reports.source_for(demo_credential, user_id=user_a.pk, as_user=None), demo.DemoProperty)
    assert isinstance(reports.source_for(real, user_id=user_a.pk, as_user=None), reports.GA4DataAPI)


def test_a_demo_credential_holds_no_tokens(demo_credential):
    demo_credential.access_token = "ya29.real-token"
    with pytest.raises(IntegrityError, match="ga4_credentials_demo_has_no_tokens"):
        demo_credential.save()


def test_connecting_through_google_makes_a_credential_real(demo_credential, user_a):
    credential, created = credential_service.store(
        user_a, property_id=demo.PROPERTY_ID, property_name=None, access_token="ya29.a", refresh_token="1//r",
        token_expiry=None, scopes=[],
    )
    assert not created and credential.pk == demo_credential.pk and credential.is_demo is False


def test_a_demo_chat_is_answered_end_to_end_without_network(demo_credential, api, user_a, settings):
    for name in ("GA4_DATA_API_URL", "GA4_OAUTH_TOKEN_URL", "GA4_OAUTH_AUTHORIZE_URL", "GA4_OAUTH_REVOKE_URL"):
        setattr(settings, name, NOWHERE)
    session = ChatSession.objects.create(user=user_a, title="Demo", credential=demo_credential)
    posted, events = ask_and_stream(api(user_a), session, "sessions by device category last 7 days")

    assert [e["event"] for e in events] == ["streaming", "streaming", "streaming", "complete"]
    assert events[1]["data"]["text"] == f"Running a GA4 report on property {demo.PROPERTY_NAME}…"
    content = events[-1]["data"]["content"]
    assert content["answer"].startswith("The last 7 days") and "By device category, desktop leads" in content["answer"]
    assert content["charts"][0]["kind"] == "bar" and {p["x"] for p in content["charts"][0]["series"][0]["points"]} == {"desktop", "mobile", "tablet"}
    assert content["citations"][0]["source"] == demo.CITATION
    assert not ApiCall.objects.exists()  # nothing went out
    again = api(user_a).get(f"/api/v1/chat/sessions/{session.pk}/messages/").json()
    assert [m["status"] for m in again["results"]] == ["complete", "complete"]


# --- Connect without a Google client -------------------------------------------------------------


@pytest.mark.parametrize("has_demo", [True, False])
def test_connect_without_a_client_id_explains_instead_of_redirecting(db, pages, user_a, settings, has_demo):
    settings.GA4_OAUTH_CLIENT_ID = ""
    if has_demo:
        GA4Credential.objects.create(user=user_a, property_id=demo.PROPERTY_ID, property_name=demo.PROPERTY_NAME, is_demo=True)
    client = pages(user_a)
    page = client.get("/chat/ga4/connect/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="connect-unavailable"' in text and "GA4_OAUTH_CLIENT_ID" in text and "Continue to Google" not in text
    assert (demo.PROPERTY_NAME in text) is has_demo and ("demo@example.com" in text) is not has_demo
    posted = client.post("/chat/ga4/connect/", {"property_id": "123456789"})
    assert posted.status_code == 503 and b"connect-unavailable" in posted.content
    assert not any(key.startswith("ga4") for key in client.session.keys())


def test_reconnect_without_a_client_id_goes_to_the_explanation(db, pages, user_a, settings, make_credential):
    settings.GA4_OAUTH_CLIENT_ID = ""
    credential = make_credential(user_a, status=GA4Credential.Status.NEEDS_REAUTH)
    posted = pages(user_a).post(f"/chat/ga4/{credential.pk}/reconnect/")
    assert posted.status_code == 302 and posted["Location"] == "/chat/ga4/connect/"


def test_reconnecting_the_demo_property_needs_no_google(demo_credential, pages, user_a, settings):
    settings.GA4_OAUTH_CLIENT_ID = ""
    GA4Credential.objects.filter(pk=demo_credential.pk).update(status=GA4Credential.Status.REVOKED)
    posted = pages(user_a).post(f"/chat/ga4/{demo_credential.pk}/reconnect/")
    assert posted.status_code == 302 and posted["Location"] == "/chat/ga4/"
    demo_credential.refresh_from_db()
    assert demo_credential.status == GA4Credential.Status.ACTIVE and demo_credential.is_demo

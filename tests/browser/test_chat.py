"""The analytics chat in Chromium: connect a GA4 property through the (loopback) Google OAuth flow,
start a chat on it, ask, watch the answer arrive over Server-Sent Events, and see the Vega-Lite chart
drawn (an SVG inside the chart's container) with its headline metric; the answer is still there after
a reload. A real worker process makes the answers: the page's stream only follows them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import ChatMessage, ChatSession
from tests.browser.test_flows import expect_message, log_in, url
from tests.chat.ga4_reports import KnownReports
from tests.chat.loopback import LoopbackGoogle
from tests.conftest import PASSWORD


@pytest.fixture
def google(settings):
    with LoopbackGoogle() as provider:
        for name, value in provider.settings().items():
            setattr(settings, name, value)
        provider.report_handler = KnownReports()
        yield provider


@pytest.mark.browser
def test_ask_and_see_the_chart(page, live_server, google, make_user, workers):
    workers(env=google.settings())  # the answer is made by a worker; the page follows its stream
    user = make_user("analyst@example.com", PASSWORD)
    log_in(page, live_server, user.email, PASSWORD)

    # Connect a property (the loopback Google consents at once).
    page.get_by_role("link", name="Google Analytics").click()
    page.locator("main").get_by_role("button", name="Connect Google Analytics").click()
    page.locator("main").get_by_label("GA4 property id").fill("123456789")
    page.locator("main").get_by_label("Display name").fill("Web shop")
    page.locator("main").get_by_role("button", name="Continue to Google").click()
    expect_message(page, "Connected “Web shop (123456789)”.")

    # A chat on it.
    page.get_by_role("link", name="Chats").click()
    expect(page.get_by_role("heading", name="Chats")).to_be_visible()
    main = page.locator("main")
    main.get_by_label("Title").fill("Traffic")
    main.get_by_label("Persona").select_option("mgr")
    main.get_by_label("Google Analytics property").select_option(label="Web shop (123456789)")
    main.get_by_role("button", name="Start chat").click()
    chat = ChatSession.objects.get(user=user)
    expect(page).to_have_url(url(live_server, f"/chat/{chat.pk}/"))
    expect(page.get_by_test_id("chat-title")).to_have_text("Traffic")

    # Ask: the question and the answer appear without a reload.
    page.get_by_label("Your question").fill("sessions by device category last 7 days")
    page.get_by_role("button", name="Ask").click()
    conversation = page.locator("#conversation")
    expect(conversation.locator("article.user .question")).to_have_text("sessions by device category last 7 days")
    answer = conversation.locator("article.assistant")
    today = timezone.now().date()
    start, end = today - timedelta(days=7), today - timedelta(days=1)
    expect(answer.locator(".answer")).to_have_text(
        f"The last 7 days ({start} – {end}): sessions 3,400, up 13.3% on the previous period (3,000). "
        "By device category, desktop leads with 2,000 sessions, 58.8% of the total.",
    )
    metric = answer.locator("[data-testid=metrics] li")
    expect(metric.locator(".metric-name")).to_have_text("Sessions")
    expect(metric.locator(".metric-value")).to_have_text("3,400")
    expect(metric.locator(".delta.up")).to_have_text("▲ +13.3%")
    chart = answer.locator("figure.chart")
    expect(chart.locator("svg").first).to_be_visible()  # drawn by Vega-Lite
    expect(chart.locator("svg .mark-rect path")).to_have_count(3)  # one bar per device category
    expect(answer.locator(".citations")).to_contain_text("properties/123456789:runReport")
    assert google.calls["runReport"] == 1
    message = ChatMessage.objects.get(session=chat, role="assistant")
    assert message.status == "complete" and message.content["metrics"][0]["value"] == 3400

    # A reload shows the stored answer and draws its chart again (nothing asked of Google again).
    page.reload()
    expect(answer.locator(".answer")).to_contain_text("sessions 3,400, up 13.3%")
    expect(answer.locator("figure.chart svg").first).to_be_visible()
    assert google.calls["runReport"] == 1


@pytest.mark.browser
def test_without_a_property_the_answer_says_how_to_connect(page, live_server, make_user, workers):
    workers()
    user = make_user("new.analyst@example.com", PASSWORD)
    chat = ChatSession.objects.create(user=user, title="No data yet")
    log_in(page, live_server, user.email, PASSWORD)
    page.goto(f"/chat/{chat.pk}/")
    page.get_by_label("Your question").fill("top pages this month")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("#conversation article.assistant .answer")
    expect(answer).to_contain_text("not connected to a Google Analytics 4 property")
    expect(answer).to_contain_text("/chat/ga4/")

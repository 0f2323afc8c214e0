"""One of each product's objects for a user, so that page-wide tests (the CSP on every page, charts
drawn in Chromium, screenshots) see every kind of page: `showcase(user)` → the URLs of the pages
that draw charts."""

from datetime import timedelta

import pandas as pd
from django.utils import timezone

from chat.models import ChatMessage, ChatSession
from partners import services as partner_services
from partners.models import IngestionEvent, Partner
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession
from sessions_app.storage import Figure, SessionStorage

VEGA_LITE_FIGURE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "data": {"values": [{"week": f"2026-01-{day:02d}", "revenue": revenue} for day, revenue in [(5, 8400), (12, 9100), (19, 8800), (26, 9650)]]},
    "mark": {"type": "bar", "tooltip": True},
    "encoding": {"x": {"field": "week", "type": "ordinal", "title": "Week of"},
                 "y": {"field": "revenue", "type": "quantitative", "title": "Revenue"}},
}
PLOTLY_FIGURE = {
    "data": [{"type": "scatter", "mode": "lines+markers", "name": "orders",
              "x": ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"], "y": [38, 42, 35, 47]}],
    "layout": {"title": {"text": "Orders per day"}},
}
CHAT_ANSWER = {
    "type": "ai",
    "answer": "Sessions rose 13.3% last week; desktop leads.",
    "metrics": [{"name": "Sessions", "value": 3400, "unit": "count", "delta": 13.3}],
    "charts": [
        {"kind": "bar", "title": "Sessions by device category", "x": "deviceCategory",
         "series": [{"name": "sessions", "points": [{"x": "desktop", "y": 2000}, {"x": "mobile", "y": 1200}, {"x": "tablet", "y": 200}]}]},
        {"kind": "line", "title": "Sessions per day", "x": "date",
         "series": [{"name": "sessions", "points": [{"x": f"2026-01-0{d}", "y": 400 + 20 * d} for d in range(1, 8)]}]},
    ],
    "citations": [{"title": "GA4 report", "source": "properties/123456789:runReport"}],
}


def showcase(user, events: int = 40) -> dict[str, str]:
    research = ResearchSession.objects.create(user=user, title="Pricing interviews", status="completed", stage="4_writing")
    DraftFile.objects.create(session=research, file_name="notes.md", content="# Notes\n")

    analysis = AnalysisSession.objects.create(user=user, name="Weekly sales", analysis_type="describe")
    storage = SessionStorage(analysis)
    days = pd.date_range("2026-01-05", periods=3, freq="D", tz="UTC", name="day")
    storage.set("sales", pd.DataFrame({"orders": [38, 42, 35], "revenue": [1200.5, 1310.0, 990.25]}, index=days))
    storage.set("revenue chart", Figure(VEGA_LITE_FIGURE))
    storage.set("orders chart", Figure(PLOTLY_FIGURE, "plotly"))
    storage.set("findings", {"best_region": "west"})

    partner = Partner.objects.create(user=user, name="Acme Analytics", email=user.email)
    partner_services.regenerate_key(partner)
    now = timezone.now()
    IngestionEvent.objects.bulk_create(
        IngestionEvent(partner=partner, event_type="view", data={"n": i}, source="web", version="1",
                       created_at=now - timedelta(days=i % 10))
        for i in range(events)
    )

    chat = ChatSession.objects.create(user=user, title="Traffic", persona="po")
    ChatMessage.objects.create(session=chat, role="user", content={"type": "user", "text": "sessions by device last week"})
    ChatMessage.objects.create(session=chat, role="assistant", content=CHAT_ANSWER)

    values = f"/analysis/{analysis.pk}/values"
    return {
        "chat": f"/chat/{chat.pk}/",
        "vega-lite figure": f"{values}/revenue%20chart/",
        "plotly figure": f"{values}/orders%20chart/",
        "partner portal": "/partner/",
    }

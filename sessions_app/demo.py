"""Demo data of the research and analysis sessions (`manage.py load_demo`, `core.demo`)."""

from datetime import timedelta
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from django.db.models.functions import Now

from core import demo
from sessions_app import services as analysis
from sessions_app.models import (
    AnalysisSession,
    AnalysisStatus,
    DraftFile,
    ResearchSession,
    ResearchStage,
    ResearchStatus,
)
from sessions_app.storage import Figure, Image, SessionStorage, quotas

RESEARCH = [
    ("Market sizing for EU analytics", ResearchStatus.IN_PROGRESS, ResearchStage.PARALLEL_RESEARCH,
     {"outline.md": "# Outline\n\n1. TAM\n2. SAM\n3. SOM\n", "sources.md": "- Eurostat\n- Company filings\n"}),
    ("Churn drivers, Q3", ResearchStatus.COMPLETED, ResearchStage.WRITING,
     {"report.md": "# Churn drivers\n\nOnboarding friction explains most early churn.\n"}),
    ("Pricing page experiment", ResearchStatus.IN_PROGRESS, ResearchStage.PLANNING, {}),
]
ANALYSIS_NAME = "Weekly sales, demo"


def weekly_sales() -> pd.DataFrame:
    rng = np.random.default_rng(2026)
    days = pd.date_range("2026-01-05", periods=56, freq="D", tz="UTC", name="day")
    return pd.DataFrame(
        {
            "region": pd.Categorical(rng.choice(["north", "south", "west"], size=len(days))),
            "orders": rng.poisson(40, size=len(days)),
            "revenue": rng.normal(1200, 150, size=len(days)).round(2),
        },
        index=days,
    )


def revenue_chart(frame: pd.DataFrame) -> Figure:
    weekly = frame["revenue"].resample("W").sum().round(2)
    return Figure({
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Revenue per week",
        "data": {"values": [{"week": day.date().isoformat(), "revenue": value} for day, value in weekly.items()]},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {"x": {"field": "week", "type": "ordinal", "title": "Week of"},
                     "y": {"field": "revenue", "type": "quantitative", "title": "Revenue"}},
    })


def orders_figure(frame: pd.DataFrame) -> Figure:
    """Orders per week and region, as a Plotly figure (grouped bars)."""
    weekly = frame.groupby([pd.Grouper(freq="W"), "region"], observed=True)["orders"].sum().unstack(fill_value=0)
    weeks = [day.date().isoformat() for day in weekly.index]
    return Figure({
        "data": [{"type": "bar", "name": str(region), "x": weeks, "y": [int(n) for n in weekly[region]]} for region in weekly.columns],
        "layout": {"title": {"text": "Orders per week and region"}, "barmode": "group",
                   "xaxis": {"title": {"text": "Week of"}}, "yaxis": {"title": {"text": "Orders"}}},
    }, "plotly")


def revenue_sparkline(frame: pd.DataFrame, width: int = 560, height: int = 120) -> Image:
    """Daily revenue as a small SVG line."""
    values = frame["revenue"].to_numpy()
    low, high = float(values.min()), float(values.max())
    step = width / (len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 10 - (v - low) / (high - low) * (height - 20):.1f}" for i, v in enumerate(values))
    title = escape(f"Daily revenue, {frame.index[0].date()} to {frame.index[-1].date()}")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{title}</title>"
        f'<rect width="{width}" height="{height}" fill="#f8fafc"/>'
        f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/></svg>'
    )
    return Image(svg.encode(), "image/svg+xml")


def analysis_values(frame: pd.DataFrame) -> dict:
    """key -> (value, sensitive)."""
    return {
        "sales": (frame, False),
        "revenue chart": (revenue_chart(frame), False),
        "orders by region": (orders_figure(frame), False),
        "revenue sparkline": (revenue_sparkline(frame), False),
        "findings": ({"best_region": str(frame.groupby("region", observed=True)["revenue"].mean().idxmax()),
                      "weeks": len(frame["revenue"].resample("W").sum())}, False),
        "note": ("Revenue is flat week over week; the west region leads.", False),
        "warehouse token": ("demo-token-not-a-real-secret", True),
    }


@demo.provider("research and analysis sessions")
def load(user, say):
    for title, status, stage, files in RESEARCH:
        session, created = ResearchSession.objects.get_or_create(user=user, title=title, defaults={"status": status, "stage": stage})
        if created:
            DraftFile.objects.bulk_create(DraftFile(session=session, file_name=n, content=c) for n, c in files.items())
    say(f"{len(RESEARCH)} research sessions.")
    load_analysis(user)
    say(f"Analysis session “{ANALYSIS_NAME}”: a DataFrame and its summary, a Vega-Lite and a Plotly figure, an SVG image, "
        "JSON, text and an encrypted value, kept for the longest ttl.")


def load_analysis(user) -> AnalysisSession:
    """The analysis session, open, with every value live for the longest ttl (SESSION_STORAGE_MAX_TTL):
    missing values are stored, present ones get their full ttl again."""
    session = AnalysisSession.objects.filter(user=user, name=ANALYSIS_NAME).first()
    if session is None:
        session = AnalysisSession.objects.create(user=user, name=ANALYSIS_NAME, analysis_type="describe", metadata={"source": "demo"})
    else:  # open again for the idle time, even if it had expired
        AnalysisSession.objects.filter(pk=session.pk).update(
            status=AnalysisStatus.ACTIVE, last_activity_at=Now(), expires_at=Now() + timedelta(seconds=quotas()["SESSION_IDLE_TTL"]),
        )
    ttl = quotas()["MAX_TTL"]
    storage = SessionStorage(session)
    present = set(storage.keys())
    frame = weekly_sales()
    for key, (value, sensitive) in analysis_values(frame).items():
        if key in present:
            storage.touch(key, ttl=ttl)
        else:
            storage.set(key, value, ttl=ttl, sensitive=sensitive)
    if "sales summary" not in present:
        analysis.describe(session, "sales", "sales summary")
    storage.touch("sales summary", ttl=ttl)
    return session

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from sessions_app import services as analysis
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession, ResearchStage, ResearchStatus
from sessions_app.storage import Figure, SessionStorage

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"

SESSIONS = [
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


def load_analysis(user) -> None:
    """One analysis session with a DataFrame, its describe() summary, a Vega-Lite chart, a JSON
    result, a note and a sensitive value."""
    session = AnalysisSession.objects.create(user=user, name=ANALYSIS_NAME, analysis_type="describe", metadata={"source": "demo"})
    storage = SessionStorage(session)
    frame = weekly_sales()
    storage.set("sales", frame)
    analysis.describe(session, "sales", "sales summary")
    weekly = frame["revenue"].resample("W").sum().round(2)
    storage.set("revenue chart", Figure({
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Revenue per week",
        "data": {"values": [{"week": day.date().isoformat(), "revenue": value} for day, value in weekly.items()]},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {"x": {"field": "week", "type": "ordinal", "title": "Week of"},
                     "y": {"field": "revenue", "type": "quantitative", "title": "Revenue"}},
    }))
    storage.set("findings", {"best_region": frame.groupby("region", observed=True)["revenue"].mean().idxmax(), "weeks": len(weekly)})
    storage.set("note", "Revenue is flat week over week; the west region leads.")
    storage.set("warehouse token", "demo-token-not-a-real-secret", sensitive=True)


class Command(BaseCommand):
    help = f"Create the demo end user ({DEMO_EMAIL}) with a few research sessions and an analysis session. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        user = services.find_by_email(DEMO_EMAIL)
        if user is not None:
            self.stdout.write(f"Demo user {DEMO_EMAIL} already exists.")
        else:
            user = services.sign_up(DEMO_EMAIL, DEMO_PASSWORD, {"full_name": "Demo User"})
            for title, status, stage, files in SESSIONS:
                session = ResearchSession.objects.create(user=user, title=title, status=status, stage=stage)
                DraftFile.objects.bulk_create(DraftFile(session=session, file_name=n, content=c) for n, c in files.items())
            self.stdout.write(self.style.SUCCESS(f"Demo user {DEMO_EMAIL} / {DEMO_PASSWORD} with {len(SESSIONS)} research sessions."))
        if not AnalysisSession.objects.filter(user=user, name=ANALYSIS_NAME).exists():
            load_analysis(user)
            self.stdout.write(self.style.SUCCESS(f"Analysis session “{ANALYSIS_NAME}” with a few stored values."))

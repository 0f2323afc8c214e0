from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from sessions_app.models import DraftFile, ResearchSession, ResearchStage, ResearchStatus

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"

SESSIONS = [
    ("Market sizing for EU analytics", ResearchStatus.IN_PROGRESS, ResearchStage.PARALLEL_RESEARCH,
     {"outline.md": "# Outline\n\n1. TAM\n2. SAM\n3. SOM\n", "sources.md": "- Eurostat\n- Company filings\n"}),
    ("Churn drivers, Q3", ResearchStatus.COMPLETED, ResearchStage.WRITING,
     {"report.md": "# Churn drivers\n\nOnboarding friction explains most early churn.\n"}),
    ("Pricing page experiment", ResearchStatus.IN_PROGRESS, ResearchStage.PLANNING, {}),
]


class Command(BaseCommand):
    help = f"Create the demo end user ({DEMO_EMAIL}) with a few research sessions. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        user = services.find_by_email(DEMO_EMAIL)
        if user is not None:
            self.stdout.write(f"Demo user {DEMO_EMAIL} already exists.")
            return
        user = services.sign_up(DEMO_EMAIL, DEMO_PASSWORD, {"full_name": "Demo User"})
        for title, status, stage, files in SESSIONS:
            session = ResearchSession.objects.create(user=user, title=title, status=status, stage=stage)
            DraftFile.objects.bulk_create(DraftFile(session=session, file_name=n, content=c) for n, c in files.items())
        self.stdout.write(self.style.SUCCESS(f"Demo user {DEMO_EMAIL} / {DEMO_PASSWORD} with {len(SESSIONS)} research sessions."))

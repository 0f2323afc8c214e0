"""`manage.py load_demo`: the demo end user and every product's demo data (`core.demo`)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from core import demo

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"


class Command(BaseCommand):
    help = (
        f"Create the demo end user ({DEMO_EMAIL} / {DEMO_PASSWORD}) and fill every product for it "
        "(each app's demo.py). Idempotent; a run refreshes what would expire."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        user = services.find_by_email(DEMO_EMAIL)
        if user is None:
            user = services.sign_up(DEMO_EMAIL, DEMO_PASSWORD, {"full_name": "Demo User"})
            self.stdout.write(self.style.SUCCESS(f"Demo user {DEMO_EMAIL} / {DEMO_PASSWORD} created."))
        else:
            self.stdout.write(f"Demo user {DEMO_EMAIL} exists.")
        for provider in demo.providers():
            self.stdout.write(self.style.MIGRATE_HEADING(f"{provider.what.capitalize()}:"))
            provider.load(user, lambda line: self.stdout.write(f"  {line}"))

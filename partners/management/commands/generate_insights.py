from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from partners import insights
from partners.models import Partner


class Command(BaseCommand):
    help = "Run the built-in insight models over partners' events and store the insights."

    def add_arguments(self, parser):
        parser.add_argument("--partner", help="Only this partner (id).")
        parser.add_argument("--model", action="append", dest="models", choices=sorted(insights.REGISTRY),
                            help="Only this model (repeatable). Default: every built-in model.")

    def handle(self, *args, partner=None, models=None, **options):
        insights.ensure_registered()
        partners = Partner.objects.order_by("created_at")
        if partner:
            partners = partners.filter(pk=partner)
            if not partners.exists():
                raise CommandError(f"No partner {partner}.")
        created = 0
        for each in tqdm(partners.iterator(), total=partners.count(), unit="partner", disable=options["verbosity"] == 0):
            with transaction.atomic():
                created += len(insights.generate(each, models))
        self.stdout.write(self.style.SUCCESS(f"Stored {created} insights for {partners.count()} partners."))

from django.core.management.base import BaseCommand, CommandError
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
        if partner and not Partner.objects.filter(pk=partner).exists():
            raise CommandError(f"No partner {partner}.")
        total = Partner.objects.filter(pk=partner).count() if partner else Partner.objects.count()

        def progress(partners):
            return tqdm(partners, total=total, unit="partner", disable=options["verbosity"] == 0)

        created, count = insights.generate_all(partner, models, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Stored {created} insights for {count} partners."))

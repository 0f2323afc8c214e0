from django.core.management.base import BaseCommand

from accounts import projectkeys


class Command(BaseCommand):
    help = ("Print the project's anon key (or, with --role service_role, its service key): the `apikey` "
            "Supabase clients send to /auth/v1/, signed with SUPABASE_JWT_SECRET.")

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=projectkeys.ROLES, default="anon")

    def handle(self, *args, role, **options):
        self.stdout.write(projectkeys.mint(role))

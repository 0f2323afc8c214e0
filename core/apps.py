from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db.models.signals import post_migrate

        from core import checks, encryption, privileges  # noqa: F401  (checks registers the tenancy checks)

        encryption.install()  # every encrypted field reads old keys too during a rotation
        # Supabase grants new tables of `public` to its API roles: take that back from those
        # without RLS after every migrate (core/privileges.py).
        post_migrate.connect(privileges.revoke_from_api_roles, dispatch_uid="core.privileges")

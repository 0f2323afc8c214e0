from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import checks, encryption  # noqa: F401  (checks registers the tenancy checks)

        encryption.install()  # every encrypted field reads old keys too during a rotation

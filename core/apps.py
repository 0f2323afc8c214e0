from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import encryption

        encryption.install()  # every encrypted field reads old keys too during a rotation

from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations"

    def ready(self):
        from organizations import signals  # noqa: F401  (a personal organization for every new user)

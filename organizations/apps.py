from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations"

    def ready(self):
        from accounts import tenancy
        from organizations import access, signals  # noqa: F401  (signals: a personal organization for every new user)

        tenancy.register_active_tenant(access.active_organization_id)

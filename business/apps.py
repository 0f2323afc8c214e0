from django.apps import AppConfig


class BusinessConfig(AppConfig):
    """Seed 002's "Business Logic" tables kept by this app (subscriptions, feature flags, offers) and
    the operations data (metrics_log, the System page). `growth` holds the analytics side."""

    name = "business"
    verbose_name = "Business and operations"

    def ready(self):
        from business import panels  # noqa: F401  (the plan on Account → Security)

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from audit import capture, services, signals
        from core import rls

        capture.connect()
        signals.connect()
        rls.within_request_transactions(services.deferred)

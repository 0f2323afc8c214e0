from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from audit import capture, signals, writer
        from core import rls

        capture.connect()
        signals.connect()
        rls.within_request_transactions(writer.deferred)

"""Default retention for every audit table (seed 002's retention_policies). A table that does not
exist (yet) is skipped by `manage.py cleanup_retention` with a warning. (It also gave session_storage
a 30-day rule until 0005 took it away: stored values expire by their own expires_at.)"""

from django.db import migrations

DEFAULTS = {
    "audit_logs": 365,
    "audit_user_activities": 365,
    "audit_file_uploads": 365,
    "audit_analysis_runs": 365,
    "audit_api_calls": 90,
    "audit_data_storage": 90,
}


def add_defaults(apps, schema_editor):
    RetentionPolicy = apps.get_model("audit", "RetentionPolicy")
    for table_name, days in DEFAULTS.items():
        RetentionPolicy.objects.get_or_create(table_name=table_name, defaults={"retention_days": days, "enabled": True})


def remove_defaults(apps, schema_editor):
    apps.get_model("audit", "RetentionPolicy").objects.filter(table_name__in=DEFAULTS, last_run__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_row_level_security")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]

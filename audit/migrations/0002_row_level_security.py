from django.db import migrations

from core.operations import CreatePolicy, EnableRLS, GrantTable

OWNER = "user_id = (select auth.uid())"
AUDIT_TABLES = (
    "audit_logs",
    "audit_user_activities",
    "audit_file_uploads",
    "audit_analysis_runs",
    "audit_api_calls",
    "audit_data_storage",
)


def audit_table_rls(table):
    """A user reads their own rows and may add rows about themselves only; no UPDATE or DELETE is
    granted (and the append-only trigger refuses them anyway)."""
    return [
        EnableRLS(table),
        GrantTable(table, privileges=("SELECT", "INSERT")),
        CreatePolicy(table, f"{table}_owner_select", command="SELECT", using=OWNER),
        CreatePolicy(table, f"{table}_owner_insert", command="INSERT", check=OWNER),
    ]


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [op for table in AUDIT_TABLES for op in audit_table_rls(table)] + [
        # Staff and the cleanup command only: RLS on, no grant, no policy.
        EnableRLS("retention_policies"),
    ]

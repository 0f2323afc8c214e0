"""Owner-only row-level security on every workflows table, and `workflow_runs` (seed 002's run
queue) as a view over `workflow_executions`: one source of truth. `security_invoker` makes the view
read under the caller's RLS (PostgreSQL 15+, as Supabase)."""

from django.db import migrations

from core.operations import GrantTable, OwnerOnlyRLS

RUNS_VIEW = """
CREATE VIEW workflow_runs WITH (security_invoker = true) AS
SELECT id, user_id, workflow_id, status, retries, error, input AS data, output AS result, created_at, updated_at
  FROM workflow_executions
"""


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [
        OwnerOnlyRLS("workflows", "workflows_owner"),
        OwnerOnlyRLS("workflow_versions", "workflow_versions_owner"),
        OwnerOnlyRLS("workflow_executions", "workflow_executions_owner"),
        OwnerOnlyRLS("user_integrations", "user_integrations_owner"),
        migrations.RunSQL(RUNS_VIEW, "DROP VIEW IF EXISTS workflow_runs"),
        GrantTable("workflow_runs", privileges=("SELECT",)),
    ]

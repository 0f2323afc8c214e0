"""Seed 002's alternative `audit_log` (id, user_id, action, meta, ts) as a read-only view over our
`audit_logs`, so code written against it keeps reading (docs/growth.md, "audit_log").

`security_invoker`: the caller's row-level security on `audit_logs` applies, so a signed-in user
reads their own rows only, as from the table. Writes through it are refused: the trail is written
by the application (audit.record), never through this name."""

from django.db import migrations

VIEW = """
CREATE VIEW public.audit_log WITH (security_invoker = true) AS
SELECT a.id,
       a.user_id,
       a.action,
       a.details || jsonb_strip_nulls(jsonb_build_object('resource_type', nullif(a.resource_type, ''),
                                                         'resource_id', nullif(a.resource_id, ''))) AS meta,
       a.created_at AS ts
FROM public.audit_logs a;

CREATE FUNCTION public.audit_log_read_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is a read-only view of audit_logs' USING ERRCODE = 'feature_not_supported';
END $$;
REVOKE EXECUTE ON FUNCTION public.audit_log_read_only() FROM PUBLIC;
CREATE TRIGGER audit_log_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON public.audit_log
  FOR EACH ROW EXECUTE FUNCTION public.audit_log_read_only();

REVOKE ALL ON public.audit_log FROM PUBLIC, anon, authenticated;
GRANT SELECT ON public.audit_log TO authenticated, service_role;
"""

DROP = "DROP VIEW public.audit_log; DROP FUNCTION public.audit_log_read_only();"


class Migration(migrations.Migration):
    dependencies = [("growth", "0002_sql"), ("audit", "0005_own_retention_tables"), ("accounts", "0001_supabase_auth")]

    operations = [migrations.RunSQL(VIEW, DROP)]

"""Seed 002's zero-trust functions: retention by each user's preference, the record of refused
writes, the health report, and the counts staff may see. SECURITY DEFINER (they must reach every
user's rows), each doing one fixed thing, with an empty search_path and EXECUTE taken from PUBLIC."""

from django.db import migrations

ZERO_TRUST_TABLES = "ARRAY['telemetry_events', 'privacy_transparency_log', 'privacy_prefs']"

FUNCTIONS_SQL = r"""
-- Deletes only telemetry and file events older than their owner's data_retention_days (by the
-- event's own time), logs one transparency row per user who lost any, records the run.
CREATE OR REPLACE FUNCTION public.cleanup_telemetry_by_retention()
RETURNS TABLE (users integer, telemetry_deleted bigint, file_events_deleted bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  WITH cutoff AS (
    SELECT p.user_id, statement_timestamp() - make_interval(days => p.data_retention_days) AS before
    FROM public.privacy_prefs p
  ), telemetry AS (
    DELETE FROM public.telemetry_events e USING cutoff c
    WHERE e.user_id = c.user_id AND e."timestamp" < c.before RETURNING e.user_id
  ), files AS (
    DELETE FROM public.file_events e USING cutoff c
    WHERE e.user_id = c.user_id AND e."timestamp" < c.before RETURNING e.user_id
  ), per_user AS (
    SELECT d.user_id, count(*) FILTER (WHERE d.kind = 't') AS telemetry, count(*) FILTER (WHERE d.kind = 'f') AS files
    FROM (SELECT t.user_id, 't' AS kind FROM telemetry t UNION ALL SELECT f.user_id, 'f' FROM files f) d
    GROUP BY d.user_id
  ), logged AS (
    INSERT INTO public.privacy_transparency_log (user_id, action, resource, metadata)
    SELECT u.user_id, 'retention_delete', 'telemetry',
           jsonb_build_object('telemetry_events', u.telemetry, 'file_events', u.files)
    FROM per_user u
    RETURNING 1
  )
  SELECT count(*)::integer, coalesce(sum(u.telemetry), 0)::bigint, coalesce(sum(u.files), 0)::bigint
    INTO users, telemetry_deleted, file_events_deleted FROM per_user u;
  INSERT INTO public.privacy_retention_runs (telemetry_deleted, file_events_deleted, users)
  VALUES (telemetry_deleted, file_events_deleted, users);
  RETURN NEXT;
END
$$;

-- A write the database refused for row-level security, in the audit trail: who tried (the
-- caller's auth.uid()), on which table, for which user id, doing what.
CREATE OR REPLACE FUNCTION public.audit_rls_violation(table_name text, attempted_user_id uuid, operation text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  INSERT INTO public.audit_logs (user_id, action, resource_type, resource_id, details)
  VALUES ((SELECT auth.uid()), 'rls_violation', left(coalesce(table_name, ''), 100), coalesce(attempted_user_id::text, ''),
          jsonb_build_object('table', table_name, 'attempted_user_id', attempted_user_id, 'operation', left(operation, 20)));
$$;

-- The guardian's state as JSON. Drops are the caller's own when called as an end user, everyone's
-- (counts only) when called as staff or a job.
CREATE OR REPLACE FUNCTION public.privacy_guardian_health_check()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  caller uuid := (SELECT auth.uid());
  sample jsonb := '{"password": "hunter2", "note": "mail ann@example.com", "path": "/home/ann/x", "n": 3}';
  expected jsonb := '{"password": "[REDACTED]", "note": "mail [REDACTED_EMAIL]", "path": "/home/[USER]/x", "n": 3}';
  trigger_present boolean;
  tables jsonb;
  last_run jsonb;
  drops jsonb;
BEGIN
  SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
    WHERE t.tgrelid = 'public.telemetry_events'::regclass AND t.tgname LIKE 'pgtrigger\_auto\_redact\_telemetry\_before\_insert\_%'
      AND p.proname = 'auto_redact_telemetry' AND t.tgenabled IN ('O', 'A')
  ) INTO trigger_present;
  SELECT jsonb_object_agg(c.relname, jsonb_build_object('rls_enabled', c.relrowsecurity, 'rls_forced', c.relforcerowsecurity))
    INTO tables FROM pg_catalog.pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY (""" + ZERO_TRUST_TABLES + r""");
  SELECT jsonb_build_object('at', r.created_at, 'users', r.users, 'telemetry_deleted', r.telemetry_deleted,
                            'file_events_deleted', r.file_events_deleted)
    INTO last_run FROM public.privacy_retention_runs r ORDER BY r.created_at DESC LIMIT 1;
  SELECT jsonb_build_object('allowlist', coalesce(sum(d.dropped) FILTER (WHERE d.gate = 'allowlist'), 0),
                            'signal', coalesce(sum(d.dropped) FILTER (WHERE d.gate = 'signal'), 0),
                            'sampling', coalesce(sum(d.dropped) FILTER (WHERE d.gate = 'sampling'), 0))
    INTO drops FROM public.privacy_gate_drops d
    WHERE d.hour > statement_timestamp() - interval '24 hours' AND (caller IS NULL OR d.user_id = caller);
  RETURN jsonb_build_object(
    'redaction_trigger', jsonb_build_object('present', trigger_present,
                                            'self_test', public.redact_telemetry_metadata(sample) = expected),
    'tables', tables,
    'last_retention_run', last_run,
    'dropped_last_24h', drops,
    'scope', CASE WHEN caller IS NULL THEN 'all users' ELSE 'own' END,
    'checked_at', statement_timestamp());
END
$$;

-- What staff may know of the zero-trust tables: how many rows, how many users. Never a value.
CREATE OR REPLACE FUNCTION public.privacy_zero_trust_counts()
RETURNS TABLE (table_name text, row_count bigint, user_count bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT 'telemetry_events', count(*), count(DISTINCT user_id) FROM public.telemetry_events
  UNION ALL SELECT 'privacy_transparency_log', count(*), count(DISTINCT user_id) FROM public.privacy_transparency_log
  UNION ALL SELECT 'privacy_prefs', count(*), count(DISTINCT user_id) FROM public.privacy_prefs
$$;

REVOKE EXECUTE ON FUNCTION public.cleanup_telemetry_by_retention() FROM PUBLIC, anon, authenticated;
REVOKE EXECUTE ON FUNCTION public.privacy_zero_trust_counts() FROM PUBLIC, anon, authenticated;
REVOKE EXECUTE ON FUNCTION public.audit_rls_violation(text, uuid, text) FROM PUBLIC, anon;
REVOKE EXECUTE ON FUNCTION public.privacy_guardian_health_check() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.cleanup_telemetry_by_retention() TO service_role;
GRANT EXECUTE ON FUNCTION public.privacy_zero_trust_counts() TO service_role;
GRANT EXECUTE ON FUNCTION public.audit_rls_violation(text, uuid, text) TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.privacy_guardian_health_check() TO authenticated, service_role;
"""

DROP_SQL = """
DROP FUNCTION IF EXISTS public.privacy_zero_trust_counts();
DROP FUNCTION IF EXISTS public.privacy_guardian_health_check();
DROP FUNCTION IF EXISTS public.audit_rls_violation(text, uuid, text);
DROP FUNCTION IF EXISTS public.cleanup_telemetry_by_retention();
"""


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_row_level_security"), ("audit", "0005_own_retention_tables")]

    operations = [migrations.RunSQL(FUNCTIONS_SQL, reverse_sql=DROP_SQL)]

"""Seed 002's `system_healthcheck()`: the database's health as jsonb, read by /readyz's database
check (core.health.database) and the staff System page. Executable by staff only (the connection
role): it shows connection counts and sizes no end user should see."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION public.system_healthcheck()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog
AS $$
DECLARE
  connections int;
  max_connections int := current_setting('max_connections')::int;
  longest numeric;
  xid_age bigint;
  problems text[] := '{}';
BEGIN
  SELECT count(*) INTO connections FROM pg_stat_activity WHERE backend_type = 'client backend';
  SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0) INTO longest
    FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND state <> 'idle';
  SELECT age(datfrozenxid) INTO xid_age FROM pg_database WHERE datname = current_database();
  IF connections >= max_connections * 0.95 THEN
    problems := problems || format('%s of %s connections in use', connections, max_connections);
  END IF;
  IF xid_age > 1500000000 THEN
    problems := problems || format('transaction id age %s nears wraparound: VACUUM FREEZE', xid_age);
  END IF;
  RETURN jsonb_build_object(
    'status', CASE WHEN cardinality(problems) = 0 THEN 'ok' ELSE 'degraded' END,
    'problems', to_jsonb(problems),
    'server_version', current_setting('server_version'),
    'in_recovery', pg_is_in_recovery(),
    'database_bytes', pg_database_size(current_database()),
    'connections', connections,
    'max_connections', max_connections,
    'longest_transaction_seconds', round(longest, 1),
    'xid_age', xid_age,
    'checked_at', now());
END
$$;
REVOKE EXECUTE ON FUNCTION public.system_healthcheck() FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    REVOKE EXECUTE ON FUNCTION public.system_healthcheck() FROM anon;
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE EXECUTE ON FUNCTION public.system_healthcheck() FROM authenticated;
  END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_job_failures")]

    operations = [migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS public.system_healthcheck()")]

"""Row-level security of the business tables (docs/business.md) and two of seed 002's monitoring
functions (`system_healthcheck()` is core's: /readyz calls it).

- subscriptions: the owner reads their own rows; no role but the connection role (the billing
  webhook) writes.
- feature_flags: anyone reads (anon and authenticated); offers: anyone reads those enabled and in
  their window. Writes by staff only (no write grant).
- billing_events, metrics_log: staff only (RLS on, no policy, no grant).
- get_table_sizes(), get_index_usage(): executable by staff only (the connection role).
"""

from django.db import migrations

from core.operations import CreatePolicy, EnableRLS, GrantTable

PUBLIC = ("anon", "authenticated")
OFFER_LIVE = "enabled AND (valid_from IS NULL OR valid_from <= now()) AND (valid_to IS NULL OR valid_to > now())"

# The connection role switches to `anon` for requests without a token (core.rls.act_as_anon), as it
# does to `authenticated`: it must be a member (Supabase's `postgres` already is).
ANON_MEMBER = """
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'anon', 'MEMBER') THEN
    EXECUTE format('GRANT anon TO %I', current_user);
  END IF;
END
$$;
"""

FUNCTIONS = """
CREATE OR REPLACE FUNCTION public.get_table_sizes()
RETURNS TABLE (table_name text, total_bytes bigint, table_bytes bigint, index_bytes bigint, row_estimate bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog
AS $$
  SELECT CASE WHEN n.nspname = 'public' THEN c.relname::text ELSE format('%I.%I', n.nspname, c.relname) END,
         pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid),
         greatest(c.reltuples, 0)::bigint
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg_toast%'
   ORDER BY 2 DESC, 1
$$;
REVOKE EXECUTE ON FUNCTION public.get_table_sizes() FROM PUBLIC, anon, authenticated;

CREATE OR REPLACE FUNCTION public.get_index_usage()
RETURNS TABLE (table_name text, index_name text, idx_scan bigint, idx_tup_read bigint, idx_tup_fetch bigint,
               index_bytes bigint, is_unique boolean)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog
AS $$
  SELECT CASE WHEN s.schemaname = 'public' THEN s.relname::text ELSE format('%I.%I', s.schemaname, s.relname) END,
         s.indexrelname::text, s.idx_scan, s.idx_tup_read, s.idx_tup_fetch,
         pg_relation_size(s.indexrelid), i.indisunique
    FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
   ORDER BY pg_relation_size(s.indexrelid) DESC, 2
$$;
REVOKE EXECUTE ON FUNCTION public.get_index_usage() FROM PUBLIC, anon, authenticated;
"""
# Supabase's default privileges grant every new table to anon and authenticated; these tables are
# written by staff and the webhook only, so the API roles keep at most the SELECT granted below.
REVOKE_WRITES = """
REVOKE INSERT, UPDATE, DELETE ON TABLE subscriptions, feature_flags, offers, billing_events, metrics_log FROM anon, authenticated;
REVOKE SELECT ON TABLE billing_events, metrics_log FROM anon, authenticated;
REVOKE SELECT ON TABLE subscriptions FROM anon;
"""
DROP_FUNCTIONS = "DROP FUNCTION IF EXISTS public.get_table_sizes(); DROP FUNCTION IF EXISTS public.get_index_usage();"


class Migration(migrations.Migration):
    dependencies = [("business", "0001_initial")]

    operations = [
        migrations.RunSQL(ANON_MEMBER, migrations.RunSQL.noop),
        migrations.RunSQL(REVOKE_WRITES, migrations.RunSQL.noop),
        EnableRLS("subscriptions"),
        GrantTable("subscriptions", privileges=("SELECT",)),
        CreatePolicy("subscriptions", "subscriptions_owner_read", command="SELECT", using="user_id = (select auth.uid())"),
        EnableRLS("feature_flags"),
        GrantTable("feature_flags", privileges=("SELECT",), role="anon"),
        GrantTable("feature_flags", privileges=("SELECT",)),
        CreatePolicy("feature_flags", "feature_flags_public_read", command="SELECT", using="true", roles=PUBLIC),
        EnableRLS("offers"),
        GrantTable("offers", privileges=("SELECT",), role="anon"),
        GrantTable("offers", privileges=("SELECT",)),
        CreatePolicy("offers", "offers_public_read_live", command="SELECT", using=OFFER_LIVE, roles=PUBLIC),
        EnableRLS("billing_events"),
        EnableRLS("metrics_log"),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
    ]

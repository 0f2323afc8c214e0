from django.db import migrations

# Seed 003's `ga4_credentials_safe`: what a credential is, never what it holds (no token column,
# encrypted or not). `security_invoker`: the caller's row-level security on ga4_credentials applies,
# so a signed-in user sees only their own rows through it.
VIEW = """
CREATE VIEW public.ga4_credentials_safe WITH (security_invoker = true) AS
SELECT id, user_id, tenant_id, property_id, property_name, status, scopes, token_expiry, last_refreshed_at,
       created_at, updated_at
FROM public.ga4_credentials;
REVOKE ALL ON public.ga4_credentials_safe FROM PUBLIC, anon;
GRANT SELECT ON public.ga4_credentials_safe TO authenticated, service_role;
"""


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_ga4credential_is_demo"), ("accounts", "0001_supabase_auth")]

    operations = [migrations.RunSQL(VIEW, "DROP VIEW public.ga4_credentials_safe;")]

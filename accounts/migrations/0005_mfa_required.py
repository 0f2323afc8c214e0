"""A user's own MFA requirement, enforced by the database: `public.mfa_satisfied()` and a RESTRICTIVE
policy on each sensitive table, so an `aal1` session of a user who requires MFA reads and writes
none of their rows there, whatever the application does (docs/auth.md, "MFA required")."""

from django.db import migrations

from core.operations import CreatePolicy

# Supabase's documented pattern, `(select auth.jwt()->>'aal') = 'aal2'`, applied only to users who
# require MFA. SECURITY DEFINER (with a pinned, empty search_path) so that `authenticated` need not
# read auth.users; STABLE, and called as `(select ...)`, so it runs once per statement.
FUNCTION = """
CREATE OR REPLACE FUNCTION public.mfa_satisfied() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $f$
    SELECT coalesce((select auth.jwt()->>'aal') = 'aal2', false)
        OR NOT EXISTS (SELECT 1 FROM auth.users u
                       WHERE u.id = (select auth.uid()) AND u.raw_app_meta_data->'mfa_required' = 'true'::jsonb)
$f$;
REVOKE ALL ON FUNCTION public.mfa_satisfied() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.mfa_satisfied() TO authenticated;
"""

SATISFIED = "(select public.mfa_satisfied())"
# What an `aal1` session of such a user must not reach: Google Analytics credentials (refresh tokens
# to a property), analysis session values, and chat conversations (which quote the analytics).
SENSITIVE = ("ga4_credentials", "session_storage", "chat_messages")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_auth_tokens_identities_mfa"),
        ("chat", "0004_ga4_credentials_safe"),
        ("sessions_app", "0005_analysis_row_level_security"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS public.mfa_satisfied();"),
        *(CreatePolicy(table, f"{table}_mfa_required", using=SATISFIED, check=SATISFIED, restrictive=True) for table in SENSITIVE),
    ]

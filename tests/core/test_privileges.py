"""On Supabase, new tables of `public` are granted to `anon` and `authenticated`: after migrate, none
without row-level security stays reachable by them (core/privileges.py)."""

from django.core.management import call_command
from django.db import connection


def can(role: str, table: str, privilege: str = "SELECT") -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
        return cursor.fetchone()[0]


def test_supabase_default_grants_on_tables_without_rls_are_taken_back(db):
    with connection.cursor() as cursor:  # what Supabase's default privileges do to every new table
        cursor.execute("GRANT ALL ON TABLE auth_user, django_cache, procrastinate_jobs, job_failures, research_sessions "
                       "TO anon, authenticated")
    assert can("anon", "auth_user") and can("authenticated", "procrastinate_jobs", "UPDATE")

    call_command("migrate", verbosity=0)  # nothing to apply: post_migrate still runs

    for table in ("auth_user", "django_cache", "procrastinate_jobs", "job_failures"):
        for role in ("anon", "authenticated"):
            assert not can(role, table), f"{role} still reaches {table}"
    # A table under RLS keeps its row privileges (its policies decide), never TRUNCATE (which RLS does
    # not filter); the security_invoker view keeps its grant.
    assert can("authenticated", "research_sessions", "INSERT") and not can("authenticated", "research_sessions", "TRUNCATE")
    assert not can("anon", "research_sessions", "TRUNCATE") and can("authenticated", "ga4_credentials_safe")


def test_after_migrate_no_table_without_rls_is_exposed(db):
    from core.privileges import exposed_tables

    assert exposed_tables() == []

"""No table without row-level security is reachable by Supabase's API roles.

On a Supabase project, the schema `public` has default privileges that grant ALL on every new table
to `anon` and `authenticated` (so that tables made in its dashboard work with PostgREST, guarded by
RLS). The tables Django, procrastinate and our staff-only models create have no RLS: granted like
that, any visitor with the anon key could read Django's staff users and password hashes, the cache
or the job queue through `/rest/v1/`. After every `migrate` this takes such privileges away again:

- tables without RLS (and the schema's sequences): nothing for `anon` and `authenticated`;
- every table: no TRUNCATE (which RLS does not filter), REFERENCES or TRIGGER for them.

Tables with RLS keep the row privileges their migrations gave them (core.operations.GrantTable),
under their policies, and views keep theirs (seed 003's `ga4_credentials_safe` is granted on purpose,
security_invoker).
"""

from django.db import connections

API_ROLES = ("anon", "authenticated")
NEVER = "TRUNCATE, REFERENCES, TRIGGER"

EXPOSED = """
SELECT format('%%I.%%I', n.nspname, c.relname), c.relrowsecurity
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
   AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = ANY(%s)
                AND has_table_privilege(r.rolname, c.oid,
                      CASE WHEN c.relrowsecurity THEN 'TRUNCATE, REFERENCES, TRIGGER'
                           ELSE 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER' END))
 ORDER BY 1
"""


def exposed_tables(using: str = "default") -> list[tuple[str, bool]]:
    """(table, has RLS) of `public` where `anon` or `authenticated` hold more than they should."""
    with connections[using].cursor() as cursor:
        cursor.execute(EXPOSED, [list(API_ROLES)])
        return cursor.fetchall()


def revoke_from_api_roles(using: str = "default", **kwargs) -> list[str]:
    """Take back what `anon`/`authenticated` should not hold; the tables changed. Connected to
    post_migrate."""
    exposed = exposed_tables(using)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT string_agg(quote_ident(rolname), ', ') FROM pg_roles WHERE rolname = ANY(%s)", [list(API_ROLES)])
        roles = cursor.fetchone()[0]
        if not roles:
            return []
        for table, rls in exposed:
            cursor.execute(f"REVOKE {NEVER if rls else 'ALL'} ON TABLE {table} FROM {roles}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {roles}")
    return [table for table, _ in exposed]

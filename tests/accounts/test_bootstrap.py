"""The accounts migration creates Supabase's auth minimum on an empty database and changes nothing on
a database that already has it; the system check catches an auth.users that is not Supabase's."""

import uuid

from django.db import connection

from accounts import bootstrap
from accounts.checks import check_auth_users

CATALOG_SNAPSHOT = """
SELECT 'column', table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = 'auth'
UNION ALL
SELECT 'type', typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'auth'
UNION ALL
SELECT 'function', p.proname || ': ' || p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'auth'
UNION ALL
SELECT 'index', indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'auth'
UNION ALL
SELECT 'acl', coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'auth'
ORDER BY 1, 2
"""


def _apply(conn):
    with conn.cursor() as cursor:
        bootstrap.apply(cursor)


def test_empty_database_gets_supabase_auth(scratch_database):
    _apply(scratch_database)
    _apply(scratch_database)  # idempotent

    columns = {r[0] for r in scratch_database.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users'")}
    assert {"id", "aud", "role", "email", "encrypted_password", "email_confirmed_at", "last_sign_in_at",
            "raw_app_meta_data", "raw_user_meta_data", "is_super_admin", "created_at", "updated_at", "phone",
            "banned_until", "deleted_at", "is_anonymous", "is_sso_user", "confirmed_at"} <= columns
    session_columns = {r[0] for r in scratch_database.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'sessions'")}
    assert {"id", "user_id", "created_at", "updated_at", "factor_id", "aal", "not_after", "refreshed_at",
            "user_agent", "ip", "tag"} == session_columns
    def columns_of(table):
        return {r[0] for r in scratch_database.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = %s", [table])}

    assert columns_of("refresh_tokens") == {"instance_id", "id", "token", "user_id", "revoked", "created_at", "updated_at",
                                            "parent", "session_id"}
    assert columns_of("identities") == {"provider_id", "user_id", "identity_data", "provider", "last_sign_in_at",
                                        "created_at", "updated_at", "email", "id"}
    assert {"id", "user_id", "friendly_name", "factor_type", "status", "created_at", "updated_at", "secret",
            "last_challenged_at"} <= columns_of("mfa_factors")
    assert {"id", "factor_id", "created_at", "verified_at", "ip_address"} <= columns_of("mfa_challenges")
    assert columns_of("mfa_amr_claims") == {"session_id", "created_at", "updated_at", "authentication_method", "id"}
    types = {r[0] for r in scratch_database.execute(
        "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'auth' AND typtype = 'e'")}
    assert types == {"aal_level", "factor_type", "factor_status"}
    roles = {r[0] for r in scratch_database.execute(
        "SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')")}
    assert roles == {"anon", "authenticated", "service_role"}

    user_id = uuid.uuid4()
    with scratch_database.transaction():
        scratch_database.execute("SELECT set_config('request.jwt.claims', %s, true)",
                                 [f'{{"sub": "{user_id}", "role": "authenticated", "email": "x@example.com"}}'])
        row = scratch_database.execute("SELECT auth.uid(), auth.role(), auth.jwt() ->> 'email'").fetchone()
    assert row == (user_id, "authenticated", "x@example.com")


SUPABASE_SHAPED = """
CREATE SCHEMA auth;
CREATE TABLE auth.users (
  instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255),
  encrypted_password varchar(255), email_confirmed_at timestamptz, invited_at timestamptz,
  confirmation_token varchar(255), recovery_token varchar(255), email_change_token_new varchar(255),
  email_change varchar(255), last_sign_in_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb,
  is_super_admin bool, created_at timestamptz, updated_at timestamptz, phone text, phone_confirmed_at timestamptz,
  banned_until timestamptz, deleted_at timestamptz, is_sso_user boolean NOT NULL DEFAULT false,
  is_anonymous boolean NOT NULL DEFAULT false,
  supabase_only_column text DEFAULT 'kept'
);
CREATE INDEX supabase_own_index ON auth.users (email, created_at);
CREATE TYPE auth.aal_level AS ENUM ('aal1', 'aal2', 'aal3');
CREATE TABLE auth.sessions (
  id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz, updated_at timestamptz, factor_id uuid, aal auth.aal_level, not_after timestamptz,
  refreshed_at timestamp, user_agent text, ip inet, tag text, oauth_client_id uuid
);
CREATE TABLE auth.refresh_tokens (
  instance_id uuid, id bigserial PRIMARY KEY, token varchar(255) UNIQUE, user_id varchar(255), revoked bool,
  created_at timestamptz, updated_at timestamptz, parent varchar(255),
  session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE
);
CREATE TABLE auth.identities (
  provider_id text NOT NULL, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  identity_data jsonb NOT NULL, provider text NOT NULL, last_sign_in_at timestamptz, created_at timestamptz,
  updated_at timestamptz, email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, supabase_only_column text
);
CREATE TYPE auth.factor_type AS ENUM ('totp', 'webauthn', 'phone');
CREATE TYPE auth.factor_status AS ENUM ('unverified', 'verified');
CREATE TABLE auth.mfa_factors (
  id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, friendly_name text,
  factor_type auth.factor_type NOT NULL, status auth.factor_status NOT NULL, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL, secret text, phone text, last_challenged_at timestamptz UNIQUE,
  web_authn_credential jsonb, web_authn_aaguid uuid, last_webauthn_challenge_data jsonb
);
CREATE TABLE auth.mfa_challenges (
  id uuid PRIMARY KEY, factor_id uuid NOT NULL REFERENCES auth.mfa_factors (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL, verified_at timestamptz, ip_address inet NOT NULL, otp_code text,
  web_authn_session_data jsonb
);
CREATE TABLE auth.mfa_amr_claims (
  session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL, authentication_method text NOT NULL, id uuid PRIMARY KEY,
  UNIQUE (session_id, authentication_method)
);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT '00000000-0000-0000-0000-000000000001'::uuid $$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'supabase-role'::text $$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$ SELECT '{"supabase": true}'::jsonb $$;
INSERT INTO auth.users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'existing@example.com');
"""


def test_existing_supabase_auth_is_left_untouched(scratch_database):
    scratch_database.execute(SUPABASE_SHAPED)
    before = scratch_database.execute(CATALOG_SNAPSHOT).fetchall()
    rows_before = scratch_database.execute("SELECT * FROM auth.users").fetchall()

    _apply(scratch_database)
    _apply(scratch_database)

    assert scratch_database.execute(CATALOG_SNAPSHOT).fetchall() == before
    assert scratch_database.execute("SELECT * FROM auth.users").fetchall() == rows_before
    assert scratch_database.execute("SELECT auth.role()").fetchone() == ("supabase-role",)


def test_test_database_was_built_by_the_migration(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('auth.users') IS NOT NULL, to_regprocedure('auth.uid()') IS NOT NULL")
        assert cursor.fetchone() == (True, True)
    assert check_auth_users(databases=["default"]) == []


def test_check_reports_a_missing_mapped_column(db):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE auth.users RENAME COLUMN is_anonymous TO anonymous")
    errors = check_auth_users(databases=["default"])
    assert [e.id for e in errors] == ["accounts.E001"]
    assert "is_anonymous" in errors[0].msg


def test_check_reports_a_foreign_key_to_another_users_table(db):
    """Seed 004: research_sessions.user_id ended up referencing public.users."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE public.users (id uuid PRIMARY KEY)")
        cursor.execute("""
            SELECT conname FROM pg_constraint
            WHERE conrelid = 'research_sessions'::regclass AND contype = 'f' AND confrelid = 'auth.users'::regclass""")
        (name,) = cursor.fetchone()
        cursor.execute(f'ALTER TABLE research_sessions DROP CONSTRAINT "{name}"')
        cursor.execute("ALTER TABLE research_sessions ADD CONSTRAINT wrong_fk FOREIGN KEY (user_id) REFERENCES public.users (id)")
    errors = check_auth_users(databases=["default"])
    assert [e.id for e in errors] == ["accounts.E002"]
    assert "research_sessions.user_id references users" in errors[0].msg

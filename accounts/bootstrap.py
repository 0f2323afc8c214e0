"""What a Supabase project already has, created only where absent: schema `auth`, `auth.users`,
`auth.sessions` (with its `auth.aal_level` type), roles `anon`/`authenticated`/`service_role`, functions `auth.uid()`, `auth.role()`, `auth.jwt()`.

On a Supabase database every statement here finds its object present and changes nothing. The
definitions follow Supabase Auth's migrations and Supabase's role set-up.
"""

ROLES = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
  -- The connection role switches to `authenticated` per request, as PostgREST's authenticator does.
  IF NOT pg_has_role(current_user, 'authenticated', 'MEMBER') THEN
    EXECUTE format('GRANT authenticated TO %I', current_user);
  END IF;
END
$$;
"""

SCHEMA = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'auth') THEN
    CREATE SCHEMA auth;
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
  END IF;
END
$$;
"""

USERS = """
DO $$
BEGIN
  IF to_regclass('auth.users') IS NULL THEN
    CREATE TABLE auth.users (
      instance_id uuid NULL,
      id uuid NOT NULL PRIMARY KEY,
      aud varchar(255) NULL,
      "role" varchar(255) NULL,
      email varchar(255) NULL,
      encrypted_password varchar(255) NULL,
      email_confirmed_at timestamptz NULL,
      invited_at timestamptz NULL,
      confirmation_token varchar(255) NULL,
      confirmation_sent_at timestamptz NULL,
      recovery_token varchar(255) NULL,
      recovery_sent_at timestamptz NULL,
      email_change_token_new varchar(255) NULL,
      email_change varchar(255) NULL,
      email_change_sent_at timestamptz NULL,
      last_sign_in_at timestamptz NULL,
      raw_app_meta_data jsonb NULL,
      raw_user_meta_data jsonb NULL,
      is_super_admin bool NULL,
      created_at timestamptz NULL,
      updated_at timestamptz NULL,
      phone text NULL UNIQUE DEFAULT NULL,
      phone_confirmed_at timestamptz NULL,
      phone_change text NULL DEFAULT '',
      phone_change_token varchar(255) NULL DEFAULT '',
      phone_change_sent_at timestamptz NULL,
      confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
      email_change_token_current varchar(255) NULL DEFAULT '',
      email_change_confirm_status smallint NULL DEFAULT 0
        CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
      banned_until timestamptz NULL,
      reauthentication_token varchar(255) NULL DEFAULT '',
      reauthentication_sent_at timestamptz NULL,
      is_sso_user boolean NOT NULL DEFAULT false,
      deleted_at timestamptz NULL,
      is_anonymous boolean NOT NULL DEFAULT false
    );
    CREATE INDEX users_instance_id_idx ON auth.users (instance_id);
    CREATE INDEX users_instance_id_email_idx ON auth.users (instance_id, lower(email));
    CREATE UNIQUE INDEX users_email_partial_key ON auth.users (email) WHERE is_sso_user = false;
    CREATE INDEX users_is_anonymous_idx ON auth.users (is_anonymous);
    COMMENT ON TABLE auth.users IS 'Auth: Stores user login data within a secure schema.';
  END IF;
END
$$;
"""

SESSIONS = """
DO $$
BEGIN
  IF to_regtype('auth.aal_level') IS NULL THEN
    CREATE TYPE auth.aal_level AS ENUM ('aal1', 'aal2', 'aal3');
  END IF;
  IF to_regclass('auth.sessions') IS NULL THEN
    CREATE TABLE auth.sessions (
      id uuid NOT NULL PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
      created_at timestamptz NULL,
      updated_at timestamptz NULL,
      factor_id uuid NULL,
      aal auth.aal_level NULL,
      not_after timestamptz NULL,
      refreshed_at timestamp NULL,
      user_agent text NULL,
      ip inet NULL,
      tag text NULL
    );
    CREATE INDEX sessions_user_id_idx ON auth.sessions (user_id);
    CREATE INDEX user_id_created_at_idx ON auth.sessions (user_id, created_at);
    CREATE INDEX sessions_not_after_idx ON auth.sessions (not_after DESC);
    COMMENT ON TABLE auth.sessions IS 'Auth: Stores session data associated to a user.';
  END IF;
END
$$;
"""

FUNCTIONS = """
DO $$
BEGIN
  IF to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $f$;
  END IF;
  IF to_regprocedure('auth.role()') IS NULL THEN
    CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $f$;
  END IF;
  IF to_regprocedure('auth.jwt()') IS NULL THEN
    CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $f$;
  END IF;
END
$$;
"""

STATEMENTS = [ROLES, SCHEMA, USERS, SESSIONS, FUNCTIONS]


def apply(cursor) -> None:
    """Run the bootstrap on any DB-API cursor (Django's or psycopg's)."""
    for statement in STATEMENTS:
        cursor.execute(statement)

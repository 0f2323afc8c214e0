"""What a Supabase project already has, created only where absent: schema `auth`, `auth.users`,
`auth.sessions` (with its `auth.aal_level` type), `auth.refresh_tokens`, `auth.identities`, the MFA
tables `auth.mfa_factors`, `auth.mfa_challenges`, `auth.mfa_amr_claims` (with the types
`auth.factor_type`, `auth.factor_status`), roles `anon`/`authenticated`/`service_role`, functions
`auth.uid()`, `auth.role()`, `auth.jwt()`.

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

# Each table as Supabase Auth's migrations leave it today (their columns, types, keys and indexes).
REFRESH_TOKENS = """
DO $$
BEGIN
  IF to_regclass('auth.refresh_tokens') IS NULL THEN
    CREATE TABLE auth.refresh_tokens (
      instance_id uuid NULL,
      id bigserial NOT NULL PRIMARY KEY,
      "token" varchar(255) NULL UNIQUE,
      user_id varchar(255) NULL,
      revoked bool NULL,
      created_at timestamptz NULL,
      updated_at timestamptz NULL,
      parent varchar(255) NULL,
      session_id uuid NULL REFERENCES auth.sessions (id) ON DELETE CASCADE
    );
    CREATE INDEX refresh_tokens_instance_id_idx ON auth.refresh_tokens (instance_id);
    CREATE INDEX refresh_tokens_instance_id_user_id_idx ON auth.refresh_tokens (instance_id, user_id);
    CREATE INDEX refresh_tokens_parent_idx ON auth.refresh_tokens (parent);
    CREATE INDEX refresh_tokens_session_id_revoked_idx ON auth.refresh_tokens (session_id, revoked);
    CREATE INDEX refresh_tokens_updated_at_idx ON auth.refresh_tokens (updated_at DESC);
    COMMENT ON TABLE auth.refresh_tokens IS 'Auth: Store of tokens used to refresh JWT tokens once they expire.';
  END IF;
END
$$;
"""

IDENTITIES = """
DO $$
BEGIN
  IF to_regclass('auth.identities') IS NULL THEN
    CREATE TABLE auth.identities (
      provider_id text NOT NULL,
      user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
      identity_data jsonb NOT NULL,
      provider text NOT NULL,
      last_sign_in_at timestamptz NULL,
      created_at timestamptz NULL,
      updated_at timestamptz NULL,
      email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
      id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
      CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider)
    );
    CREATE INDEX identities_user_id_idx ON auth.identities (user_id);
    CREATE INDEX identities_email_idx ON auth.identities (email text_pattern_ops);
    COMMENT ON TABLE auth.identities IS 'Auth: Stores identities associated to a user.';
  END IF;
END
$$;
"""

MFA = """
DO $$
BEGIN
  IF to_regtype('auth.factor_type') IS NULL THEN
    CREATE TYPE auth.factor_type AS ENUM ('totp', 'webauthn', 'phone');
  END IF;
  IF to_regtype('auth.factor_status') IS NULL THEN
    CREATE TYPE auth.factor_status AS ENUM ('unverified', 'verified');
  END IF;
  IF to_regclass('auth.mfa_factors') IS NULL THEN
    CREATE TABLE auth.mfa_factors (
      id uuid NOT NULL PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
      friendly_name text NULL,
      factor_type auth.factor_type NOT NULL,
      status auth.factor_status NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      secret text NULL,
      phone text NULL DEFAULT NULL,
      last_challenged_at timestamptz NULL UNIQUE DEFAULT NULL,
      web_authn_credential jsonb NULL,
      web_authn_aaguid uuid NULL,
      last_webauthn_challenge_data jsonb NULL
    );
    CREATE UNIQUE INDEX mfa_factors_user_friendly_name_unique ON auth.mfa_factors (friendly_name, user_id)
      WHERE trim(friendly_name) <> '';
    CREATE INDEX factor_id_created_at_idx ON auth.mfa_factors (user_id, created_at);
    CREATE INDEX mfa_factors_user_id_idx ON auth.mfa_factors (user_id);
    CREATE UNIQUE INDEX unique_phone_factor_per_user ON auth.mfa_factors (user_id, phone);
    COMMENT ON TABLE auth.mfa_factors IS 'auth: stores metadata about factors';
  END IF;
  IF to_regclass('auth.mfa_challenges') IS NULL THEN
    CREATE TABLE auth.mfa_challenges (
      id uuid NOT NULL PRIMARY KEY,
      factor_id uuid NOT NULL REFERENCES auth.mfa_factors (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      verified_at timestamptz NULL,
      ip_address inet NOT NULL,
      otp_code text NULL,
      web_authn_session_data jsonb NULL
    );
    CREATE INDEX mfa_challenge_created_at_idx ON auth.mfa_challenges (created_at DESC);
    COMMENT ON TABLE auth.mfa_challenges IS 'auth: stores metadata about challenge requests made';
  END IF;
  IF to_regclass('auth.mfa_amr_claims') IS NULL THEN
    CREATE TABLE auth.mfa_amr_claims (
      session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      authentication_method text NOT NULL,
      id uuid NOT NULL,
      CONSTRAINT mfa_amr_claims_session_id_authentication_method_pkey UNIQUE (session_id, authentication_method),
      CONSTRAINT amr_id_pk PRIMARY KEY (id)
    );
    COMMENT ON TABLE auth.mfa_amr_claims IS 'auth: stores authenticator method reference claims for multi factor authentication';
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

STATEMENTS = [ROLES, SCHEMA, USERS, SESSIONS, REFRESH_TOKENS, IDENTITIES, MFA, FUNCTIONS]


def apply(cursor) -> None:
    """Run the bootstrap on any DB-API cursor (Django's or psycopg's)."""
    for statement in STATEMENTS:
        cursor.execute(statement)

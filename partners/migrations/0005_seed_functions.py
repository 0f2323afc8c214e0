from django.db import migrations

# Seed 001's four functions, under its names and signatures, for Supabase clients calling them as
# RPC. Unlike the seed they are SECURITY INVOKER: they run as the caller (`authenticated`), so the
# tables' row-level security applies on top of their own `auth.uid()` filter. `search_path` is
# pinned to nothing (every name qualified), so no caller's schema can shadow a table.
#
# The keys they make are the API's (partners/keys.py): `epai_` + 43 url-safe base64 characters,
# stored as the hex SHA-256 of the key with its first 11 characters, valid 90 days. PostgreSQL has
# no random-bytes function without pgcrypto: the 32 bytes are two `gen_random_uuid()` (built in
# since 13, from the server's strong random source; 244 random bits, version bits aside).
FUNCTIONS = r"""
CREATE FUNCTION public.get_api_key_for_partner()
RETURNS TABLE(api_key_id uuid, created_at timestamptz, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = ''
AS $$
  SELECT k.id, k.created_at, k.expires_at
  FROM public.api_keys k JOIN public.partners p ON p.id = k.partner_id
  WHERE p.user_id = auth.uid()
$$;

CREATE FUNCTION public.regenerate_api_key_for_partner()
RETURNS TABLE(api_key text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = ''
AS $$
DECLARE
  v_partner_id uuid;
  v_key text;
BEGIN
  SELECT p.id INTO v_partner_id FROM public.partners p WHERE p.user_id = auth.uid();
  IF v_partner_id IS NULL THEN
    RAISE EXCEPTION 'no partner profile for the current user' USING ERRCODE = 'no_data_found';
  END IF;
  v_key := 'epai_' || rtrim(translate(encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64'),
                                      '+/', '-_'), '=');
  INSERT INTO public.api_keys (partner_id, key_hash, key_prefix, expires_at, last_used_at, revoked_at)
  VALUES (v_partner_id, encode(sha256(convert_to(v_key, 'UTF8')), 'hex'), left(v_key, 11),
          now() + interval '90 days', NULL, NULL)
  ON CONFLICT (partner_id) DO UPDATE
    SET key_hash = EXCLUDED.key_hash, key_prefix = EXCLUDED.key_prefix, expires_at = EXCLUDED.expires_at,
        last_used_at = NULL, revoked_at = NULL;
  RETURN QUERY SELECT v_key;
END;
$$;

CREATE FUNCTION public.get_logs_for_partner(p_limit integer DEFAULT 100, p_offset integer DEFAULT 0)
RETURNS TABLE(id uuid, endpoint text, method text, status integer, duration integer, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = ''
AS $$
  SELECT l.id, l.endpoint, l.method::text, l.status, l.duration, l.created_at
  FROM public.logs l JOIN public.partners p ON p.id = l.partner_id
  WHERE p.user_id = auth.uid()
  ORDER BY l.created_at DESC, l.id DESC
  LIMIT least(p_limit, 1000) OFFSET p_offset
$$;

-- The seed's version does not compile (its output column `date` is ambiguous with the query's,
-- and count(*) is bigint where it declares integer) and scans the raw rows; this one reads the
-- daily rollup, in UTC days as the API does, whatever the session's time zone.
CREATE FUNCTION public.get_partner_usage_summary(p_days integer DEFAULT 30)
RETURNS TABLE(date date, event_count integer, insight_count integer)
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
  v_today date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
  IF p_days IS NULL OR p_days < 1 OR p_days > 366 THEN
    RAISE EXCEPTION 'p_days must be between 1 and 366' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN QUERY
  SELECT d.day, coalesce(u.event_count, 0), coalesce(u.insight_count, 0)
  FROM (SELECT v_today - i AS day FROM generate_series(0, p_days - 1) AS i) d
  LEFT JOIN (
    SELECT r.day, sum(r.event_count)::integer AS event_count, sum(r.insight_count)::integer AS insight_count
    FROM public.partner_usage_daily r JOIN public.partners p ON p.id = r.partner_id
    WHERE p.user_id = auth.uid() AND r.day BETWEEN v_today - (p_days - 1) AND v_today
    GROUP BY r.day
  ) u ON u.day = d.day
  ORDER BY d.day;
END;
$$;
"""

SIGNATURES = [
    "public.get_api_key_for_partner()",
    "public.regenerate_api_key_for_partner()",
    "public.get_logs_for_partner(integer, integer)",
    "public.get_partner_usage_summary(integer)",
]
# Supabase grants EXECUTE on new functions to anon, authenticated and service_role by default
# privileges; PostgreSQL to PUBLIC. Only signed-in callers (and the service role) may call these.
GRANTS = "".join(
    f"REVOKE EXECUTE ON FUNCTION {s} FROM PUBLIC, anon; GRANT EXECUTE ON FUNCTION {s} TO authenticated, service_role;\n"
    for s in SIGNATURES
)


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_legacy_key_index"), ("accounts", "0001_supabase_auth")]

    operations = [
        migrations.RunSQL(FUNCTIONS + GRANTS, "".join(f"DROP FUNCTION {s};\n" for s in SIGNATURES)),
    ]

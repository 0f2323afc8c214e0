"""redact_telemetry_metadata() with the same masks at a fraction of the cost (bench/telemetry).

What the trigger's time went to, measured per call on the benchmark's metadata: the secret-key test
(one regular expression with seventeen alternatives: PostgreSQL's engine builds its automaton's
states afresh on every match, ≈ 8 µs a key) and a PL/pgSQL call per string. Now:

- the key test is LIKE ANY over the same fragments, in a SQL function without STRICT, so the planner
  inlines it into the walk's query (a STRICT one is inlined only when its body is provably strict,
  which LIKE ANY is not);
- `privacy_text_candidate()`, inlined the same way, asks with LIKE (and one short regular expression
  for digits) whether a string could hold anything a pattern masks; most strings cannot and are kept
  without a call;
- `privacy_redact_text()` runs each pattern only where its own cheap test passes, and the home
  directories' two patterns one at a time (`privacy_mask_home()`, shared with file paths).

The walk stays one PL/pgSQL call per object or array: a recursive SQL function was six times slower.
The trigger functions and their pgtrigger declarations do not change."""

import importlib

from django.db import migrations

FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION public.privacy_secret_key(key text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(regexp_replace(key, '[^A-Za-z0-9]', '', 'g')) LIKE ANY (ARRAY[
    '%passw%', '%secret%', '%token%', '%apikey%', '%authorization%', 'auth', '%cookie%', '%session%', '%credential%',
    '%privatekey%', '%accesskey%', 'pwd', '%csrf%', '%xsrf%', 'jwt', '%bearer%', '%signature%'])
$$;

-- False only when no pattern of privacy_redact_text() can match: each alternative is implied by one
-- of them (a home directory, an e-mail's '@' before a '.', a JWT's header, two colons of an IPv6,
-- three dots of an IPv4, 'bearer', the first four digits of a card number's thirteen or more).
CREATE OR REPLACE FUNCTION public.privacy_text_candidate(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT value LIKE ANY (ARRAY['%/home/%', '%/Users/%', '%@%.%', '%eyJ%', '%:%:%', '%_._%._%._%'])
      OR (strpos(value, ':') > 0 AND value ILIKE '%:_users_%') OR value ILIKE '%bearer%'
      OR (octet_length(value) >= 13 AND value ~ '[0-9][ -]?[0-9][ -]?[0-9][ -]?[0-9]')
$$;

CREATE OR REPLACE FUNCTION public.privacy_mask_home(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN strpos(value, ':') > 0 AND value ILIKE '%:_users_%'
    THEN regexp_replace(CASE WHEN value LIKE '%/home/%' OR value LIKE '%/Users/%'
                          THEN regexp_replace(value, '(?<![\w.~-])(/(?:home|Users)/)[^/\s"''<>]+', '\1[USER]', 'g')
                          ELSE value END,
                        '(?<![\w])([A-Za-z]:[\\/]Users[\\/])[^\\/\s"''<>]+', '\1[USER]', 'gi')
    ELSE CASE WHEN value LIKE '%/home/%' OR value LIKE '%/Users/%'
           THEN regexp_replace(value, '(?<![\w.~-])(/(?:home|Users)/)[^/\s"''<>]+', '\1[USER]', 'g')
           ELSE value END
  END
$$;

CREATE OR REPLACE FUNCTION public.privacy_redact_text(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  result text := public.privacy_mask_home(value);
  candidate text;
BEGIN
  IF result ILIKE '%bearer%' THEN
    result := regexp_replace(result, '(?<![\w])(bearer)\s+[A-Za-z0-9._~+/=-]+', '\1 [REDACTED]', 'gi');
  END IF;
  IF strpos(result, 'eyJ') > 0 THEN
    result := regexp_replace(result, 'eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*', '[REDACTED_JWT]', 'g');
  END IF;
  IF result LIKE '%@%.%' THEN
    result := regexp_replace(result, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}', '[REDACTED_EMAIL]', 'g');
  END IF;
  IF octet_length(result) >= 13 AND result ~ '[0-9][ -]?[0-9][ -]?[0-9][ -]?[0-9]' THEN
    FOR candidate IN
      SELECT DISTINCT m[1] FROM regexp_matches(result, '(?<![\w.])([0-9](?:[ -]?[0-9]){12,18})(?![\w])', 'g') AS m
    LOOP
      IF public.privacy_luhn_valid(translate(candidate, ' -', '')) THEN
        result := replace(result, candidate, '[REDACTED_CARD]');
      END IF;
    END LOOP;
  END IF;
  -- IPv6: all eight groups, or compressed with a group on each side of '::'.
  IF result LIKE '%:%:%' THEN
    result := regexp_replace(result,
      '(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5}::[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})(?![\w:])',
      '[REDACTED_IP]', 'g');
  END IF;
  IF result LIKE '%_._%._%._%' THEN
    result := regexp_replace(result,
      '(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?!\.?\w)',
      '[REDACTED_IP]', 'g');
  END IF;
  RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION public.redact_telemetry_metadata(raw_metadata jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  result jsonb;
BEGIN
  CASE jsonb_typeof(raw_metadata)
    WHEN 'object' THEN
      -- Strings that could hold a pattern and containers are visited; the rest is kept as it is.
      SELECT coalesce(jsonb_object_agg(e.key, CASE
               WHEN public.privacy_secret_key(e.key) THEN '"[REDACTED]"'::jsonb
               WHEN jsonb_typeof(e.value) = 'string' THEN CASE WHEN public.privacy_text_candidate(e.value #>> '{}')
                 THEN to_jsonb(public.privacy_redact_text(e.value #>> '{}')) ELSE e.value END
               WHEN jsonb_typeof(e.value) IN ('object', 'array') THEN public.redact_telemetry_metadata(e.value)
               ELSE e.value END), '{}'::jsonb)
        INTO result FROM jsonb_each(raw_metadata) AS e;
    WHEN 'array' THEN
      SELECT coalesce(jsonb_agg(CASE
               WHEN jsonb_typeof(e.value) = 'string' THEN CASE WHEN public.privacy_text_candidate(e.value #>> '{}')
                 THEN to_jsonb(public.privacy_redact_text(e.value #>> '{}')) ELSE e.value END
               WHEN jsonb_typeof(e.value) IN ('object', 'array') THEN public.redact_telemetry_metadata(e.value)
               ELSE e.value END ORDER BY e.n), '[]'::jsonb)
        INTO result FROM jsonb_array_elements(raw_metadata) WITH ORDINALITY AS e(value, n);
    WHEN 'string' THEN
      result := to_jsonb(public.privacy_redact_text(raw_metadata #>> '{}'));
    ELSE
      result := raw_metadata;
  END CASE;
  RETURN result;
END
$$;
"""

# Back to migration 0001's definitions (CREATE OR REPLACE of all of them), without the new helper.
REVERSE_SQL = importlib.import_module("privacy.migrations.0001_initial").FUNCTIONS_SQL + """
DROP FUNCTION IF EXISTS public.privacy_text_candidate(text);
"""


class Migration(migrations.Migration):
    dependencies = [("privacy", "0004_exports")]

    operations = [migrations.RunSQL(FUNCTIONS_SQL, reverse_sql=REVERSE_SQL)]

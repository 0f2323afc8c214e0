"""Row-level security, the triggers that mark pending work, and seed 002's three analytics functions.

Who reaches what (docs/growth.md, "Who may read and write"):
- `analytics_events`: owner-only RLS; `authenticated` holds the row privileges under it.
- `spend`, `metrics_daily`, `utm_tracks`, `cohorts`, `growth_pending_*`: RLS on with no policy and no
  grant to `anon` or `authenticated`: staff (the admin, the Growth page) and jobs only.
- `upsert_events`: EXECUTE for `authenticated` (their own events, under RLS) and `service_role`;
  `upsert_spend` and `recompute_metrics_daily`: `service_role` only (and the table owner).

The pending-work triggers are SECURITY DEFINER (they run as the table owner, so an end user's write
can mark a day without the end user holding any privilege on the pending tables); that is why they
are written here rather than with django-pgtrigger, whose functions always run as the caller.
"""

from django.db import migrations

from core.operations import EnableRLS, OwnerOnlyRLS

STAFF_ONLY = ["spend", "metrics_daily", "utm_tracks", "cohorts", "growth_pending_days", "growth_pending_users"]

UUID = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
# ISO 8601 with an explicit offset: the instant never depends on the session's time zone.
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$"
DATE = r"^\d{4}-\d{2}-\d{2}$"

TRIGGERS = r"""
CREATE FUNCTION public.growth_mark_event_days() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO public.growth_pending_days (day)
      SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM old_rows ON CONFLICT DO NOTHING;
    INSERT INTO public.growth_pending_users (user_id) SELECT DISTINCT user_id FROM old_rows ON CONFLICT DO NOTHING;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO public.growth_pending_days (day)
      SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM new_rows ON CONFLICT DO NOTHING;
    INSERT INTO public.growth_pending_users (user_id) SELECT DISTINCT user_id FROM new_rows ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION public.growth_mark_spend_days() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO public.growth_pending_days (day) SELECT DISTINCT date FROM old_rows ON CONFLICT DO NOTHING;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO public.growth_pending_days (day) SELECT DISTINCT date FROM new_rows ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

REVOKE EXECUTE ON FUNCTION public.growth_mark_event_days(), public.growth_mark_spend_days() FROM PUBLIC;

CREATE TRIGGER analytics_events_pending_insert AFTER INSERT ON public.analytics_events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.growth_mark_event_days();
CREATE TRIGGER analytics_events_pending_update AFTER UPDATE ON public.analytics_events
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.growth_mark_event_days();
CREATE TRIGGER analytics_events_pending_delete AFTER DELETE ON public.analytics_events
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.growth_mark_event_days();
CREATE TRIGGER spend_pending_insert AFTER INSERT ON public.spend
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.growth_mark_spend_days();
CREATE TRIGGER spend_pending_update AFTER UPDATE ON public.spend
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.growth_mark_spend_days();
CREATE TRIGGER spend_pending_delete AFTER DELETE ON public.spend
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.growth_mark_spend_days();
"""

DROP_TRIGGERS = """
DROP TRIGGER analytics_events_pending_insert ON public.analytics_events;
DROP TRIGGER analytics_events_pending_update ON public.analytics_events;
DROP TRIGGER analytics_events_pending_delete ON public.analytics_events;
DROP TRIGGER spend_pending_insert ON public.spend;
DROP TRIGGER spend_pending_update ON public.spend;
DROP TRIGGER spend_pending_delete ON public.spend;
DROP FUNCTION public.growth_mark_event_days();
DROP FUNCTION public.growth_mark_spend_days();
"""

# Both upserts check the whole batch first, in one pass, and refuse it with every bad row named by
# its index (SQLSTATE 22023, DETAIL: {"<index>": {"<key>": "<problem>"}}), or write it with one
# INSERT ... ON CONFLICT. A resent row identical to the stored one is left alone (neither count).
UPSERT_EVENTS = rf"""
CREATE FUNCTION public.upsert_events(_rows jsonb)
RETURNS TABLE(inserted integer, updated integer)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_uid uuid := auth.uid();
  v_ok boolean;
  v_errors jsonb;
BEGIN
  IF _rows IS NULL OR jsonb_typeof(_rows) <> 'array' THEN
    RAISE EXCEPTION 'upsert_events: _rows must be a JSON array of events' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_array_length(_rows) > 1000 THEN
    RAISE EXCEPTION 'upsert_events: at most 1000 events a call (% given)', jsonb_array_length(_rows) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- The common case in one cheap pass: every row well-formed, no event id twice. Only a batch that
  -- fails it pays for the pass below, which names every problem of every row.
  SELECT coalesce(bool_and(CASE WHEN jsonb_typeof(v) <> 'object' THEN false ELSE coalesce(
           jsonb_typeof(v->'event_id') = 'string' AND v->>'event_id' ~ '{UUID}'
           AND jsonb_typeof(v->'occurred_at') = 'string' AND v->>'occurred_at' ~ '{TIMESTAMP}'
           AND jsonb_typeof(v->'event_name') = 'string' AND length(v->>'event_name') BETWEEN 1 AND 100
           AND coalesce(jsonb_typeof(v->'props'), 'object') = 'object'
           AND (v - '{{event_id,occurred_at,event_name,props,user_id}}'::text[]) = '{{}}'::jsonb
           AND CASE WHEN NOT v ? 'user_id' THEN v_uid IS NOT NULL
                    ELSE jsonb_typeof(v->'user_id') = 'string' AND v->>'user_id' ~ '{UUID}'
                         AND (v_uid IS NULL OR lower(replace(v->>'user_id', '-', '')) = replace(v_uid::text, '-', '')) END,
           false) END), false)
         AND count(DISTINCT (coalesce(lower(replace(v->>'user_id', '-', '')), ''), lower(replace(v->>'event_id', '-', '')))) = count(*)
    INTO v_ok
    FROM jsonb_array_elements(_rows) AS v;
  IF NOT v_ok THEN
    SELECT jsonb_object_agg(c.i - 1, c.problems ORDER BY c.i) INTO v_errors FROM (
      SELECT r.i, CASE WHEN jsonb_typeof(r.v) <> 'object' THEN jsonb_build_object('row', 'must be a JSON object')
        ELSE jsonb_strip_nulls(jsonb_build_object(
          'event_id', CASE WHEN NOT r.v ? 'event_id' THEN 'required'
                           WHEN jsonb_typeof(r.v->'event_id') <> 'string' OR r.v->>'event_id' !~ '{UUID}' THEN 'must be a UUID'
                           WHEN row_number() OVER (PARTITION BY r.user_key, lower(replace(r.v->>'event_id', '-', '')) ORDER BY r.i) > 1
                             THEN 'repeats the event_id of an earlier row' END,
          'occurred_at', CASE WHEN NOT r.v ? 'occurred_at' THEN 'required'
                              WHEN jsonb_typeof(r.v->'occurred_at') <> 'string' OR r.v->>'occurred_at' !~ '{TIMESTAMP}'
                                THEN 'must be an ISO 8601 date and time with an offset' END,
          'event_name', CASE WHEN NOT r.v ? 'event_name' THEN 'required'
                             WHEN jsonb_typeof(r.v->'event_name') <> 'string' OR length(r.v->>'event_name') NOT BETWEEN 1 AND 100
                               THEN 'must be a string of 1 to 100 characters' END,
          'props', CASE WHEN r.v ? 'props' AND jsonb_typeof(r.v->'props') <> 'object' THEN 'must be a JSON object' END,
          'user_id', CASE WHEN v_uid IS NULL AND NOT r.v ? 'user_id' THEN 'required (no signed-in user)'
                          WHEN r.v ? 'user_id' AND (jsonb_typeof(r.v->'user_id') <> 'string' OR r.v->>'user_id' !~ '{UUID}') THEN 'must be a UUID'
                          WHEN v_uid IS NOT NULL AND r.v ? 'user_id' AND lower(replace(r.v->>'user_id', '-', '')) <> replace(v_uid::text, '-', '')
                            THEN 'must be the signed-in user' END,
          'unknown', (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(r.v) k
                      WHERE k NOT IN ('event_id', 'occurred_at', 'event_name', 'props', 'user_id'))
        )) END AS problems
      FROM (SELECT e.v, e.i, CASE WHEN jsonb_typeof(e.v) = 'object'
                   THEN coalesce(lower(replace(e.v->>'user_id', '-', '')), replace(v_uid::text, '-', ''), '') END AS user_key
            FROM jsonb_array_elements(_rows) WITH ORDINALITY AS e(v, i)) r
    ) c WHERE c.problems <> '{{}}';
    IF v_errors IS NOT NULL THEN
      RAISE EXCEPTION 'upsert_events: % of % events are invalid; nothing was written',
        (SELECT count(*) FROM jsonb_object_keys(v_errors)), jsonb_array_length(_rows)
        USING ERRCODE = 'invalid_parameter_value', DETAIL = v_errors::text;
    END IF;
  END IF;
  RETURN QUERY
  WITH written AS (
    INSERT INTO public.analytics_events AS t (user_id, event_id, occurred_at, event_name, props)
    SELECT coalesce(r.user_id, v_uid), r.event_id, r.occurred_at, r.event_name, coalesce(r.props, '{{}}'::jsonb)
    FROM jsonb_to_recordset(_rows) AS r(user_id uuid, event_id uuid, occurred_at timestamptz, event_name text, props jsonb)
    ON CONFLICT (user_id, event_id) DO UPDATE
      SET occurred_at = excluded.occurred_at, event_name = excluded.event_name, props = excluded.props
      WHERE (t.occurred_at, t.event_name, t.props) IS DISTINCT FROM (excluded.occurred_at, excluded.event_name, excluded.props)
    RETURNING t.xmax = 0 AS is_new
  )
  SELECT (count(*) FILTER (WHERE is_new))::integer, (count(*) FILTER (WHERE NOT is_new))::integer FROM written;
END $$;
"""

UPSERT_SPEND = rf"""
CREATE FUNCTION public.upsert_spend(_rows jsonb)
RETURNS TABLE(inserted integer, updated integer)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_errors jsonb;
BEGIN
  IF _rows IS NULL OR jsonb_typeof(_rows) <> 'array' THEN
    RAISE EXCEPTION 'upsert_spend: _rows must be a JSON array of spend rows' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_array_length(_rows) > 1000 THEN
    RAISE EXCEPTION 'upsert_spend: at most 1000 rows a call (% given)', jsonb_array_length(_rows) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT jsonb_object_agg(c.i - 1, c.problems ORDER BY c.i) INTO v_errors FROM (
    SELECT r.i, CASE WHEN jsonb_typeof(r.v) <> 'object' THEN jsonb_build_object('row', 'must be a JSON object')
      ELSE jsonb_strip_nulls(jsonb_build_object(
        'platform', CASE WHEN NOT r.v ? 'platform' THEN 'required'
                         WHEN jsonb_typeof(r.v->'platform') <> 'string' OR length(r.v->>'platform') NOT BETWEEN 1 AND 50
                           THEN 'must be a string of 1 to 50 characters' END,
        'campaign_id', CASE WHEN NOT r.v ? 'campaign_id' THEN 'required'
                            WHEN jsonb_typeof(r.v->'campaign_id') <> 'string' OR length(r.v->>'campaign_id') NOT BETWEEN 1 AND 255
                              THEN 'must be a string of 1 to 255 characters' END,
        'adset_id', CASE WHEN r.v ? 'adset_id' AND (jsonb_typeof(r.v->'adset_id') <> 'string' OR length(r.v->>'adset_id') > 255)
                           THEN 'must be a string of at most 255 characters' END,
        'date', CASE WHEN NOT r.v ? 'date' THEN 'required'
                     WHEN jsonb_typeof(r.v->'date') <> 'string' OR r.v->>'date' !~ '{DATE}' THEN 'must be a date (YYYY-MM-DD)'
                     WHEN r.key_rank > 1 THEN 'repeats the platform, campaign_id, adset_id and date of an earlier row' END,
        'spend_cents', public.growth_count_problem(r.v, 'spend_cents', true),
        'clicks', public.growth_count_problem(r.v, 'clicks', false),
        'impressions', public.growth_count_problem(r.v, 'impressions', false),
        'conv', public.growth_count_problem(r.v, 'conv', false),
        'unknown', (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(r.v) k
                    WHERE k NOT IN ('platform', 'campaign_id', 'adset_id', 'date', 'spend_cents', 'clicks', 'impressions', 'conv'))
      )) END AS problems
    FROM (SELECT e.v, e.i,
                 row_number() OVER (w ORDER BY e.i) AS key_rank
          FROM jsonb_array_elements(_rows) WITH ORDINALITY AS e(v, i)
          WINDOW w AS (PARTITION BY CASE WHEN jsonb_typeof(e.v) = 'object'
                         THEN jsonb_build_array(e.v->'platform', e.v->'campaign_id', coalesce(e.v->'adset_id', '""'), e.v->'date') END)) r
  ) c WHERE c.problems <> '{{}}';
  IF v_errors IS NOT NULL THEN
    RAISE EXCEPTION 'upsert_spend: % of % rows are invalid; nothing was written',
      (SELECT count(*) FROM jsonb_object_keys(v_errors)), jsonb_array_length(_rows)
      USING ERRCODE = 'invalid_parameter_value', DETAIL = v_errors::text;
  END IF;
  RETURN QUERY
  WITH written AS (
    INSERT INTO public.spend AS t (platform, campaign_id, adset_id, date, spend_cents, clicks, impressions, conv)
    SELECT r->>'platform', r->>'campaign_id', coalesce(r->>'adset_id', ''), (r->>'date')::date, (r->>'spend_cents')::bigint,
           coalesce((r->>'clicks')::bigint, 0), coalesce((r->>'impressions')::bigint, 0), coalesce((r->>'conv')::bigint, 0)
    FROM jsonb_array_elements(_rows) AS r
    ON CONFLICT (platform, campaign_id, adset_id, date) DO UPDATE
      SET spend_cents = excluded.spend_cents, clicks = excluded.clicks, impressions = excluded.impressions, conv = excluded.conv
      WHERE (t.spend_cents, t.clicks, t.impressions, t.conv) IS DISTINCT FROM (excluded.spend_cents, excluded.clicks, excluded.impressions, excluded.conv)
    RETURNING t.xmax = 0 AS is_new
  )
  SELECT (count(*) FILTER (WHERE is_new))::integer, (count(*) FILTER (WHERE NOT is_new))::integer FROM written;
END $$;
"""

# A whole number from 0 to 2^53 (what every JSON parser reads exactly), or what is wrong with it.
COUNT_PROBLEM = r"""
CREATE FUNCTION public.growth_count_problem(_row jsonb, _key text, _required boolean) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$
  SELECT CASE WHEN NOT _row ? _key THEN CASE WHEN _required THEN 'required' END
              WHEN jsonb_typeof(_row->_key) <> 'number' THEN 'must be a whole number from 0 to 2^53'
              WHEN (_row->>_key)::numeric <> trunc((_row->>_key)::numeric)
                   OR (_row->>_key)::numeric NOT BETWEEN 0 AND 9007199254740992
                THEN 'must be a whole number from 0 to 2^53' END
$$;
"""

# Metrics of UTC days, rebuilt from the events and spend of those days (docs/growth.md, "Metrics").
RECOMPUTE = r"""
CREATE FUNCTION public.recompute_metrics_daily(_start date, _end date)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_from timestamptz;
  v_to timestamptz;
  v_changed integer;
BEGIN
  IF _start IS NULL OR _end IS NULL THEN
    RAISE EXCEPTION 'recompute_metrics_daily: _start and _end are required' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF _end < _start THEN
    RAISE EXCEPTION 'recompute_metrics_daily: _end (%) is before _start (%)', _end, _start USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF _end - _start >= 366 THEN
    RAISE EXCEPTION 'recompute_metrics_daily: at most 366 days a call (% asked)', _end - _start + 1
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Split the range into years.';
  END IF;
  v_from := _start::timestamp AT TIME ZONE 'UTC';
  v_to := (_end + 1)::timestamp AT TIME ZONE 'UTC';
  WITH ev AS (
    SELECT (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE e.event_name = 'session_start') AS sessions,
           count(*) FILTER (WHERE e.event_name = 'add_to_cart') AS add_to_carts,
           count(*) FILTER (WHERE e.event_name = 'order_completed') AS orders,
           count(*) FILTER (WHERE e.event_name = 'page_view') AS traffic,
           coalesce(sum(e.revenue_cents), 0) AS revenue_cents,
           coalesce(sum(e.cost_cents), 0) AS cost_cents,
           coalesce(sum(e.refund_cents), 0) AS refunds_cents
    FROM public.analytics_events e
    WHERE e.occurred_at >= v_from AND e.occurred_at < v_to
      AND e.event_name IN ('session_start', 'add_to_cart', 'order_completed', 'page_view', 'refund')
    GROUP BY 1
  ), first_orders AS (
    SELECT (o.occurred_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT o.user_id) AS new_customers
    FROM public.analytics_events o
    WHERE o.event_name = 'order_completed' AND o.occurred_at >= v_from AND o.occurred_at < v_to
      AND NOT EXISTS (SELECT 1 FROM public.analytics_events p
                      WHERE p.event_name = 'order_completed' AND p.user_id = o.user_id AND p.occurred_at < o.occurred_at)
    GROUP BY 1
  ), sp AS (
    SELECT s.date AS day, sum(s.spend_cents) AS spend_cents FROM public.spend s WHERE s.date BETWEEN _start AND _end GROUP BY 1
  ), computed AS (
    SELECT d.day::date AS day,
           coalesce(ev.sessions, 0) AS sessions, coalesce(ev.add_to_carts, 0) AS add_to_carts,
           coalesce(ev.orders, 0) AS orders, coalesce(ev.revenue_cents, 0) AS revenue_cents,
           coalesce(ev.refunds_cents, 0) AS refunds_cents,
           CASE WHEN ev.orders > 0 THEN round(ev.revenue_cents::numeric / ev.orders)::bigint END AS aov_cents,
           CASE WHEN fo.new_customers > 0 THEN round(coalesce(sp.spend_cents, 0)::numeric / fo.new_customers)::bigint END AS cac_cents,
           CASE WHEN ev.sessions > 0 THEN round(ev.orders::numeric / ev.sessions, 6) END AS conversion_rate,
           coalesce(ev.revenue_cents - ev.refunds_cents - ev.cost_cents, 0) AS gross_margin_cents,
           coalesce(ev.traffic, 0) AS traffic,
           coalesce(sp.spend_cents, 0) AS spend_cents, coalesce(fo.new_customers, 0) AS new_customers
    FROM generate_series(_start::timestamp, _end::timestamp, interval '1 day') AS d(day)
    LEFT JOIN ev ON ev.day = d.day::date
    LEFT JOIN first_orders fo ON fo.day = d.day::date
    LEFT JOIN sp ON sp.day = d.day::date
  )
  INSERT INTO public.metrics_daily AS m (day, sessions, add_to_carts, orders, revenue_cents, refunds_cents, aov_cents,
                                         cac_cents, conversion_rate, gross_margin_cents, traffic, spend_cents, new_customers)
  SELECT * FROM computed
  ON CONFLICT (day) DO UPDATE SET
    sessions = excluded.sessions, add_to_carts = excluded.add_to_carts, orders = excluded.orders,
    revenue_cents = excluded.revenue_cents, refunds_cents = excluded.refunds_cents, aov_cents = excluded.aov_cents,
    cac_cents = excluded.cac_cents, conversion_rate = excluded.conversion_rate,
    gross_margin_cents = excluded.gross_margin_cents, traffic = excluded.traffic,
    spend_cents = excluded.spend_cents, new_customers = excluded.new_customers
  WHERE (m.sessions, m.add_to_carts, m.orders, m.revenue_cents, m.refunds_cents, m.aov_cents, m.cac_cents,
         m.conversion_rate, m.gross_margin_cents, m.traffic, m.spend_cents, m.new_customers)
    IS DISTINCT FROM
        (excluded.sessions, excluded.add_to_carts, excluded.orders, excluded.revenue_cents, excluded.refunds_cents,
         excluded.aov_cents, excluded.cac_cents, excluded.conversion_rate, excluded.gross_margin_cents,
         excluded.traffic, excluded.spend_cents, excluded.new_customers);
  GET DIAGNOSTICS v_changed = ROW_COUNT;
  RETURN v_changed;
END $$;
"""

# An amount in a prop: a JSON number, rounded to whole cents and kept within 0 .. 10^12 (a prop
# that is missing, text or absurd must not fail a write or the whole day's rebuild).
CENTS = r"""
CREATE FUNCTION public.growth_cents(_value jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
  SELECT CASE WHEN jsonb_typeof(_value) = 'number' THEN least(greatest(round((_value #>> '{}')::numeric), 0), 1000000000000)::bigint END
$$;
"""

SIGNATURES = {
    "public.upsert_events(jsonb)": "authenticated, service_role",
    "public.upsert_spend(jsonb)": "service_role",
    "public.recompute_metrics_daily(date, date)": "service_role",
}
HELPERS = ["public.growth_count_problem(jsonb, text, boolean)", "public.growth_cents(jsonb)"]
GRANTS = "".join(
    f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC, anon, authenticated; GRANT EXECUTE ON FUNCTION {signature} TO {roles};\n"
    for signature, roles in SIGNATURES.items()
) + "".join(f"REVOKE EXECUTE ON FUNCTION {h} FROM PUBLIC, anon; GRANT EXECUTE ON FUNCTION {h} TO authenticated, service_role;\n" for h in HELPERS)


# The amounts recompute_metrics_daily sums, kept beside the row by PostgreSQL, and one index that
# holds everything it reads of a day's events: a range is an index-only scan (no props read).
ROLLUP_COLUMNS = """
ALTER TABLE public.analytics_events
  ADD COLUMN revenue_cents bigint GENERATED ALWAYS AS
    (CASE WHEN event_name = 'order_completed' THEN public.growth_cents(props->'revenue_cents') END) STORED,
  ADD COLUMN cost_cents bigint GENERATED ALWAYS AS
    (CASE WHEN event_name = 'order_completed' THEN public.growth_cents(props->'cost_cents') END) STORED,
  ADD COLUMN refund_cents bigint GENERATED ALWAYS AS
    (CASE WHEN event_name = 'refund' THEN public.growth_cents(props->'amount_cents') END) STORED;
CREATE INDEX analytics_events_day_rollup ON public.analytics_events (occurred_at, event_name)
  INCLUDE (revenue_cents, cost_cents, refund_cents);
"""
DROP_ROLLUP_COLUMNS = """
DROP INDEX IF EXISTS public.analytics_events_day_rollup;
ALTER TABLE public.analytics_events DROP COLUMN IF EXISTS revenue_cents, DROP COLUMN IF EXISTS cost_cents, DROP COLUMN IF EXISTS refund_cents;
"""


class Migration(migrations.Migration):
    dependencies = [("growth", "0001_initial"), ("accounts", "0001_supabase_auth")]

    operations = [
        OwnerOnlyRLS("analytics_events", "analytics_events_owner"),
        *[EnableRLS(table) for table in STAFF_ONLY],
        # Supabase's default privileges grant new tables to the API roles: taken back, so these are
        # out of reach twice (no privilege, and RLS with no policy).
        migrations.RunSQL(f"REVOKE ALL ON TABLE {', '.join(STAFF_ONLY)} FROM anon, authenticated", migrations.RunSQL.noop),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunSQL(
            COUNT_PROBLEM + CENTS + ROLLUP_COLUMNS + UPSERT_EVENTS + UPSERT_SPEND + RECOMPUTE + GRANTS,
            DROP_ROLLUP_COLUMNS + "".join(f"DROP FUNCTION {s};\n" for s in [*SIGNATURES, *HELPERS]),
        ),
    ]

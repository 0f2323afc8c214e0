"""The usage summary counted from the raw rows, the way seed 001's `get_partner_usage_summary`
meant it (its text does not compile): the caller's (`auth.uid()`) events and insights per UTC day
over the last `days` days, zero-filled, oldest first.

The app never runs it — the API and the database function read the `partner_usage_daily` rollup —
it is what the tests and `bench/usage` hold the rollup to, and the cost the rollup avoids.
Run it as the owner (role and claims set, `core.rls.end_user`) with `{"days": n}`."""

RAW_USAGE_SUMMARY = """
WITH days AS (
  SELECT (now() AT TIME ZONE 'UTC')::date - i AS day FROM generate_series(0, %(days)s - 1) AS i
), since AS (
  SELECT min(day)::timestamp AT TIME ZONE 'UTC' AS t FROM days
), mine AS (
  SELECT id FROM partners WHERE user_id = auth.uid()
), events AS (
  SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
  FROM ingestion_events WHERE partner_id IN (SELECT id FROM mine) AND created_at >= (SELECT t FROM since)
  GROUP BY 1
), insights AS (
  SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
  FROM insights WHERE partner_id IN (SELECT id FROM mine) AND created_at >= (SELECT t FROM since)
  GROUP BY 1
)
SELECT d.day, coalesce(e.n, 0), coalesce(i.n, 0)
FROM days d LEFT JOIN events e USING (day) LEFT JOIN insights i USING (day)
ORDER BY d.day"""

"""File-activity patterns and relationships, computed from the user's file events by the workers
(privacy.tasks). Each run rebuilds the user's rows from the events still kept, so a run repeated,
retried or cut short leaves the same result: idempotent by construction.

- patterns: per file extension, how many events, when last, by which tools;
- relationships (`co_edited`): two files touched within WINDOW of each other; each such pair of
  events adds exp(-ln 2 · age / HALF_LIFE) to the weight, so old co-edits fade and recent ones count.
"""

from datetime import timedelta

from django.db import connection

WINDOW = timedelta(minutes=10)
HALF_LIFE = timedelta(days=7)

EXTENSION = r"""coalesce(lower(substring(e.file_path FROM '\.([A-Za-z0-9]{1,16})$')), '')"""

PATTERNS_SQL = f"""
    WITH fresh AS (
      SELECT {EXTENSION} AS file_extension, count(*) AS count, max(e."timestamp") AS last_used,
             jsonb_agg(DISTINCT e.tool ORDER BY e.tool) FILTER (WHERE e.tool <> '') AS tools
      FROM file_events e WHERE e.user_id = %(user)s GROUP BY 1
    ), kept AS (
      INSERT INTO patterns (user_id, file_extension, count, last_used, tools)
      SELECT %(user)s, f.file_extension, f.count, f.last_used, coalesce(f.tools, '[]') FROM fresh f
      ON CONFLICT (user_id, file_extension) DO UPDATE
        SET count = excluded.count, last_used = excluded.last_used, tools = excluded.tools
        WHERE (patterns.count, patterns.last_used, patterns.tools) IS DISTINCT FROM (excluded.count, excluded.last_used, excluded.tools)
      RETURNING file_extension
    )
    DELETE FROM patterns p WHERE p.user_id = %(user)s
      AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.file_extension = p.file_extension)"""

RELATIONSHIPS_SQL = """
    WITH e AS (
      SELECT file_path, "timestamp" FROM file_events WHERE user_id = %(user)s
    ), pairs AS (
      SELECT a.file_path AS source_file, b.file_path AS target_file, greatest(a."timestamp", b."timestamp") AS seen
      FROM e a JOIN e b ON a.file_path < b.file_path
        AND b."timestamp" BETWEEN a."timestamp" - %(window)s AND a."timestamp" + %(window)s
    ), fresh AS (
      SELECT source_file, target_file, max(seen) AS last_seen,
             sum(exp(-ln(2) * greatest(extract(epoch FROM statement_timestamp() - seen), 0) / %(half_life)s)) AS weight
      FROM pairs GROUP BY source_file, target_file
    ), kept AS (
      INSERT INTO relationships (user_id, source_file, target_file, relation_type, weight, last_seen)
      SELECT %(user)s, f.source_file, f.target_file, 'co_edited', f.weight, f.last_seen FROM fresh f
      ON CONFLICT (user_id, source_file, target_file, relation_type) DO UPDATE
        SET weight = excluded.weight, last_seen = excluded.last_seen
      RETURNING source_file
    )
    DELETE FROM relationships r WHERE r.user_id = %(user)s AND r.relation_type = 'co_edited'
      AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.source_file = r.source_file AND f.target_file = r.target_file)"""


def rebuild(user_id) -> None:
    """Patterns and relationships of one user from their file events, in the current transaction."""
    params = {"user": user_id, "window": WINDOW, "half_life": HALF_LIFE.total_seconds()}
    with connection.cursor() as cursor:
        cursor.execute(PATTERNS_SQL, params)
        cursor.execute(RELATIONSHIPS_SQL, params)

"""Demo data of the Growth dashboard (`manage.py load_demo`, `core.demo`): 90 days of shoppers and
their events, and ad spend, so metrics, spend, cohorts and first touches have something to show.

Everything is a deterministic function of the calendar day and made by set-based statements (no row
built in Python): each day brings its own shoppers (`auth.users` rows with no password, which cannot
sign in, under `@shoppers.demo.invalid`), who visit again with a decaying chance; a visit is a
session, page views, sometimes a cart, an order, rarely a refund; the first visit and some later
ones carry UTM parameters. Event ids derive from shopper, day and place in the visit, so a second run
writes nothing twice; shoppers who joined before the window are deleted (their events, touches and
cohort go with them), spend before it too. Then the periodic job's work runs once, so metrics_daily,
utm_tracks and cohorts are filled without waiting for a worker.
"""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from accounts.services import INSTANCE_ID
from core import demo
from growth import services
from growth.models import AnalyticsEvent, MetricsDaily, Spend

DAYS = 90
SHOPPER_DOMAIN = "shoppers.demo.invalid"
DEMO_CAMPAIGN = "demo-"  # prefix of the demo's campaign ids

# A uniform number in [0, 1) from a text seed.
RAND = "(('x' || substr(md5({seed}), 1, 8))::bit(32)::bigint / 4294967296.0)"


def rand(seed: str) -> str:
    return RAND.format(seed=seed)


SHOPPERS = f"""
WITH days AS (
  SELECT d::date AS day FROM generate_series(%(first)s::date, %(today)s::date, interval '1 day') d
), shoppers AS (
  SELECT md5('growth-demo-shopper/' || day || '/' || k)::uuid AS id, day, k
  FROM days, generate_series(1, 8 + (extract(isodow FROM day)::int %% 6) + floor(8 * {rand("'n/' || day")})::int) k
)
INSERT INTO auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        is_sso_user, is_anonymous, confirmation_token, recovery_token, email_change_token_new, email_change)
SELECT id, %(instance)s, 'authenticated', 'authenticated', 'shopper-' || to_char(day, 'YYYYMMDD') || '-' || k || '@{SHOPPER_DOMAIN}',
       '{{"provider": "demo", "providers": []}}'::jsonb, '{{}}'::jsonb,
       day::timestamp AT TIME ZONE 'UTC', day::timestamp AT TIME ZONE 'UTC', false, false, '', '', '', ''
FROM shoppers
ON CONFLICT (id) DO NOTHING
"""

# Each shopper's visits: the day they joined, then each later day with a chance that fades over a
# month (weekends a little busier); the demo user visits like a shopper who joined 60 days ago.
EVENTS = f"""
WITH shoppers AS (
  SELECT u.id AS user_id, (u.created_at AT TIME ZONE 'UTC')::date AS joined FROM auth.users u
  WHERE u.email LIKE '%%@{SHOPPER_DOMAIN}' AND u.created_at >= %(first)s::timestamp AT TIME ZONE 'UTC'
  UNION ALL SELECT %(demo_user)s::uuid, %(today)s::date - 60
), visits AS (
  SELECT s.user_id, s.joined, d::date AS day, {rand("s.user_id::text || '/' || d::date")} AS r
  FROM shoppers s, generate_series(s.joined, %(today)s::date, interval '1 day') d
  WHERE d::date = s.joined
     OR {rand("'visit/' || s.user_id || '/' || d::date")} < 0.22 * exp(-(d::date - s.joined) / 30.0) + 0.025
                                                            + CASE WHEN extract(isodow FROM d) >= 6 THEN 0.02 ELSE 0 END
), touched AS (
  SELECT v.*, (ARRAY['google', 'facebook', 'newsletter', 'tiktok', 'bing', 'partner-blog'])[1 + floor(6 * {rand("'src/' || v.user_id")})::int] AS source,
         v.day = v.joined OR v.r < 0.15 AS has_utm,
         v.day::timestamp AT TIME ZONE 'UTC' + make_interval(hours => 7 + floor(v.r * 15)::int, mins => floor(v.r * 997)::int %% 60) AS at
  FROM visits v
)
INSERT INTO analytics_events (user_id, event_id, occurred_at, event_name, props)
SELECT t.user_id, md5(t.user_id || '/' || t.day || '/' || e.seq)::uuid, t.at + make_interval(mins => e.seq * 2), e.name, e.props
FROM touched t CROSS JOIN LATERAL (VALUES
  (0, 'session_start', CASE WHEN t.has_utm THEN jsonb_build_object(
        'utm_source', CASE WHEN t.day = t.joined THEN t.source ELSE 'newsletter' END,
        'utm_medium', CASE WHEN t.day <> t.joined THEN 'email' WHEN t.source IN ('google', 'bing') THEN 'cpc'
                           WHEN t.source IN ('facebook', 'tiktok') THEN 'paid_social' WHEN t.source = 'newsletter' THEN 'email' ELSE 'referral' END,
        'utm_campaign', CASE WHEN t.day = t.joined THEN 'spring-launch' ELSE 'weekly-digest' END) ELSE '{{}}'::jsonb END, true),
  (1, 'page_view', '{{"path": "/"}}'::jsonb, true),
  (2, 'page_view', '{{"path": "/products"}}'::jsonb, t.r >= 0.3),
  (3, 'page_view', '{{"path": "/products/analytics-suite"}}'::jsonb, t.r >= 0.55),
  (4, 'add_to_cart', jsonb_build_object('sku', 'PLAN-' || (ARRAY['STARTER', 'TEAM', 'ENTERPRISE'])[1 + floor(t.r * 1000)::int %% 3]), t.r >= 0.62),
  (5, 'order_completed', jsonb_build_object('revenue_cents', 1900 + (floor(t.r * 100000)::int %% 140) * 100,
                                            'cost_cents', 600 + (floor(t.r * 100000)::int %% 140) * 45), t.r >= 0.80),
  (6, 'refund', jsonb_build_object('amount_cents', 1900 + (floor(t.r * 100000)::int %% 140) * 100), t.r >= 0.992)
) AS e(seq, name, props, happens)
WHERE e.happens AND t.at + make_interval(mins => e.seq * 2) <= %(now)s
ON CONFLICT (user_id, event_id) DO NOTHING
"""

SPEND = f"""
INSERT INTO spend (platform, campaign_id, adset_id, date, spend_cents, clicks, impressions, conv)
SELECT p.platform, '{DEMO_CAMPAIGN}' || p.platform || '-' || c.campaign, 'adset-' || a.adset, d::date,
       round(p.daily * (0.8 + 0.4 * x.r) * CASE WHEN extract(isodow FROM d) >= 6 THEN 0.7 ELSE 1 END)::bigint,
       round(p.daily * (0.8 + 0.4 * x.r) / p.cpc)::bigint,
       round(p.daily * (0.8 + 0.4 * x.r) / p.cpc * 45)::bigint,
       round(p.daily * (0.8 + 0.4 * x.r) / p.cpc * 0.04)::bigint
FROM generate_series(%(first)s::date, %(today)s::date, interval '1 day') d,
     (VALUES ('google', 9000, 120), ('facebook', 6500, 80), ('tiktok', 3000, 45), ('bing', 1500, 110)) AS p(platform, daily, cpc),
     (VALUES ('prospecting'), ('retargeting')) AS c(campaign),
     (VALUES (1), (2)) AS a(adset),
     LATERAL (SELECT {rand("p.platform || c.campaign || a.adset || d::date")} AS r) x
ON CONFLICT (platform, campaign_id, adset_id, date) DO NOTHING
"""


@demo.provider("the Growth dashboard")
def load(user, say):
    now = timezone.now()
    today = now.date()
    first = today - timedelta(days=DAYS - 1)
    params = {"first": first, "today": today, "now": now, "instance": INSTANCE_ID, "demo_user": user.pk}
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM auth.users WHERE email LIKE '%%@{SHOPPER_DOMAIN}' AND created_at < %(first)s::timestamp AT TIME ZONE 'UTC'", params)
        cursor.execute("DELETE FROM analytics_events WHERE user_id = %(demo_user)s AND occurred_at < %(first)s::timestamp AT TIME ZONE 'UTC'", params)
        cursor.execute(f"DELETE FROM spend WHERE campaign_id LIKE '{DEMO_CAMPAIGN}%%' AND date < %(first)s", params)
        cursor.execute(SHOPPERS, params)
        cursor.execute(EVENTS, params)
        events = cursor.rowcount
        cursor.execute(SPEND, params)
    done = services.refresh_pending()
    total = AnalyticsEvent.objects.filter(occurred_at__date__gte=first).count()
    say(f"Growth: {total} events over the last {DAYS} days ({events} new), "
        f"{Spend.objects.filter(date__gte=first).count()} spend rows, {MetricsDaily.objects.filter(day__gte=first).count()} days of metrics "
        f"({done['days_changed']} rebuilt).")

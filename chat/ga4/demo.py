"""The built-in demo GA4 property: the synthetic traffic of a small software shop, answered in the
GA4 Data API's runReport shape with no network (`chat.ga4.reports.source_for` picks it for a
credential flagged `is_demo`, which only `manage.py load_demo` makes).

The numbers are a pure function of the property id and the day, so the same request always gets the
same answer:

- Each day has totals of ten counts — sessions, active, new and total users, views, engaged
  sessions, seconds of engagement, conversions, revenue (in cents) and events — from a base volume
  shaped by a weekly rhythm (busy Tuesdays, quiet Sundays), a steady upward trend, a yearly season
  and a few percent of noise, each count with its own per-session ratio.
- A breakdown (device category, country, city, page, source, channel, browser) splits each day's
  totals over the dimension's values: every value has a share of the sessions (mobile gains at the
  weekend) and its own leaning per count (desktop converts better, `/checkout/complete` holds the
  conversions), and the split is made in whole units, so the rows of a breakdown add up to the
  day's totals exactly. Rates and averages (engagement rate, bounce rate, average session duration)
  are computed from the summed counts, as GA4 does.
- Users are counted per day and summed over a period (GA4 counts distinct users); every day has
  traffic, future days included.

"Noise" is a hash (BLAKE2b) of the property, the day and what it is for: stable across processes.
"""

import functools
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from chat.ga4.reports import ReportError, ReportSource

PROPERTY_ID = "0"  # not a property id Google hands out (theirs are positive)
PROPERTY_NAME = "Demo Store (synthetic data)"
CITATION = "Built-in demo property: synthetic, deterministic traffic (chat/ga4/demo.py); not Google Analytics data"
CURRENCY = "EUR"

# --- the daily totals ---------------------------------------------------------------------------------

COUNTS = ("sessions", "activeUsers", "newUsers", "totalUsers", "screenPageViews", "engagedSessions",
          "engagementSeconds", "conversions", "revenueCents", "eventCount")
BASE_SESSIONS = 1450  # on an average weekday at the start of the trend
WEEKDAY = (1.08, 1.14, 1.12, 1.07, 0.97, 0.68, 0.62)  # Monday first
TREND_START, TREND_PER_YEAR = date(2025, 1, 1), 0.22  # linear growth
SEASON = 0.08  # ± share of the yearly wave, highest in late November
# Per session (active users, new users per active user, ...), and how much each varies day to day.
RATIOS = {
    "activeUsers": (0.81, 0.03), "newUsers": (0.37, 0.06), "totalUsers": (1.03, 0.0), "screenPageViews": (3.3, 0.05),
    "engagedSessions": (0.63, 0.04), "engagementSeconds": (168.0, 0.06), "conversions": (0.022, 0.12),
    "revenueCents": (5800.0, 0.10), "eventCount": (11.6, 0.04),
}
WEEKDAY_CONVERSION = (1.1, 1.12, 1.08, 1.05, 0.95, 0.8, 0.78)  # weekday visitors buy more

# --- the breakdowns -----------------------------------------------------------------------------------

# Each value's share of the sessions (relative weights).
VALUES = {
    "deviceCategory": {"desktop": 56, "mobile": 39, "tablet": 5},
    "country": {"United States": 29, "United Kingdom": 12, "Germany": 10, "France": 7, "Canada": 6, "India": 6,
                "Netherlands": 5, "Australia": 4, "Spain": 4, "Brazil": 3, "Japan": 3, "Sweden": 3, "Italy": 3,
                "Poland": 2, "Ireland": 2, "(not set)": 1},
    "city": {"London": 8, "New York": 7, "Berlin": 5, "San Francisco": 4, "Paris": 4, "Los Angeles": 3, "Toronto": 3,
             "Chicago": 3, "Amsterdam": 3, "Bengaluru": 3, "Sydney": 2, "Madrid": 2, "Munich": 2, "Manchester": 2,
             "São Paulo": 2, "Tokyo": 2, "Dublin": 1, "Stockholm": 1, "(not set)": 8},
    "pagePath": {"/": 22, "/pricing": 12, "/products": 10, "/products/analytics-suite": 8, "/blog/ga4-migration-guide": 7,
                 "/products/data-connectors": 6, "/blog": 6, "/docs": 5, "/login": 5, "/docs/getting-started": 4,
                 "/signup": 4, "/blog/dashboard-tips": 4, "/integrations": 3, "/checkout": 2, "/about": 1.5,
                 "/checkout/complete": 1, "/contact": 1, "/careers": 0.8},
    "sessionSource": {"google": 44, "(direct)": 27, "newsletter": 6, "bing": 5, "linkedin.com": 4, "github.com": 3,
                      "t.co": 2, "duckduckgo": 2, "facebook.com": 2, "chatgpt.com": 2, "producthunt.com": 1, "(not set)": 2},
    "sessionDefaultChannelGroup": {"Organic Search": 50, "Direct": 27, "Referral": 8, "Email": 6, "Organic Social": 6,
                                   "Paid Search": 2, "Unassigned": 1},
    "browser": {"Chrome": 61, "Safari": 21, "Edge": 8, "Firefox": 6, "Samsung Internet": 3, "Opera": 1},
}
WEEKEND_SHIFT = {("deviceCategory", "mobile"): 1.4, ("deviceCategory", "tablet"): 1.2}
# How strongly a value leans to a count, against its share of the sessions (1 = no lean). Values not
# listed lean by a stable factor between 0.8 and 1.2 of their own.
LEANS = {
    ("deviceCategory", "desktop"): {"conversions": 1.25, "revenueCents": 1.3, "engagementSeconds": 1.15, "screenPageViews": 1.15},
    ("deviceCategory", "mobile"): {"conversions": 0.7, "revenueCents": 0.65, "engagementSeconds": 0.8, "engagedSessions": 0.9},
    ("pagePath", "/checkout/complete"): {"conversions": 14.0, "revenueCents": 14.0},
    ("pagePath", "/checkout"): {"conversions": 5.0, "revenueCents": 5.0},
    ("pagePath", "/pricing"): {"conversions": 1.8, "revenueCents": 1.8},
    ("pagePath", "/login"): {"newUsers": 0.2},
    ("sessionSource", "newsletter"): {"conversions": 1.9, "revenueCents": 1.8, "newUsers": 0.3},
    ("sessionDefaultChannelGroup", "Email"): {"conversions": 1.9, "revenueCents": 1.8, "newUsers": 0.3},
    ("sessionDefaultChannelGroup", "Direct"): {"newUsers": 0.6},
}

# --- metrics: GA4's name -> (type, how it is computed from the summed counts) ----------------------------


def _ratio(numerator: str, denominator: str = "sessions"):
    return lambda c: c[numerator] / c[denominator] if c[denominator] else 0.0


METRICS = {
    "sessions": ("TYPE_INTEGER", lambda c: c["sessions"]),
    "activeUsers": ("TYPE_INTEGER", lambda c: c["activeUsers"]),
    "newUsers": ("TYPE_INTEGER", lambda c: c["newUsers"]),
    "totalUsers": ("TYPE_INTEGER", lambda c: c["totalUsers"]),
    "screenPageViews": ("TYPE_INTEGER", lambda c: c["screenPageViews"]),
    "engagedSessions": ("TYPE_INTEGER", lambda c: c["engagedSessions"]),
    "conversions": ("TYPE_INTEGER", lambda c: c["conversions"]),
    "keyEvents": ("TYPE_INTEGER", lambda c: c["conversions"]),
    "eventCount": ("TYPE_INTEGER", lambda c: c["eventCount"]),
    "totalRevenue": ("TYPE_CURRENCY", lambda c: c["revenueCents"] / 100),
    "engagementRate": ("TYPE_FLOAT", _ratio("engagedSessions")),
    "bounceRate": ("TYPE_FLOAT", lambda c: 1 - c["engagedSessions"] / c["sessions"] if c["sessions"] else 0.0),
    "averageSessionDuration": ("TYPE_SECONDS", _ratio("engagementSeconds")),
    "screenPageViewsPerSession": ("TYPE_FLOAT", _ratio("screenPageViews")),
}
DIMENSIONS = {*VALUES, "date"}
MAX_DATE_RANGES = 4
RELATIVE_DAYS = re.compile(r"^([0-9]+)daysAgo$")


def _unit(*parts) -> float:
    """A stable number in [0, 1) for these parts."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _jitter(spread: float, *parts) -> float:
    return 1 + spread * (2 * _unit(*parts) - 1)


def _allocate(total: int, weights: list[float]) -> list[int]:
    """`total` split in whole units in proportion to `weights` (largest remainders; ties to the first)."""
    scale = sum(weights)
    if total <= 0 or scale <= 0:
        return [0] * len(weights)
    shares = [total * w / scale for w in weights]
    counts = [math.floor(s) for s in shares]
    for index in sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))[: total - sum(counts)]:
        counts[index] += 1
    return counts


@functools.lru_cache(maxsize=4096)
def day_totals(property_id: str, day: date) -> dict:
    """The ten counts of one day."""
    trend = 1 + TREND_PER_YEAR * (day - TREND_START).days / 365
    season = 1 + SEASON * math.cos(2 * math.pi * (day.timetuple().tm_yday - 330) / 365)
    sessions = round(BASE_SESSIONS * WEEKDAY[day.weekday()] * trend * season * _jitter(0.08, property_id, day, "sessions"))
    counts = {"sessions": sessions}
    for name, (ratio, spread) in RATIOS.items():
        base = counts["activeUsers"] if name in ("newUsers", "totalUsers") else sessions
        if name == "conversions":
            ratio *= WEEKDAY_CONVERSION[day.weekday()]
        if name == "revenueCents":
            base = counts["conversions"]
        counts[name] = round(base * ratio * _jitter(spread, property_id, day, name))
    counts["engagedSessions"] = min(counts["engagedSessions"], sessions)
    return counts


def _lean(dimension: str, value: str, count: str) -> float:
    if count == "sessions":
        return 1.0
    listed = LEANS.get((dimension, value), {})
    return listed[count] if count in listed else 0.8 + 0.4 * _unit("lean", dimension, value, count)


@functools.lru_cache(maxsize=4096)
def day_breakdown(property_id: str, dimension: str, day: date) -> dict:
    """value -> its counts on `day`; the values' counts add up to `day_totals`."""
    values = list(VALUES[dimension])
    weekend = day.weekday() >= 5
    shares = [
        VALUES[dimension][value] * (WEEKEND_SHIFT.get((dimension, value), 1.0) if weekend else 1.0)
        * _jitter(0.15, property_id, day, dimension, value)
        for value in values
    ]
    totals = day_totals(property_id, day)
    split = {count: _allocate(totals[count], [s * _lean(dimension, v, count) for s, v in zip(shares, values)]) for count in COUNTS}
    rows = {value: {count: split[count][i] for count in COUNTS} for i, value in enumerate(values)}
    for counts in rows.values():
        counts["engagedSessions"] = min(counts["engagedSessions"], counts["sessions"])
    return rows


# --- runReport -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    name: str
    start: date
    end: date

    def days(self):
        return (self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1))


class DemoProperty(ReportSource):
    """Answers runReport bodies from the synthetic traffic; `today` resolves "today", "yesterday"
    and "NdaysAgo" (default: the current UTC date)."""

    def __init__(self, property_id: str = PROPERTY_ID, today: date | None = None):
        self.property_id, self.today = property_id, today

    def run_report(self, body: dict) -> dict:
        ranges = self._date_ranges(body.get("dateRanges"))
        dimension = self._dimension(body.get("dimensions") or [])
        metrics = self._metrics(body.get("metrics"))
        rows, totals = [], []
        for range_ in ranges:
            found = self._aggregate(range_, dimension)
            for key, counts in found.items():
                values = [METRICS[m][1](counts) for m in metrics]
                if any(values):  # GA4 leaves out rows without any value
                    dims = ([key] if dimension else []) + ([range_.name] if len(ranges) > 1 else [])
                    rows.append((dims, values))
            totals.append((range_.name, _sum(found.values())))
        self._order(rows, body.get("orderBys") or [], dimension, metrics)
        offset, limit = int(body.get("offset") or 0), int(body.get("limit") or 10_000)
        page = rows[offset: offset + limit]
        answer = {
            "dimensionHeaders": [{"name": name} for name in ([dimension] if dimension else []) + (["dateRange"] if len(ranges) > 1 else [])],
            "metricHeaders": [{"name": m, "type": METRICS[m][0]} for m in metrics],
            "rows": [{"dimensionValues": [{"value": v} for v in dims], "metricValues": [{"value": _text(v)} for v in values]}
                     for dims, values in page],
            "rowCount": len(rows),
            "metadata": {"currencyCode": CURRENCY, "timeZone": "Etc/UTC"},
            "kind": "analyticsData#runReport",
        }
        aggregations = body.get("metricAggregations") or []
        if "TOTAL" in aggregations:
            answer["totals"] = [self._aggregate_row(name, len(ranges), dimension, [METRICS[m][1](c) for m in metrics])
                                for name, c in totals]
        for aggregation, key, pick in (("MAXIMUM", "maximums", max), ("MINIMUM", "minimums", min)):
            if aggregation in aggregations:
                answer[key] = [self._aggregate_row(name, len(ranges), dimension, [
                    pick((values[i] for dims, values in rows if len(ranges) == 1 or dims[-1] == name), default=0)
                    for i in range(len(metrics))]) for name, _ in totals]
        return answer

    # --- the request ------------------------------------------------------------------------------

    def _date_ranges(self, raw) -> list[DateRange]:
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_DATE_RANGES:
            raise ReportError(f"The demo property runs a report over 1 to {MAX_DATE_RANGES} date ranges.")
        ranges = []
        for index, item in enumerate(raw):
            start, end = self._date(item.get("startDate")), self._date(item.get("endDate"))
            if start > end:
                raise ReportError(f"A date range starts after it ends ({start} > {end}).")
            ranges.append(DateRange(str(item.get("name") or f"date_range_{index}"), start, end))
        return ranges

    def _date(self, value) -> date:
        today = self.today or timezone.now().date()
        if value == "today":
            return today
        if value == "yesterday":
            return today - timedelta(days=1)
        match = RELATIVE_DAYS.match(str(value))
        if match:
            return today - timedelta(days=int(match.group(1)))
        try:
            return datetime.strptime(str(value), "%Y-%m-%d").date()
        except ValueError:
            raise ReportError(f"Not a date: {value!r} (YYYY-MM-DD, today, yesterday or NdaysAgo).") from None

    @staticmethod
    def _dimension(raw: list) -> str | None:
        names = [d.get("name") for d in raw]
        if len(names) > 1:
            raise ReportError("The demo property breaks a report down by one dimension at a time.")
        if names and names[0] not in DIMENSIONS:
            raise ReportError(f"The demo property has no dimension {names[0]!r}; it has {', '.join(sorted(DIMENSIONS))}.")
        return names[0] if names else None

    @staticmethod
    def _metrics(raw) -> list[str]:
        names = [m.get("name") for m in raw or []]
        if not names:
            raise ReportError("A report asks for at least one metric.")
        unknown = [name for name in names if name not in METRICS]
        if unknown:
            raise ReportError(f"The demo property has no metric {unknown[0]!r}; it has {', '.join(sorted(METRICS))}.")
        return names

    # --- the numbers ------------------------------------------------------------------------------

    def _aggregate(self, range_: DateRange, dimension: str | None) -> dict:
        """Dimension value ("" without one) -> counts summed over the range's days."""
        found: dict[str, dict] = {}
        for day in range_.days():
            if dimension is None:
                parts = {"": day_totals(self.property_id, day)}
            elif dimension == "date":
                parts = {day.strftime("%Y%m%d"): day_totals(self.property_id, day)}
            else:
                parts = day_breakdown(self.property_id, dimension, day)
            for key, counts in parts.items():
                found[key] = _sum([found[key], counts]) if key in found else dict(counts)
        return found

    @staticmethod
    def _order(rows: list, order_bys: list, dimension: str | None, metrics: list[str]) -> None:
        """Sort in place by the request's orderBys (the last is applied first; stable)."""
        for order in reversed(order_bys):
            descending = bool(order.get("desc"))
            if "metric" in order and order["metric"].get("metricName") in metrics:
                index = metrics.index(order["metric"]["metricName"])
                rows.sort(key=lambda row: row[1][index], reverse=descending)
            elif "dimension" in order and dimension and order["dimension"].get("dimensionName") == dimension:
                rows.sort(key=lambda row: row[0][0], reverse=descending)

    @staticmethod
    def _aggregate_row(range_name: str, range_count: int, dimension: str | None, values: list) -> dict:
        dims = (["RESERVED_TOTAL"] if dimension else []) + ([range_name] if range_count > 1 else [])
        return {"dimensionValues": [{"value": v} for v in dims], "metricValues": [{"value": _text(v)} for v in values]}


def _sum(parts) -> dict:
    total = dict.fromkeys(COUNTS, 0)
    for counts in parts:
        for name in COUNTS:
            total[name] += counts[name]
    return total


def _text(value) -> str:
    """A metric value as GA4 writes it: integers plain, the rest with up to 10 decimals."""
    if isinstance(value, int):
        return str(value)
    return f"{value:.10f}".rstrip("0").rstrip(".") or "0"

"""The questions the GA4 responder understands: a small grammar of metrics, one dimension and a
date range, read from plain English ("sessions by device category last 7 days", "top pages this
month", "revenue per day last week").

- **Metrics** (`METRICS`): sessions, active users, new users, total users, views (page views),
  conversions (key events), revenue, engagement rate, engaged sessions, average session duration,
  bounce rate, events. Several may be named. None named: the persona's defaults (`PERSONA_METRICS`),
  or views for "top pages".
- **Dimension** (`DIMENSIONS`, at most one, the first named): device category, country, city, page,
  source, channel, browser, and date ("per day", "daily", "over time", "trend").
- **Date range**: today, yesterday, last/past N days (1–365), last N weeks, this/last week (weeks
  start on Monday), this/last month; default the last 7 days. "Last N days" ends yesterday, as in
  GA4. Days are UTC days.
- **Limit**: "top N" (1–100); 10 rows for a breakdown by default.
- "share", "split" or "pie" asks for a pie chart of a breakdown.

`parse()` returns a `Plan`: what to report (metrics, dimension, limit, chart wish), the period and its
previous period (same length, just before; the previous calendar month for "last month"). The plan
is data only: `report.py` turns it into a runReport request, `answer.py` puts it into words.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_DAYS = 365
MAX_LIMIT = 100
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class Metric:
    name: str  # the GA4 API name
    label: str
    unit: str  # chat.content.METRIC_UNITS
    summable: bool  # a period's total is the sum of its rows (counts, money), not a rate or an average
    phrases: tuple


@dataclass(frozen=True)
class Dimension:
    name: str
    label: str
    phrases: tuple


METRICS = {
    m.name: m
    for m in [
        Metric("sessions", "Sessions", "count", True, ("sessions", "session", "visits")),
        Metric("activeUsers", "Active users", "count", True, ("active users", "users", "visitors")),
        Metric("newUsers", "New users", "count", True, ("new users", "new visitors")),
        Metric("totalUsers", "Total users", "count", True, ("total users",)),
        Metric("screenPageViews", "Views", "count", True, ("page views", "pageviews", "screen views", "screen page views", "views")),
        Metric("conversions", "Conversions", "count", True, ("conversions", "conversion", "key events")),
        Metric("totalRevenue", "Revenue", "currency", True, ("total revenue", "revenue", "sales")),
        Metric("engagementRate", "Engagement rate", "percent", False, ("engagement rate", "engagement")),
        Metric("engagedSessions", "Engaged sessions", "count", True, ("engaged sessions",)),
        Metric("averageSessionDuration", "Average session duration", "seconds", False,
               ("average session duration", "avg session duration", "session duration", "time on site")),
        Metric("bounceRate", "Bounce rate", "percent", False, ("bounce rate", "bounces")),
        Metric("eventCount", "Events", "count", True, ("event count", "events")),
    ]
}
DIMENSIONS = {
    d.name: d
    for d in [
        Dimension("deviceCategory", "Device category", ("device categories", "device category", "devices", "device")),
        Dimension("country", "Country", ("countries", "country")),
        Dimension("city", "City", ("cities", "city")),
        Dimension("pagePath", "Page", ("page paths", "page path", "pages", "page", "urls")),
        Dimension("sessionSource", "Source", ("traffic sources", "traffic source", "sources", "source", "referrers")),
        Dimension("sessionDefaultChannelGroup", "Channel", ("channels", "channel")),
        Dimension("browser", "Browser", ("browsers", "browser")),
        Dimension("date", "Date", ("per day", "by day", "each day", "daily", "by date", "over time", "trend")),
    ]
}
# What each persona cares about when the question names no metric.
PERSONA_METRICS = {
    "po": ["activeUsers", "conversions"],
    "ux": ["engagementRate", "averageSessionDuration"],
    "mgr": ["sessions", "totalRevenue"],
    "general": ["sessions", "activeUsers"],
}
TOP_PAGES_METRIC = "screenPageViews"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def __str__(self):
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


@dataclass(frozen=True)
class Plan:
    metrics: list
    dimension: str | None
    period: Period
    previous: Period
    limit: int
    pie: bool = False
    notes: list = field(default_factory=list)

    @property
    def metric_objects(self) -> list[Metric]:
        return [METRICS[name] for name in self.metrics]


class QuestionNotUnderstood(ValueError):
    """The question asks for something outside the grammar (the message says what is allowed)."""


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30, "ninety": 90}
_N = r"(\d+|" + "|".join(_NUMBER_WORDS) + r")"


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _period(text: str, today: date) -> tuple[Period, Period, str]:
    """The period asked for, its previous period, and the text without the matched words."""
    yesterday = today - timedelta(days=1)
    rules = [
        (rf"\b(?:last|past|previous)\s+{_N}\s+days?\b", lambda n: ("days", n)),
        (rf"\b(?:last|past|previous)\s+{_N}\s+weeks?\b", lambda n: ("days", 7 * n)),
        (r"\blast\s+week\b", lambda n: ("last_week", 0)),
        (r"\bthis\s+week\b", lambda n: ("this_week", 0)),
        (r"\blast\s+month\b", lambda n: ("last_month", 0)),
        (r"\bthis\s+month\b", lambda n: ("this_month", 0)),
        (r"\byesterday\b", lambda n: ("days_back", 1)),
        (r"\btoday\b", lambda n: ("today", 0)),
        (r"\b(?:past|last)\s+week\b", lambda n: ("days", 7)),
    ]
    for pattern, kind in rules:
        match = re.search(pattern, text)
        if not match:
            continue
        rest = text[: match.start()] + " " + text[match.end():]
        what, n = kind(_number(match.group(1)) if match.groups() else 0)
        if what == "days":
            if not 1 <= n <= MAX_DAYS:
                raise QuestionNotUnderstood(f"I can look back between 1 and {MAX_DAYS} days.")
            period = Period(today - timedelta(days=n), yesterday, f"the last {n} days" if n > 1 else "yesterday")
        elif what == "days_back":
            period = Period(yesterday, yesterday, "yesterday")
        elif what == "today":
            period = Period(today, today, "today")
        elif what == "this_week":
            period = Period(today - timedelta(days=today.weekday()), today, "this week")
        elif what == "last_week":
            start = today - timedelta(days=today.weekday() + 7)
            period = Period(start, start + timedelta(days=6), "last week")
        elif what == "this_month":
            period = Period(_month_start(today), today, "this month")
        else:  # last_month: the previous calendar month, compared with the month before it
            end = _month_start(today) - timedelta(days=1)
            period = Period(_month_start(end), end, "last month")
            before_end = period.start - timedelta(days=1)
            return period, Period(_month_start(before_end), before_end, "the month before"), rest
        return period, _previous(period), rest
    period = Period(today - timedelta(days=7), yesterday, "the last 7 days")
    return period, _previous(period), text


def _previous(period: Period) -> Period:
    end = period.start - timedelta(days=1)
    return Period(end - timedelta(days=period.days - 1), end, "the previous period")


def _take(text: str, phrases) -> tuple[int, str] | None:
    """The position of the first of `phrases` (longest first) in `text`, and the text without it."""
    for phrase in sorted(phrases, key=len, reverse=True):
        match = re.search(rf"\b{re.escape(phrase)}\b", text)
        if match:
            return match.start(), text[: match.start()] + " " * len(phrase) + text[match.end():]
    return None


def parse(question: str, *, persona: str = "general", today: date) -> Plan:
    text = " " + re.sub(r"[^a-z0-9]+", " ", question.lower()) + " "
    period, previous, text = _period(text, today)

    limit, notes = DEFAULT_LIMIT, []
    top = re.search(rf"\btop\s+{_N}\b", text)
    if top:
        limit = _number(top.group(1))
        if not 1 <= limit <= MAX_LIMIT:
            raise QuestionNotUnderstood(f"I can list between 1 and {MAX_LIMIT} rows.")
        text = text[: top.start()] + " " + text[top.end():]
    wants_top = bool(top) or bool(re.search(r"\b(top|most|best|biggest|highest)\b", text))

    # Metrics before dimensions, so "page views" is not read as "pages"; the longest phrase first,
    # so "new users" is not read as "users".
    found = {}  # metric name -> first position
    for phrase, name in sorted(((p, m.name) for m in METRICS.values() for p in m.phrases), key=lambda pm: -len(pm[0])):
        while (taken := _take(text, [phrase])) is not None:
            position, text = taken
            found[name] = min(position, found.get(name, position))
    metrics = sorted(found, key=found.get)

    dimensions = []
    for dimension in DIMENSIONS.values():
        taken = _take(text, dimension.phrases)
        if taken is not None:
            position, text = taken
            dimensions.append((position, dimension.name))
    dimensions.sort()
    dimension = dimensions[0][1] if dimensions else None
    if len(dimensions) > 1:
        notes.append(f"I can break a report down by one dimension at a time: I used {DIMENSIONS[dimension].label.lower()}.")

    if not metrics:
        metrics = [TOP_PAGES_METRIC] if dimension == "pagePath" and wants_top else list(PERSONA_METRICS.get(persona, PERSONA_METRICS["general"]))
    if dimension == "date":
        limit = period.days
    pie = dimension not in (None, "date") and bool(re.search(r"\b(share|split|pie)\b", text))
    return Plan(metrics=metrics, dimension=dimension, period=period, previous=previous, limit=limit, pie=pie, notes=notes)

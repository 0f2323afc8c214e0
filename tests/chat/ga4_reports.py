"""GA4-shaped runReport answers with known numbers, for the loopback Data API
(`LoopbackGoogle.report_handler`). The answer follows the requested body as the real API does: one
row per dimension value and date range (the `dateRange` dimension GA4 adds when a request has two
ranges), metric values as strings, and a totals row per range when `metricAggregations` asks."""

from datetime import date, timedelta

# Sessions by device category: 3 400 this period, 3 000 the previous one (+13.3 %).
DEVICES = {
    "current": {"desktop": {"sessions": 2000, "activeUsers": 1500, "conversions": 60},
                "mobile": {"sessions": 1200, "activeUsers": 1000, "conversions": 30},
                "tablet": {"sessions": 200, "activeUsers": 150, "conversions": 10}},
    "previous": {"desktop": {"sessions": 1800, "activeUsers": 1400, "conversions": 80},
                 "mobile": {"sessions": 1000, "activeUsers": 900, "conversions": 20},
                 "tablet": {"sessions": 200, "activeUsers": 160, "conversions": 0}},
}
PAGES = {
    "current": {f"/page-{i:02d}": {"screenPageViews": 1000 - i * 10} for i in range(30)},
    "previous": {f"/page-{i:02d}": {"screenPageViews": 900 - i * 10} for i in range(30)},
}
RATES = {"engagementRate": (0.62, 0.5), "averageSessionDuration": (125.0, 100.0)}


class KnownReports:
    """`handler(property_id, body)` for LoopbackGoogle.report_handler."""

    def __init__(self):
        self.bodies = []

    def __call__(self, property_id, body):
        self.bodies.append(body)
        ranges = {r.get("name", f"date_range_{i}"): (date.fromisoformat(r["startDate"]), date.fromisoformat(r["endDate"]))
                  for i, r in enumerate(body["dateRanges"])}
        dimensions = [d["name"] for d in body.get("dimensions", [])]
        metrics = [m["name"] for m in body["metrics"]]
        rows, totals = [], []
        for name, (start, end) in ranges.items():
            values = self._values(dimensions[0] if dimensions else None, name, start, end, metrics)
            for key, numbers in values.items():
                dims = ([key] if dimensions else []) + [name]
                rows.append({"dimensionValues": [{"value": v} for v in dims],
                             "metricValues": [{"value": _text(numbers[m])} for m in metrics]})
            if "TOTAL" in body.get("metricAggregations", []):
                total = {m: sum(v[m] for v in values.values()) if m not in RATES else RATES[m][name != "current"] for m in metrics}
                totals.append({"dimensionValues": [{"value": "RESERVED_TOTAL"}, {"value": name}],
                               "metricValues": [{"value": _text(total[m])} for m in metrics]})
        if dimensions and dimensions[0] != "date":
            rows.sort(key=lambda row: -float(row["metricValues"][0]["value"]))
        rows = rows[: body.get("limit", 10_000)]
        answer = {
            "dimensionHeaders": [{"name": d} for d in dimensions] + [{"name": "dateRange"}],
            "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in metrics],
            "rows": rows,
            "rowCount": len(rows),
            "metadata": {"currencyCode": "EUR", "timeZone": "Etc/UTC"},
            "kind": "analyticsData#runReport",
        }
        if totals:
            answer["totals"] = totals
        return answer

    def _values(self, dimension, which, start, end, metrics):
        if dimension == "deviceCategory":
            return DEVICES[which]
        if dimension == "pagePath":
            return PAGES[which]
        if dimension == "date":
            # 100 sessions on the first day, 10 more each day after (the previous period: 50 less);
            # the second day of the current period has no row at all (GA4 leaves out empty days).
            days = {}
            for i in range((end - start).days + 1):
                if which == "current" and i == 1:
                    continue
                day = start + timedelta(days=i)
                days[day.strftime("%Y%m%d")] = {m: 100 + 10 * i - (50 if which == "previous" else 0) for m in metrics}
            return days
        if dimension is None:
            return {"": {m: (RATES[m][which != "current"] if m in RATES else sum(v.get(m, 0) for v in DEVICES[which].values())) for m in metrics}}
        return {"(not set)": {m: 1 for m in metrics}}


def _text(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

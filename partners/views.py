"""The partner portal: profile, API key (shown once), 30-day usage, recent requests and insights."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.pages import end_user_required
from partners import insights, services, tasks
from partners.forms import PartnerForm
from partners.models import ApiKey, Insight, Partner, RequestLog

USAGE_DAYS = 30


def _partner(request) -> Partner | None:
    return Partner.objects.for_user(request.end_user).first()


def _portal(request, partner, new_key=None, status=200):
    api_key = ApiKey.objects.for_user(request.end_user).filter(partner=partner).first()
    usage = services.usage(partner, USAGE_DAYS)
    busiest = max(usage, key=lambda row: row["event_count"])
    context = {
        "partner": partner,
        "api_key": api_key,
        "key_status": services.key_status(api_key),
        "new_key": new_key,
        "usage_chart": _usage_chart(usage),
        "usage_first": usage[0]["date"],
        "usage_last": usage[-1]["date"],
        "usage_total": sum(row["event_count"] for row in usage),
        "usage_busiest": busiest if busiest["event_count"] else None,
        "ingest_url": request.build_absolute_uri(reverse("ingest-events")),
        "logs": RequestLog.objects.for_user(request.end_user).filter(partner=partner)[:10],
        "insights": Insight.objects.for_user(request.end_user).filter(partner=partner).select_related("model")[:5],
        "models": sorted(insights.REGISTRY),
        "generation": tasks.status(partner),
    }
    response = render(request, "partners/portal.html", context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


def _usage_chart(usage: list[dict]) -> dict:
    """Events per UTC day as a Vega-Lite bar chart (drawn by static/js/charts.js), insights in the tooltip."""
    day = {"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 180,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": [{"day": row["date"].isoformat(), "events": row["event_count"], "insights": row["insight_count"]} for row in usage]},
        "mark": {"type": "bar", "color": "#0172ad", "tooltip": True},
        "encoding": {
            "x": {**day, "title": None, "axis": {"format": "%b %d", "labelAngle": 0, "tickCount": {"interval": "utcweek"}}},
            "y": {"field": "events", "type": "quantitative", "title": "Events", "axis": {"tickMinStep": 1, "format": "~s"}},
            "tooltip": [
                {**day, "title": "Day (UTC)", "format": "%a %b %d, %Y"},
                {"field": "events", "type": "quantitative", "title": "Events", "format": ","},
                {"field": "insights", "type": "quantitative", "title": "Insights", "format": ","},
            ],
        },
        "config": {"view": {"stroke": None}},
    }


@end_user_required
@require_http_methods(["GET", "POST"])
def portal(request):
    partner = _partner(request)
    if partner is not None:
        return _portal(request, partner)
    form = PartnerForm(request.POST or None, initial={"email": request.end_user.email})
    if request.method == "POST" and form.is_valid():
        form.instance.user = request.end_user
        form.save()
        messages.success(request, "Partner profile created. Generate an API key to start sending events.")
        return redirect("partners:portal")
    return render(request, "partners/profile_form.html", {"form": form, "creating": True}, status=400 if form.errors else 200)


@end_user_required
@require_http_methods(["GET", "POST"])
def edit_profile(request):
    partner = _partner(request)
    if partner is None:
        return redirect("partners:portal")
    form = PartnerForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Partner profile saved.")
        return redirect("partners:portal")
    return render(request, "partners/profile_form.html", {"form": form, "creating": False}, status=400 if form.errors else 200)


@end_user_required
@require_POST
def regenerate_key(request):
    partner = _partner(request)
    if partner is None:
        return redirect("partners:portal")
    _, plaintext = services.regenerate_key(partner)
    # Shown in this response only (never stored, never put in a cookie or a redirect): a reload asks
    # the browser to repeat the POST, which makes another key.
    messages.success(request, "A new API key was generated; the previous one no longer works.")
    return _portal(request, partner, new_key=plaintext)


@end_user_required
@require_POST
def revoke_key(request):
    partner = _partner(request)
    if partner is not None and services.revoke_key(partner):
        messages.success(request, "The API key was revoked.")
    return redirect("partners:portal")


@end_user_required
@require_POST
def generate_insights(request):
    partner = _partner(request)
    if partner is not None:
        tasks.defer_generate(partner)
        messages.success(request, "Insights are being generated: they appear here when they are ready.")
    return redirect("partners:portal")

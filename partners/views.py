"""The partner portal: profile, API key (shown once), 30-day usage, recent requests and insights."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.mixins import end_user_required
from partners import insights, services, tasks
from partners.forms import PartnerForm
from partners.models import ApiKey, Insight, Partner, RequestLog

USAGE_DAYS = 30
NEW_KEY_SESSION_KEY = "_partner_new_api_key"


def _partner(request) -> Partner | None:
    return Partner.objects.for_user(request.end_user).first()


def _portal(request, partner, new_key=None, status=200):
    api_key = ApiKey.objects.for_user(request.end_user).filter(partner=partner).first()
    usage = services.usage(partner, USAGE_DAYS)
    peak = max([row["event_count"] for row in usage] + [1])
    context = {
        "partner": partner,
        "api_key": api_key,
        "key_status": services.key_status(api_key),
        "new_key": new_key,
        "usage": [_bar(i, row, peak) for i, row in enumerate(usage)],
        "usage_first": usage[0]["date"],
        "usage_last": usage[-1]["date"],
        "usage_total": sum(row["event_count"] for row in usage),
        "usage_peak": peak,
        "logs": RequestLog.objects.for_user(request.end_user).filter(partner=partner)[:10],
        "insights": Insight.objects.for_user(request.end_user).filter(partner=partner).select_related("model")[:5],
        "models": sorted(insights.REGISTRY),
        "generation": tasks.status(partner),
    }
    response = render(request, "partners/portal.html", context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


def _bar(index: int, row: dict, peak: int) -> dict:
    """One day's bar in the 300×110 chart (SVG y grows downwards)."""
    height = round(100 * row["event_count"] / peak)
    return {**row, "x": index * 10 + 1, "y": 105 - height, "height": height}


@end_user_required
@require_http_methods(["GET", "POST"])
def portal(request):
    partner = _partner(request)
    if partner is not None:
        return _portal(request, partner, new_key=request.session.pop(NEW_KEY_SESSION_KEY, None))
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
    # Shown by the next page and dropped there (post/redirect/get: a reload cannot regenerate again).
    request.session[NEW_KEY_SESSION_KEY] = plaintext
    messages.success(request, "A new API key was generated; the previous one no longer works.")
    return redirect("partners:portal")


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

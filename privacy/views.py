"""The privacy dashboard: switches, allowlist, signals, device tokens, what was collected (redacted),
file activity, the transparency log and its chain, the guardian's health; "Delete my telemetry".
Every change goes through privacy.services (logged). With `mfa_required`, an aal2 session."""

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncDay
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pages import end_user_required
from privacy import devicetokens, exports, services
from privacy.api.views import download_response
from privacy.forms import AppForm, PrefsForm, SignalForm, TokenForm
from privacy.models import (
    AllowedApp,
    DeviceToken,
    Pattern,
    PrivacyExport,
    Relationship,
    SignalToggle,
    TelemetryEvent,
    TransparencyLogEntry,
)

TIMELINE_DAYS = 30


def privacy_page(view):
    """A signed-in end user's privacy page; when their preferences require MFA, an aal2 session
    (others complete the code step first, and come back)."""

    @end_user_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        session = getattr(request, "auth_session", None)
        if services.prefs_for(request.end_user).mfa_required and (session is None or session.aal != "aal2"):
            return redirect(reverse("accounts:login-mfa") + "?" + urlencode({"next": request.get_full_path()}))
        return view(request, *args, **kwargs)

    return wrapper


def _chart(values: list[dict], mark: str, x: dict, y: dict, height=160) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json", "width": "container", "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"}, "data": {"values": values},
        "mark": {"type": mark, "color": "#0172ad", "tooltip": True}, "encoding": {"x": x, "y": y},
        "config": {"view": {"stroke": None}},
    }


def _timeline(user) -> dict:
    since = timezone.now() - timedelta(days=TIMELINE_DAYS)
    rows = (TelemetryEvent.objects.for_user(user).filter(timestamp__gte=since).annotate(day=TruncDay("timestamp"))
            .values("day").annotate(events=Count("id")).order_by("day"))
    values = [{"day": row["day"].date().isoformat(), "events": row["events"]} for row in rows]
    return _chart(values, "bar", {"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate", "title": None},
                  {"field": "events", "type": "quantitative", "title": "Events", "axis": {"tickMinStep": 1}})


def _extensions(top: list[Pattern]) -> dict:
    values = [{"extension": pattern.file_extension or "(none)", "count": pattern.count} for pattern in top]
    return _chart(values, "bar", {"field": "count", "type": "quantitative", "title": "Events"},
                  {"field": "extension", "type": "nominal", "sort": "-x", "title": None})


def _dashboard(request, *, new_token=None, forms=None, status=200):
    user = request.end_user
    top = list(Pattern.objects.for_user(user)[:10])
    context = {
        "prefs": services.prefs_for(user),
        "prefs_form": PrefsForm(instance=services.prefs_for(user)),
        "app_form": AppForm(), "signal_form": SignalForm(), "token_form": TokenForm(),
        "apps": AllowedApp.objects.for_user(user),
        "signals": SignalToggle.objects.for_user(user),
        "tokens": DeviceToken.objects.for_user(user),
        "new_token": new_token,
        "recent": TelemetryEvent.objects.for_user(user)[:10],
        "timeline_chart": _timeline(user),
        "patterns": top,
        "extensions_chart": _extensions(top),
        "related": Relationship.objects.for_user(user)[:10],
        "log": TransparencyLogEntry.objects.for_user(user)[:20],
        "chain": services.verify_chain(user),
        "health": services.health(),
        "exports": PrivacyExport.objects.for_user(user).defer("archive")[:5],
        **(forms or {}),
    }
    response = render(request, "privacy/dashboard.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


@require_GET
@privacy_page
def dashboard(request):
    return _dashboard(request)


@require_POST
@privacy_page
def save_prefs(request):
    prefs = services.prefs_for(request.end_user)
    required_before = prefs.mfa_required  # is_valid() writes the form's values onto the instance
    form = PrefsForm(request.POST, instance=prefs)
    if not form.is_valid():
        return _dashboard(request, forms={"prefs_form": form}, status=400)
    session = getattr(request, "auth_session", None)
    if form.cleaned_data["mfa_required"] != required_before and (session is None or session.aal != "aal2"):
        form.add_error("mfa_required", "Verify a code from your authenticator app first (Account → Security).")
        return _dashboard(request, forms={"prefs_form": form}, status=403)
    services.update_prefs(request.end_user, {name: form.cleaned_data[name] for name in services.PREFS_FIELDS})
    messages.success(request, "Privacy preferences saved.")
    return redirect("privacy:dashboard")


def _create(request, form, resource: str, duplicate: str, form_name: str):
    if not form.is_valid():
        return _dashboard(request, forms={form_name: form}, status=400)
    form.instance.user = request.end_user
    try:
        with transaction.atomic():
            instance = form.save()
    except IntegrityError:
        form.add_error(None, duplicate)
        return _dashboard(request, forms={form_name: form}, status=409)
    services.log_change(request.end_user, f"{resource}_added", instance, None)
    return redirect("privacy:dashboard")


def _remove(request, model, pk, resource: str):
    instance = get_object_or_404(model.objects.for_user(request.end_user), pk=pk)
    if request.method != "POST":  # an object's action URL, opened: its place on the dashboard
        return redirect("privacy:dashboard")
    old = services.snapshot(instance)
    instance.delete()
    services.log_change(request.end_user, f"{resource}_removed", instance, old)
    return redirect("privacy:dashboard")


@require_POST
@privacy_page
def add_app(request):
    return _create(request, AppForm(request.POST), "app", "This app is on your allowlist already.", "app_form")


@require_http_methods(["GET", "POST"])
@privacy_page
def toggle_app(request, pk):
    app = get_object_or_404(AllowedApp.objects.for_user(request.end_user), pk=pk)
    if request.method != "POST":
        return redirect("privacy:dashboard")
    old = services.snapshot(app)
    app.enabled = not app.enabled
    app.save(update_fields=["enabled"])
    services.log_change(request.end_user, "app_changed", app, old)
    return redirect("privacy:dashboard")


@require_http_methods(["GET", "POST"])
@privacy_page
def remove_app(request, pk):
    return _remove(request, AllowedApp, pk, "app")


@require_POST
@privacy_page
def save_signal(request):
    """Add a signal's toggle, or change the one it has."""
    key = request.POST.get("signal_key", "")
    existing = SignalToggle.objects.for_user(request.end_user).filter(signal_key=key).first()
    form = SignalForm(request.POST, instance=existing)
    if existing is None:
        return _create(request, form, "signal", "This signal has a toggle already.", "signal_form")
    if not form.is_valid():
        return _dashboard(request, forms={"signal_form": form}, status=400)
    old = services.snapshot(existing)
    form.save()
    services.log_change(request.end_user, "signal_changed", existing, old)
    return redirect("privacy:dashboard")


@require_http_methods(["GET", "POST"])
@privacy_page
def remove_signal(request, pk):
    return _remove(request, SignalToggle, pk, "signal")


@require_POST
@privacy_page
def create_token(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _dashboard(request, forms={"token_form": form}, status=400)
    token, plaintext = devicetokens.create(request.end_user, form.cleaned_data["name"])
    services.log(request.end_user, "device_token_created", "privacy_device_tokens", token.pk, metadata={"name": token.name})
    return _dashboard(request, new_token=plaintext)


@require_POST
@privacy_page
def revoke_token(request, pk):
    token = get_object_or_404(DeviceToken.objects.for_user(request.end_user), pk=pk, revoked_at__isnull=True)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    services.log(request.end_user, "device_token_revoked", "privacy_device_tokens", token.pk, metadata={"name": token.name})
    messages.success(request, f"Device token “{token.name}” revoked.")
    return redirect("privacy:dashboard")


@require_POST
@privacy_page
def delete_telemetry(request):
    counts = services.delete_telemetry(request.end_user)
    messages.success(request, f"Deleted {counts['telemetry_events']} telemetry and {counts['file_events']} file events.")
    return redirect("privacy:dashboard")


@require_POST
@privacy_page
def request_export(request):
    exports.request(request.end_user)
    messages.success(request, "Your export is being built: download it here when it is ready (once).")
    return redirect("privacy:dashboard")


@require_POST
@privacy_page
def download_export(request, pk):
    data = exports.take(request.end_user, pk)
    if data is None:
        raise Http404("No export ready with this id.")
    return download_response(data, pk)

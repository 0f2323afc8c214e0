"""The staff Growth page: metrics, spend, cohorts and first touches over a chosen range, the spend
CSV import and an on-demand rebuild of metrics_daily. Staff only (Django's staff login, as the
admin); runs as the connection role."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from growth import dashboard, services
from growth.forms import RangeForm, SpendImportForm


@staff_member_required
@require_http_methods(["GET"])
def growth(request):
    form = RangeForm(request.GET if {"start", "end"} & set(request.GET) else RangeForm.default())
    start, end = (form.cleaned_data["start"], form.cleaned_data["end"]) if form.is_valid() else RangeForm.default().values()
    return render(request, "growth/dashboard.html", {
        "title": "Growth", "form": form, "start": start, "end": end,
        "metrics": dashboard.metrics(start, end), "spend": dashboard.spend(start, end),
        "cohorts": dashboard.cohorts(timezone.now().date()), "first_touch": dashboard.first_touch(),
        "import_form": SpendImportForm(), "recompute_form": RangeForm(initial={"start": start, "end": end}, auto_id="recompute_%s"),
    })


@staff_member_required
@require_POST
def import_spend(request):
    form = SpendImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []) + form.non_field_errors():
            messages.error(request, error)
        return redirect("growth:dashboard")
    lines = form.cleaned_data["file"]
    try:
        done = _upsert_spend_file(lines)
    except services.BatchInvalid as exc:
        messages.error(request, f"Nothing was imported: {exc.message}")
        for message in _line_errors(exc, lines)[:20]:
            messages.error(request, message)
        return redirect("growth:dashboard")
    messages.success(request, f"Spend imported: {done['inserted']} new row(s), {done['updated']} changed, {done['unchanged']} unchanged. "
                     "Metrics follow within minutes (or rebuild the range now).")
    return redirect("growth:dashboard")


@transaction.atomic
def _upsert_spend_file(lines: list[tuple[int, dict]]) -> dict:
    """All of the file or none: batches of MAX_ROWS in one transaction; a key repeated anywhere in
    the file is refused like one repeated in a batch."""
    seen = {}
    for index, (line, row) in enumerate(lines):
        key = services.spend_key(row) if all(k in row for k in ("platform", "campaign_id", "date")) else None
        if key in seen:
            raise services.BatchInvalid("a row is repeated.", {"rows": {str(index): {"date": [f"Repeats line {seen[key]}."]}}})
        if key is not None:
            seen[key] = line
    total = {"received": 0, "inserted": 0, "updated": 0, "unchanged": 0}
    for offset in range(0, len(lines), services.MAX_ROWS):
        chunk = [row for _, row in lines[offset:offset + services.MAX_ROWS]]
        try:
            result = services.upsert_spend(chunk)
        except services.BatchInvalid as exc:
            rows = exc.fields.get("rows")
            if isinstance(rows, dict):  # indexes of this chunk -> of the file
                exc.fields["rows"] = {str(int(index) + offset): problem for index, problem in rows.items()}
            raise
        total = {key: total[key] + result[key] for key in total}
    return total


def _line_errors(exc: services.BatchInvalid, lines) -> list[str]:
    rows = exc.fields.get("rows")
    if not isinstance(rows, dict):
        return [str(problem) for problem in rows or []]
    out = []
    for index, problems in rows.items():
        detail = "; ".join(f"{field}: {' '.join(map(str, p)) if isinstance(p, list) else p}" for field, p in problems.items())
        out.append(f"Line {lines[int(index)][0]}: {detail}")
    return out


@staff_member_required
@require_POST
def recompute(request):
    form = RangeForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() + [e for errors in form.errors.values() for e in errors]:
            messages.error(request, error)
        return redirect("growth:dashboard")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    with transaction.atomic():
        changed = services.recompute(start, end)
    messages.success(request, f"metrics_daily rebuilt from {start} to {end}: {changed} day(s) changed.")
    return redirect(f"{reverse('growth:dashboard')}?start={start}&end={end}")

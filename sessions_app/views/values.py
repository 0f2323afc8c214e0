"""Pages: one stored value of my analysis session — drawn by its type, downloaded as CSV, deleted."""

import json

import pandas as pd
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views import generic

from core.pages import EndUserRequiredMixin
from core.parents import ParentFromURLMixin
from sessions_app.codecs import PLOTLY, VEGA_LITE
from sessions_app.models import AnalysisSession, ValueType
from sessions_app.storage import InvalidKey, SessionStorage

FRAME_PAGE_ROWS = 50


class StoredValuePage(ParentFromURLMixin, EndUserRequiredMixin, generic.View):
    """A stored value of one of my analysis sessions (the parent), by key."""

    parent_model = AnalysisSession
    parent_url_kwarg = "pk"

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "end_user", None) is not None:
            self.object = self.get_parent()
            self.storage = SessionStorage(self.object)
            try:
                self.entry = self.storage.entry(kwargs["key"])
            except InvalidKey:
                raise Http404("No such value.") from None
            if self.entry is None:
                raise Http404("No such value.")
        return super().dispatch(request, *args, **kwargs)


class StoredValueDetail(StoredValuePage):
    """Drawn by type: a DataFrame as a paginated table (and a CSV download), an image (a data: URL in
    <img>, SVG too: never inlined), a figure drawn with Vega-Lite or Plotly (static/js/charts.js), JSON
    pretty-printed. A sensitive value stays hidden until asked for (`?reveal=1`, a read audited like
    any other)."""

    template_name = "sessions_app/stored_value.html"

    def get(self, request, *args, **kwargs):
        entry = self.entry
        reveal = not entry.is_encrypted or request.GET.get("reveal") == "1"
        context = {"analysis_session": self.object, "entry": entry, "revealed": reveal and entry.is_encrypted}
        if reveal:
            found = self.storage.read(entry.key)
            if found is None:  # expired or deleted since
                raise Http404("No such value.")
            entry, value = found
            context.update(entry=entry, **_rendering(entry, value, request.GET.get("page")))
        context["hidden"] = not reveal
        return render(request, self.template_name, context)


class StoredValueDelete(StoredValuePage):
    template_name = "sessions_app/stored_value_confirm_delete.html"

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, {"analysis_session": self.object, "entry": self.entry})

    def post(self, request, *args, **kwargs):
        self.storage.delete(self.entry.key)
        messages.success(request, f"Deleted “{self.entry.key}”.")
        return redirect("sessions_app:analysis-detail", self.object.pk)


class StoredValueCSV(StoredValuePage):
    """A DataFrame as a CSV download: a read, audited like the page's."""

    def get(self, request, *args, **kwargs):
        if self.entry.value_type != ValueType.DATAFRAME:
            raise Http404("Not a DataFrame.")
        found = self.storage.read(self.entry.key)
        if found is None:  # expired or deleted since
            raise Http404("No such value.")
        frame = _readable_dates(found[1])
        response = HttpResponse(frame.to_csv(index=not isinstance(frame.index, pd.RangeIndex)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{self.entry.key}.csv")
        response["Cache-Control"] = "private, no-store"
        return response


def _rendering(entry, value, page_number) -> dict:
    """What the template draws for a value of each type."""
    if entry.value_type == ValueType.DATAFRAME:
        paginator = Paginator(range(len(value)), FRAME_PAGE_ROWS)
        page = paginator.get_page(page_number)
        dtypes = [str(t) for t in value.dtypes]  # before dates become text: the zone shows here
        value = _readable_dates(value)
        rows = value.iloc[page.start_index() - 1 if len(value) else 0:page.end_index()]
        index_names = [name if name is not None else "" for name in value.index.names]
        return {
            "frame": {
                "index_names": index_names,
                "columns": [str(c) for c in value.columns],
                "dtypes": dtypes,
                "rows": [(_labels(label), [_cell(v) for v in row]) for label, row in zip(rows.index, rows.itertuples(index=False))],
                "shape": value.shape,
            },
            "page_obj": page,
        }
    if entry.value_type == ValueType.IMAGE:
        return {"image": value}
    if entry.value_type == ValueType.FIGURE:
        return {"figure": value, "figure_spec": _fitted(value), "figure_json": json.dumps(value.spec, indent=2),
                "plotly": value.library == PLOTLY}
    if entry.value_type == ValueType.JSON:
        return {"pretty": json.dumps(value, indent=2, ensure_ascii=False)}
    return {"text": value}


def _fitted(figure) -> dict:
    """The spec as drawn: a single-view Vega-Lite chart with no width of its own fills the page's width."""
    spec = figure.spec
    if figure.library == VEGA_LITE and ("mark" in spec or "layer" in spec) and "width" not in spec:
        return {"width": "container", "autosize": {"type": "fit-x", "contains": "padding"}, **spec}
    return spec


def _readable_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its datetime columns and index levels that hold dates (every value at midnight)
    as the dates alone: 2026-01-05, not 2026-01-05 00:00:00+00:00 (the zone is in the dtype)."""
    out = frame.copy()
    for position in range(frame.shape[1]):
        out.isetitem(position, _dates(frame.iloc[:, position]))
    if isinstance(frame.index, pd.MultiIndex):
        out.index = frame.index.set_levels([_dates(level) for level in frame.index.levels])
    else:
        out.index = _dates(frame.index)
    return out


def _dates(values):
    """A Series or Index of datetimes all at midnight as YYYY-MM-DD text; anything else unchanged."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    dt = values.dt if isinstance(values, pd.Series) else values
    if not ((dt.normalize() == values) | values.isna()).all():
        return values
    return dt.strftime("%Y-%m-%d")


def _labels(label) -> list:
    return [_cell(part) for part in label] if isinstance(label, tuple) else [_cell(label)]


def _cell(value) -> str:
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return ""
    return str(value)

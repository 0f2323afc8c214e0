"""Pages: my research sessions and their draft files; my analysis sessions and their stored values."""

import hashlib
import json

import pandas as pd
from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Now
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views import generic
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from core.pages import OwnedPageMixin
from sessions_app import services, uploads
from sessions_app.codecs import PLOTLY, VEGA_LITE, CodecError
from sessions_app.forms import (
    AnalysisSessionForm,
    DescribeForm,
    DraftFileForm,
    ResearchSessionForm,
    StoreValueForm,
    UploadFileForm,
)
from sessions_app.models import AnalysisSession, AnalysisStatus, DraftFile, ResearchSession, ValueType
from sessions_app.storage import InvalidKey, SessionStorage, StorageError


class SessionList(OwnedPageMixin, generic.ListView):
    model = ResearchSession
    paginate_by = 20
    template_name = "sessions_app/session_list.html"

    def get_queryset(self):
        queryset = super().get_queryset()
        status = self.request.GET.get("status")
        if status in ResearchSession.Status.values:
            queryset = queryset.filter(status=status)
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(statuses=ResearchSession.Status.choices, status=self.request.GET.get("status", ""), **kwargs)


class SessionDetail(OwnedPageMixin, generic.DetailView):
    model = ResearchSession
    template_name = "sessions_app/session_detail.html"
    context_object_name = "research_session"

    def get_context_data(self, **kwargs):
        return super().get_context_data(draft_files=self.object.draft_files.all(), **kwargs)


class SessionFormPage(OwnedPageMixin, SuccessMessageMixin):
    model = ResearchSession
    form_class = ResearchSessionForm
    template_name = "sessions_app/session_form.html"

    def get_success_url(self):
        return reverse("sessions_app:session-detail", args=[self.object.pk])


class SessionCreate(SessionFormPage, generic.CreateView):
    success_message = "Research session created."

    def form_valid(self, form):
        form.instance.user = self.request.end_user
        return super().form_valid(form)


class SessionUpdate(SessionFormPage, generic.UpdateView):
    success_message = "Research session saved."
    context_object_name = "research_session"


class SessionDelete(OwnedPageMixin, generic.DeleteView):
    model = ResearchSession
    template_name = "sessions_app/confirm_delete.html"
    success_url = reverse_lazy("sessions_app:session-list")

    def form_valid(self, form):
        messages.success(self.request, f"Deleted “{self.object}” and its draft files.")
        return super().form_valid(form)


class DraftFilePage(OwnedPageMixin):
    """Draft-file pages live under their session, which must be mine."""

    model = DraftFile

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "end_user", None) is not None:
            sessions = ResearchSession.objects.for_user(request.end_user)
            self.research_session = get_object_or_404(sessions, pk=kwargs["session_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(session=self.research_session)

    def get_context_data(self, **kwargs):
        return super().get_context_data(research_session=self.research_session, **kwargs)

    def get_success_url(self):
        return reverse("sessions_app:session-detail", args=[self.research_session.pk])


class DraftFileFormPage(DraftFilePage, SuccessMessageMixin):
    form_class = DraftFileForm
    template_name = "sessions_app/draft_file_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "session": self.research_session}


class DraftFileCreate(DraftFileFormPage, generic.CreateView):
    success_message = "Draft file added."


class DraftFileUpdate(DraftFileFormPage, generic.UpdateView):
    success_message = "Draft file saved."
    context_object_name = "draft_file"


class DraftFileDelete(DraftFilePage, generic.DeleteView):
    template_name = "sessions_app/confirm_delete.html"

    def form_valid(self, form):
        messages.success(self.request, f"Deleted “{self.object}”.")
        return super().form_valid(form)


# --- Analysis sessions and their stored values ----------------------------------------------------

FRAME_PAGE_ROWS = 50


class AnalysisSessionList(OwnedPageMixin, generic.ListView):
    model = AnalysisSession
    paginate_by = 20
    template_name = "sessions_app/analysis_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().annotate(
            value_count=Count("stored_values", filter=Q(stored_values__expires_at__isnull=True) | Q(stored_values__expires_at__gt=Now()))
        ).order_by("-created_at")
        status = self.request.GET.get("status")
        if status in AnalysisSession.Status.values:
            queryset = queryset.filter(status=status)
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(statuses=AnalysisSession.Status.choices, status=self.request.GET.get("status", ""), **kwargs)


class AnalysisSessionFormPage(OwnedPageMixin, SuccessMessageMixin):
    model = AnalysisSession
    form_class = AnalysisSessionForm
    template_name = "sessions_app/analysis_form.html"

    def get_success_url(self):
        return reverse("sessions_app:analysis-detail", args=[self.object.pk])


class AnalysisSessionCreate(AnalysisSessionFormPage, generic.CreateView):
    success_message = "Analysis session created."

    def form_valid(self, form):
        form.instance.user = self.request.end_user
        return super().form_valid(form)


class AnalysisSessionUpdate(AnalysisSessionFormPage, generic.UpdateView):
    success_message = "Analysis session saved."
    context_object_name = "analysis_session"

    def form_valid(self, form):
        if "status" in form.changed_data and form.initial.get("status") == AnalysisStatus.EXPIRED and form.instance.status == AnalysisStatus.ACTIVE:
            form.instance.reopen()
        return super().form_valid(form)


class AnalysisSessionDelete(OwnedPageMixin, generic.DeleteView):
    model = AnalysisSession
    template_name = "sessions_app/analysis_confirm_delete.html"
    success_url = reverse_lazy("sessions_app:analysis-list")
    context_object_name = "analysis_session"

    def form_valid(self, form):
        messages.success(self.request, f"Deleted “{self.object}” and its stored values.")
        return super().form_valid(form)


class AnalysisSessionDetail(OwnedPageMixin, generic.DetailView):
    """The session and its stored values (type, size, expiry); forms to store a value and to run
    `describe` on a stored DataFrame. Values are read (and audited) on their own pages only."""

    model = AnalysisSession
    template_name = "sessions_app/analysis_detail.html"
    context_object_name = "analysis_session"

    def get_context_data(self, store_form=None, describe_form=None, upload_form=None, **kwargs):
        entries = SessionStorage(self.object).entries()
        dataframes = [e.key for e in entries if e.value_type == ValueType.DATAFRAME]
        return super().get_context_data(
            entries=entries,
            store_form=store_form or StoreValueForm(),
            upload_form=upload_form or UploadFileForm(max_bytes=uploads.max_upload_bytes()),
            upload_max_bytes=uploads.max_upload_bytes(),
            describe_form=describe_form or DescribeForm(dataframe_keys=dataframes, initial={"target_key": f"{dataframes[0]}_summary" if dataframes else ""}),
            dataframe_keys=dataframes,
            **kwargs,
        )


class AnalysisSessionAction(OwnedPageMixin, generic.detail.SingleObjectMixin, generic.View):
    """A POST on one of my analysis sessions, answered with a redirect to its page (or the page again
    with the form's errors)."""

    model = AnalysisSession

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "end_user", None) is not None:
            self.object = self.get_object()  # another user's session: 404 for any method
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.act(request)

    def again(self, **forms):
        view = AnalysisSessionDetail(request=self.request, kwargs=self.kwargs, object=self.object)
        context = view.get_context_data(object=self.object, **forms)
        return render(self.request, AnalysisSessionDetail.template_name, context, status=400)

    def done(self, message):
        messages.success(self.request, message)
        return redirect("sessions_app:analysis-detail", self.object.pk)


class StoreValue(AnalysisSessionAction):
    def act(self, request):
        form = StoreValueForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            ttl = data["ttl_hours"] * 3600 if data["ttl_hours"] else None
            try:
                SessionStorage(self.object).set(data["key"], data["parsed"], ttl=ttl, sensitive=data["sensitive"], value_type=data["value_type"])
            except (CodecError, StorageError) as exc:
                form.add_error("value" if isinstance(exc, CodecError) else None, str(exc))
            else:
                return self.done(f"Stored “{data['key']}”.")
        return self.again(store_form=form)


@method_decorator(csrf_exempt, name="dispatch")  # checked below, once the size limit is in place
class UploadFile(AnalysisSessionAction):
    """A file from the session page, stored by its type (sessions_app.uploads). Every attempt with a
    file is audited (`audit_file_uploads`); a refused one stores nothing and shows the form again."""

    def dispatch(self, request, *args, **kwargs):
        # Upload handlers must be set before anything reads the body, and CsrfViewMiddleware reads
        # it (request.POST) for its check: so that check runs here, after this handler is first.
        request.upload_handlers.insert(0, uploads.SizeLimitHandler(request))
        return csrf_protect(super().dispatch)(request, *args, **kwargs)

    def act(self, request):
        form = UploadFileForm(request.POST, request.FILES, max_bytes=uploads.max_upload_bytes())
        valid = form.is_valid()
        key = form.cleaned_data.get("key", "") if valid else (request.POST.get(form.add_prefix("key")) or "")
        too_large = getattr(request, "uploads_too_large", {}).get(form.add_prefix("file"))
        upload = request.FILES.get(form.add_prefix("file"))
        if too_large:
            file_name, content_type, received = too_large
            message = f"The file is larger than {uploads.max_upload_bytes():,} bytes (the per-value quota); nothing was stored."
            uploads.reject(self.object, file_name=file_name, size_bytes=None, declared_type=content_type, sha256="",
                           key=key or uploads.key_from_file_name(file_name), reason="too_large", message=message,
                           received_bytes=received)
            form.errors.pop("file", None)  # "no file submitted": it was, and was dropped for its size
            form.add_error("file", message)
        elif upload is not None and not valid:
            message = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
            uploads.reject(self.object, file_name=upload.name, size_bytes=upload.size, declared_type=upload.content_type or "",
                           sha256=_sha256(upload), key=key, reason="invalid_form", message=message)
        elif valid:
            data = form.cleaned_data
            try:
                uploads.receive(
                    self.object, file_name=upload.name, data=upload.read(), declared_type=upload.content_type or "",
                    key=data["key"], ttl_seconds=data["ttl_hours"] * 3600 if data["ttl_hours"] else None,
                    sensitive=data["sensitive"],
                )
            except uploads.UploadRejected as exc:
                form.add_error(exc.field, exc.message)
            else:
                return self.done(f"Uploaded “{upload.name}” as “{data['key']}”.")
        return self.again(upload_form=form)


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


class RunDescribe(AnalysisSessionAction):
    def act(self, request):
        storage = SessionStorage(self.object)
        dataframes = [e.key for e in storage.entries() if e.value_type == ValueType.DATAFRAME]
        form = DescribeForm(request.POST, dataframe_keys=dataframes)
        if form.is_valid():
            try:
                services.describe(self.object, form.cleaned_data["source_key"], form.cleaned_data["target_key"])
            except StorageError as exc:
                form.add_error(None, str(exc))
            else:
                return self.done(f"Described “{form.cleaned_data['source_key']}” into “{form.cleaned_data['target_key']}”.")
        return self.again(describe_form=form)


class StoredValuePage(OwnedPageMixin, generic.detail.SingleObjectMixin, generic.View):
    """A stored value of one of my analysis sessions, by key."""

    model = AnalysisSession

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "end_user", None) is not None:
            self.object = self.get_object()
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

"""Pages: my analysis sessions, and the forms on a session's page that store a value, upload a file
or run `describe` (its stored values have their own pages: sessions_app.views.values)."""

import hashlib

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.db.models import Count, Q
from django.db.models.functions import Now
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views import generic
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from core.pages import OwnedPageMixin
from sessions_app import services, uploads
from sessions_app.codecs import CodecError
from sessions_app.forms import AnalysisSessionForm, DescribeForm, StoreValueForm, UploadFileForm
from sessions_app.models import AnalysisSession, AnalysisStatus, ValueType
from sessions_app.storage import SessionStorage, StorageError


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

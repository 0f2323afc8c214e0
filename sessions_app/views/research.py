"""Pages: my research sessions and their draft files."""

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse, reverse_lazy
from django.views import generic

from core.pages import OwnedPageMixin
from core.parents import ParentFromURLMixin
from sessions_app.forms import DraftFileForm, ResearchSessionForm
from sessions_app.models import DraftFile, ResearchSession


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


class DraftFilePage(ParentFromURLMixin, OwnedPageMixin):
    """Draft-file pages live under their session, which must be mine."""

    model = DraftFile
    parent_model = ResearchSession
    parent_context_name = "research_session"

    def get_queryset(self):
        return super().get_queryset().filter(session=self.get_parent())

    def get_success_url(self):
        return reverse("sessions_app:session-detail", args=[self.get_parent().pk])


class DraftFileFormPage(DraftFilePage, SuccessMessageMixin):
    form_class = DraftFileForm
    template_name = "sessions_app/draft_file_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "session": self.get_parent()}


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

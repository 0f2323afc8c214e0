"""My activity: my sign-ins, storage operations, analysis runs, uploads, outbound calls and the
changes made in my name. Runs under RLS (RowLevelSecurityMiddleware) and is scoped by `for_user()`."""

from django.views import generic

from audit.models import AnalysisRun, ApiCall, AuditLog, DataStorage, FileUpload, UserActivity
from core.pages import EndUserRequiredMixin
from core.useragent import browser_label

# tab -> (label, model): the first is the default
TABS = {
    "logins": ("Sign-ins", UserActivity),
    "storage": ("Storage", DataStorage),
    "runs": ("Analysis runs", AnalysisRun),
    "uploads": ("Uploads", FileUpload),
    "calls": ("Outbound calls", ApiCall),
    "changes": ("Changes", AuditLog),
}


class ActivityPage(EndUserRequiredMixin, generic.ListView):
    paginate_by = 25
    template_name = "audit/activity.html"

    def get_tab(self) -> str:
        tab = self.request.GET.get("tab", "")
        return tab if tab in TABS else next(iter(TABS))

    def get_queryset(self):
        model = TABS[self.get_tab()][1]
        return model.objects.for_user(self.request.end_user).order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(tab=self.get_tab(), tabs=[(key, label) for key, (label, _) in TABS.items()], **kwargs)
        if context["tab"] == "logins":
            for row in context["object_list"]:
                row.browser = browser_label(row.user_agent)
        return context

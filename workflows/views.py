"""Pages: my workflows (list, editor with the step graph, run now, webhook), executions (list, the
step timeline, cancel) and integrations (list, add, test, delete)."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.pages import end_user_required
from organizations import access
from organizations import services as org_services
from workflows import integrations, services
from workflows.forms import IntegrationForm, RunForm, WorkflowForm
from workflows.models import ExecutionStatus, Trigger, UserIntegration, Workflow, WorkflowExecution

PAGE_SIZE = 20


def _mine(model, request, pk):
    """The object if the user sees it (404 otherwise); a POST also needs the right to change it (403)."""
    obj = get_object_or_404(model.objects.for_user(request.end_user), pk=pk)
    if request.method == "POST" and not services.may_change(request.end_user, obj):
        raise PermissionDenied("Your role in this organization does not allow this.")
    return obj


def _organization(request):
    """The active organization's membership (the header switcher's choice, else the personal one)."""
    return access.active_membership(request, request.end_user)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def graph(steps: list) -> list[list[dict]]:
    """The steps in levels: level n holds the steps whose longest chain of `needs` is n long."""
    level: dict[str, int] = {}
    for step in _ordered(steps):
        level[step["id"]] = 1 + max((level[n] for n in step.get("needs", [])), default=-1)
    rows: list[list[dict]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for step in steps:
        rows[level[step["id"]]].append(step)
    return rows


def _ordered(steps):
    from workflows.engine import _topological

    return _topological(steps)


@end_user_required
def workflow_list(request):
    workflows = Workflow.objects.for_user(request.end_user).in_organization(_organization(request).organization_id)
    return render(request, "workflows/workflow_list.html", {"page_obj": _page(request, workflows)})


@end_user_required
def workflow_create(request):
    form = WorkflowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        membership = _organization(request)
        if not org_services.can_write(membership.role):
            raise PermissionDenied("Viewers cannot create workflows in this organization.")
        form.instance.user, form.instance.organization_id = request.end_user, membership.organization_id
        workflow = services.save(form.instance, definition_changed=True)
        messages.success(request, f"Workflow “{workflow.name}” saved as version 1.")
        return redirect("workflows:detail", workflow.pk)
    return render(request, "workflows/workflow_form.html", {"form": form})


@end_user_required
def workflow_detail(request, pk):
    """The editor: the definition, its step graph, run now, the webhook, the latest executions."""
    workflow = _mine(Workflow, request, pk)
    before = workflow.definition
    form = WorkflowForm(request.POST or None, instance=workflow)
    if request.method == "POST" and form.is_valid():
        changed = form.cleaned_data["definition"] != before
        services.save(form.instance, definition_changed=changed)
        messages.success(request, f"Saved as version {workflow.version}." if changed else "Saved.")
        return redirect("workflows:detail", workflow.pk)
    executions = WorkflowExecution.objects.for_user(request.end_user).filter(workflow=workflow)[:10]
    return render(request, "workflows/workflow_detail.html", {
        "workflow": workflow, "form": form, "run_form": RunForm(), "levels": graph(before.get("steps", [])),
        "executions": executions, "webhook": request.session.pop(f"webhook:{workflow.pk}", None),
    })


@end_user_required
def workflow_run(request, pk):
    workflow = _mine(Workflow, request, pk)
    form = RunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            execution = services.start(workflow, form.cleaned_data["input"], trigger=Trigger.MANUAL)
        except services.NotRunnable as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("workflows:execution", execution.pk)
    return render(request, "workflows/workflow_run.html", {"workflow": workflow, "run_form": form})


@require_POST
@end_user_required
def workflow_webhook(request, pk):
    workflow = _mine(Workflow, request, pk)
    token, secret = services.rotate_webhook(workflow)
    # Shown once on the next page view (the session is signed and the value popped on display).
    request.session[f"webhook:{workflow.pk}"] = {"url": request.build_absolute_uri(reverse("workflow-webhook", args=[token])),
                                                  "secret": secret, "header": services.SIGNATURE_HEADER}
    return redirect("workflows:detail", workflow.pk)


@end_user_required
def workflow_delete(request, pk):
    workflow = _mine(Workflow, request, pk)
    if request.method == "POST":
        workflow.delete()
        messages.success(request, f"Deleted “{workflow.name}”, its versions and executions.")
        return redirect("workflows:list")
    return render(request, "workflows/confirm_delete.html", {"object": workflow, "cancel_url": reverse("workflows:detail", args=[pk])})


@end_user_required
def execution_list(request):
    executions = (WorkflowExecution.objects.for_user(request.end_user).select_related("workflow", "workflow_version")
                  .filter(workflow__organization=_organization(request).organization_id))
    status = request.GET.get("status", "")
    if status in ExecutionStatus.values:
        executions = executions.filter(status=status)
    return render(request, "workflows/execution_list.html", {"page_obj": _page(request, executions), "status": status,
                                                              "statuses": ExecutionStatus.choices})


def timeline(execution) -> list[dict]:
    """Each step of the pinned version with its result: status, attempts, duration, output, error."""
    rows = []
    for step in execution.workflow_version.definition.get("steps", []):
        state = execution.steps.get(step["id"], {})
        started, completed = state.get("started_at"), state.get("completed_at")
        duration = None
        if started and completed:
            duration = (datetime.fromisoformat(completed) - datetime.fromisoformat(started)).total_seconds()
        rows.append({"step": step, "status": state.get("status", "pending"), "attempts": state.get("attempts", 0),
                     "started_at": started, "duration": duration, "output": state.get("output"), "error": state.get("error", ""),
                     "not_before": state.get("not_before")})
    return rows


@end_user_required
def execution_detail(request, pk):
    execution = get_object_or_404(WorkflowExecution.objects.for_user(request.end_user).select_related("workflow", "workflow_version"), pk=pk)
    return render(request, "workflows/execution_detail.html", {"execution": execution, "timeline": timeline(execution)})


@end_user_required
def execution_cancel(request, pk):
    execution = _mine(WorkflowExecution, request, pk)
    if request.method == "POST":
        if services.cancel(execution):
            messages.success(request, "Cancelled: no further step will start.")
        else:
            messages.info(request, f"The execution had finished already ({execution.status}).")
    return redirect("workflows:execution", execution.pk)


@end_user_required
def execution_delete(request, pk):
    execution = _mine(WorkflowExecution, request, pk)
    if request.method == "POST":
        execution.delete()  # a running one stops: its walker finds nothing before its next step
        messages.success(request, "Execution deleted.")
        return redirect("workflows:executions")
    return render(request, "workflows/confirm_delete.html", {"object": execution, "cancel_url": reverse("workflows:execution", args=[pk])})


@end_user_required
def integration_list(request):
    form = IntegrationForm(request.POST or None, user=request.end_user)
    if request.method == "POST" and form.is_valid():
        integration = form.save()
        messages.success(request, f"Integration “{integration.name}” added.")
        return redirect("workflows:integrations")
    integrations_page = _page(request, UserIntegration.objects.for_user(request.end_user).defer("config"))
    return render(request, "workflows/integration_list.html", {"page_obj": integrations_page, "form": form})


@end_user_required
def integration_test(request, pk):
    integration = _mine(UserIntegration, request, pk)
    if request.method == "POST":
        answer = integrations.test(integration)
        (messages.success if answer["ok"] else messages.error)(request, f"Test of “{integration.name}”: {answer['message'][:300]}")
    return redirect("workflows:integrations")


@end_user_required
def integration_delete(request, pk):
    integration = _mine(UserIntegration, request, pk)
    if request.method == "POST":
        integration.delete()
        messages.success(request, f"Deleted “{integration.name}”.")
        return redirect("workflows:integrations")
    return render(request, "workflows/confirm_delete.html", {"object": integration, "cancel_url": reverse("workflows:integrations")})




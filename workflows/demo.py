"""Demo data: a GA4 integration on the demo property, a workflow that asks the analytics chat about
last week's sessions, checks the answer and pauses, and one execution of it, walked here and now."""

from chat import services as chat_services
from core import demo
from workflows import engine, services
from workflows.models import UserIntegration, Workflow, WorkflowExecution

NAME = "Weekly traffic digest"


def definition(integration_id) -> dict:
    return {"steps": [
        {"id": "ask", "kind": "ask_chat", "params": {"question": "sessions by device category last 7 days", "integration": str(integration_id)},
         "retry": {"max_attempts": 3, "backoff_seconds": 5}},
        {"id": "answered", "kind": "condition", "needs": ["ask"], "params": {"value": "{{steps.ask.output.status}}", "op": "eq", "right": "complete"}},
        {"id": "pause", "kind": "wait", "needs": ["answered"], "params": {"seconds": 0}},
    ]}


@demo.provider("a workflow and its execution")
def load(user, say):
    credential_id = chat_services.demo_credential_id(user)
    if credential_id is None:
        say("no demo GA4 property: the chat's demo data makes it first")
        return
    integration, _ = UserIntegration.objects.update_or_create(
        user=user, provider=UserIntegration.Provider.GA4, name="Demo property", defaults={"ga4_credential_id": credential_id})
    workflow = Workflow.objects.filter(user=user, name=NAME).first()
    wanted = definition(integration.pk)
    if workflow is None:
        workflow = services.save(Workflow(user=user, name=NAME, description="Asks the chat about last week's sessions.", definition=wanted),
                                 definition_changed=True)
    elif workflow.definition != wanted:
        workflow.definition = wanted
        services.save(workflow, definition_changed=True)
    execution = WorkflowExecution.objects.filter(workflow=workflow).order_by("-created_at").first()
    if execution is None:
        execution = services.start(workflow, {"demo": True})
        engine.advance(execution.pk)
        execution.refresh_from_db()
    say(f"workflow “{workflow.name}” v{workflow.version}; its latest execution {execution.status}")

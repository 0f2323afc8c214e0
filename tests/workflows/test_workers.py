"""Workflows run by real worker processes on the test database: a multi-step workflow against a
loopback endpoint, a worker killed mid-run (the run goes on without repeating a finished step),
cancellation between steps, and the cron trigger fired by the periodic scheduler."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import AnalysisSession
from sessions_app.storage import SessionStorage
from tests.jobs.workers import connect, wait_for
from tests.workflows.conftest import make_integration, make_workflow
from tests.workflows.loopback import Reply
from workflows import services
from workflows.models import Workflow, WorkflowExecution

pytestmark = pytest.mark.usefixtures("committed_db")


def state(execution_id):
    with connect() as conn:
        return conn.execute("SELECT status, steps FROM workflow_executions WHERE id = %s", [execution_id]).fetchone()


def test_a_multi_step_workflow_runs_on_a_worker(user_a, endpoint, workers):
    session = AnalysisSession.objects.create(user=user_a, name="numbers")
    hook = make_integration(user_a, endpoint.url)
    workflow = make_workflow(user_a, [
        {"id": "store", "kind": "store_value", "params": {"session": str(session.pk), "key": "n", "value": "{{input.n}}"}},
        {"id": "check", "kind": "condition", "needs": ["store"], "params": {"value": "{{input.n}}", "op": "gte", "right": 5}},
        {"id": "notify", "kind": "http", "needs": ["check"], "params": {"integration": str(hook.pk), "body": {"n": "{{input.n}}"}}},
    ])
    workers(queues=("workflows",))
    execution = services.start(workflow, {"n": 7})
    wait_for(lambda: state(execution.pk)[0] == "succeeded", what="the execution finished")
    steps = state(execution.pk)[1]
    assert [steps[s]["status"] for s in ("store", "check", "notify")] == ["succeeded"] * 3
    assert SessionStorage(session).read("n")[1] == 7 and len(endpoint.requests) == 1


def test_a_worker_killed_mid_run_is_replaced_without_repeating_a_finished_step(user_a, endpoint, workers):
    session = AnalysisSession.objects.create(user=user_a, name="numbers")
    hook = make_integration(user_a, endpoint.url)
    endpoint.replies = [Reply(delay=30)]  # the first worker's call never returns in time
    workflow = make_workflow(user_a, [
        {"id": "store", "kind": "store_value", "params": {"session": str(session.pk), "key": "k", "value": 1}},
        {"id": "call", "kind": "http", "needs": ["store"], "params": {"integration": str(hook.pk)}},
    ])
    first = workers(queues=("workflows",))
    execution = services.start(workflow, {})
    wait_for(lambda: len(endpoint.requests) == 1, what="the first worker calling out")
    first.kill()
    killed = time.monotonic()
    workers(queues=("workflows", "maintenance"))  # with the stalled-job rescue
    wait_for(lambda: state(execution.pk)[0] == "succeeded", timeout=30, what="the run finished by the second worker")
    steps = state(execution.pk)[1]
    assert steps["store"]["attempts"] == 1 and steps["call"]["attempts"] == 2
    assert SessionStorage(session).read("k")[0].version == 1  # stored once
    print(f"\nkilled-worker recovery: {time.monotonic() - killed:.2f} s")


def test_cancel_takes_effect_between_steps(user_a, workers):
    workflow = make_workflow(user_a, [
        {"id": "first", "kind": "wait", "params": {"seconds": 2}},
        {"id": "second", "kind": "wait", "needs": ["first"], "params": {"seconds": 0}},
    ])
    workers(queues=("workflows",))
    execution = services.start(workflow, {})
    wait_for(lambda: (state(execution.pk)[1].get("first") or {}).get("status") == "waiting", what="the first step waiting")
    assert services.cancel(execution)
    time.sleep(3)
    status, steps = state(execution.pk)
    assert status == "cancelled" and "second" not in steps


def test_the_schedule_trigger_starts_executions(user_a, workers):
    workflow = make_workflow(user_a, [{"id": "pause", "kind": "wait", "params": {"seconds": 0}}], schedule="* * * * *")
    Workflow.objects.filter(pk=workflow.pk).update(schedule_checked_at=timezone.now() - timedelta(minutes=2))
    workers(env={"SCHEDULE_WORKFLOW_SCHEDULES": "* * * * * */1"}, queues=("maintenance", "workflows"))
    wait_for(lambda: WorkflowExecution.objects.filter(workflow=workflow, trigger="schedule", status="succeeded").exists(),
             timeout=30, what="a scheduled execution")
    assert WorkflowExecution.objects.filter(workflow=workflow).count() == 1  # one per firing, not one per check

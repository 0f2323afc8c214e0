"""Running an execution on the workers: ONE job walks the DAG (`workflows.advance`), step after step.

- The job holds the procrastinate lock `workflows.execution:<id>`: one walker per execution at a time.
- Each step's state lives in `workflow_executions.steps` ({id: status, attempts, output, error,
  started_at, completed_at, not_before}), committed as it changes. A walker that starts (first run,
  a retry, a stalled job handed on after a worker died) reads it and goes on from there: a finished
  step is never run again; a step left `running` by a dead worker runs again.
- A step that fails with attempts left is `retrying` until `not_before` (backoff_seconds × 2^(n-1)); a
  `wait` step is `waiting` until its time. Either way the job ends and defers the next walk at that
  time (`schedule_at`): no worker sleeps.
- Consecutive database steps (storage, insights, condition) run in one transaction with their
  recorded results: all of them commit, or none. Cancellation (page/API) sets the execution
  `cancelled` (it waits for the walker's row lock); the walker checks at the start of each
  transaction and after every outside step, and stops (the step in flight finishes; its result is
  kept).
- Every read and write is a transaction under the owner's RLS (`rls.end_user`), steps included.
"""

import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.models import AuthUser
from accounts.tenancy import tenant_for
from core import rls
from core.redact import scrub_text
from workflows import definition, steps
from workflows.models import FINAL, ExecutionStatus, WorkflowExecution
from workflows.references import resolve

logger = logging.getLogger(__name__)

DONE = {"succeeded", "skipped"}
MAX_ERROR = 2000
UNEXPECTED = "The step failed unexpectedly."


def _now_text():
    return timezone.now().isoformat()


def _topological(step_list: list) -> list:
    placed, order, pending = set(), [], list(step_list)
    while pending:
        ready = [s for s in pending if set(s.get("needs", [])) <= placed]
        for step in ready:
            placed.add(step["id"])
            order.append(step)
        pending = [s for s in pending if s["id"] not in placed]
    return order


def plan(step_list: list, results: dict, now):
    """What to do next: ("run", step), ("later", when), or ("finish", status). Marks the steps that
    are skipped (a dependency skipped, or a condition dependency that came out false) in `results`."""
    later = None
    by_id = {s["id"]: s for s in step_list}
    for step in _topological(step_list):
        state = results.get(step["id"], {})
        if state.get("status") in DONE or state.get("status") == "failed":
            continue
        needs = [results.get(n, {}) for n in step.get("needs", [])]
        if any(n.get("status") == "skipped" for n in needs) or any(
            by_id[name]["kind"] == "condition" and results.get(name, {}).get("status") == "succeeded"
            and not (results[name].get("output") or {}).get("result") for name in step.get("needs", [])
        ):
            results[step["id"]] = {**state, "status": "skipped", "completed_at": _now_text()}
            continue
        if not all(n.get("status") == "succeeded" for n in needs):
            continue
        not_before = state.get("not_before")
        if not_before and timezone.datetime.fromisoformat(not_before) > now:
            when = timezone.datetime.fromisoformat(not_before)
            later = when if later is None or when < later else later
            continue
        return ("run", step)
    if later is not None:
        return ("later", later)
    failed = any(r.get("status") == "failed" for r in results.values())
    return ("finish", ExecutionStatus.FAILED if failed else ExecutionStatus.SUCCEEDED)


def _outputs(results: dict) -> dict:
    return {name: {"output": state.get("output")} for name, state in results.items() if state.get("status") == "succeeded"}


def _leaves_output(step_list: list, results: dict) -> dict:
    needed = {n for s in step_list for n in s.get("needs", [])}
    return {s["id"]: results.get(s["id"], {}).get("output") for s in step_list
            if s["id"] not in needed and results.get(s["id"], {}).get("status") == "succeeded"}


def _locked(execution_id):
    return WorkflowExecution.objects.select_for_update().select_related("workflow_version").filter(pk=execution_id).first()


def _later(execution_id, when) -> None:
    from workflows import tasks

    tasks.defer_advance(execution_id, schedule_at=when)


def advance(execution_id) -> None:
    """Walk execution `execution_id` as far as it goes now (see the module's docstring)."""
    found = (WorkflowExecution._base_manager.filter(pk=execution_id)
             .values_list("user_id", "workflow_version__definition", "workflow__organization_id").first())
    user = AuthUser.objects.filter(pk=found[0]).first() if found else None
    if user is None:
        return
    # No request names an organization here: the steps act in the workflow's (else the personal one).
    ctx = steps.Context(user=user, as_user=partial(rls.end_user, rls.claims_for(user)), tenant_id=found[2] or tenant_for(user))
    for kind in {step["kind"] for step in found[1].get("steps", [])}:
        steps.prepare(kind)  # as the connection role, before acting as the owner
    while _walk(execution_id, ctx):
        pass


def _store(execution) -> None:
    """The walker's columns of the execution, in one UPDATE (its row is locked by this transaction)."""
    WorkflowExecution.objects.filter(pk=execution.pk).update(**{name: getattr(execution, name) for name in WALKER_COLUMNS})


WALKER_COLUMNS = ("status", "steps", "output", "error", "retries", "started_at", "completed_at")


def _walk(execution_id, ctx) -> bool:
    """One transaction as the owner: every step that can run inside it (database steps, a wait that
    is over), up to the end, a later time, or an outside step, which then runs after it (its result
    in a second transaction). True when the walk goes on."""
    with ctx.as_user():
        execution = _locked(execution_id)
        if execution is None or execution.status in FINAL:
            return False
        if execution.status == ExecutionStatus.QUEUED:
            execution.status, execution.started_at = ExecutionStatus.RUNNING, timezone.now()
        step_list = execution.workflow_version.definition["steps"]
        results = execution.steps
        while True:
            now = timezone.now()
            action, what = plan(step_list, results, now)
            if action == "finish":
                failed = [s["id"] for s in step_list if results.get(s["id"], {}).get("status") == "failed"]
                execution.status, execution.completed_at = what, now
                execution.output = _leaves_output(step_list, results)
                if failed:
                    execution.error = f"Step {failed[0]} failed: {results[failed[0]].get('error', '')}"[:MAX_ERROR]
                _store(execution)
                return False
            if action == "later":
                _store(execution)
                _later(execution_id, what)
                return False
            step = what
            state = results.get(step["id"], {})
            if step["kind"] == "wait" and state.get("status") == "waiting":  # its time has come
                results[step["id"]] = {**state, "status": "succeeded", "completed_at": now.isoformat(), "not_before": None,
                                       "output": {"waited_seconds": step["params"]["seconds"]}}
                continue
            attempts = state.get("attempts", 0) + 1
            if attempts > 1:
                execution.retries += 1
            try:
                params = resolve(step.get("params", {}), {"input": execution.input, "steps": _outputs(results)})
            except ValueError as exc:
                results[step["id"]] = {**state, "status": "failed", "attempts": attempts, "error": str(exc), "completed_at": now.isoformat()}
                continue
            results[step["id"]] = {"status": "running", "attempts": attempts, "started_at": now.isoformat(), "output": None, "error": ""}
            if step["kind"] == "wait":
                results[step["id"]] |= {"status": "waiting", "not_before": (now + timedelta(seconds=params["seconds"])).isoformat()}
                continue  # the plan defers the next walk to its time (or goes on when it has come)
            if step["kind"] in steps.TRANSACTIONAL:
                _record(execution, step, *_run_transactional(execution, step, params, ctx))
                continue
            _store(execution)  # an outside step: marked running, then run with no transaction open
            break
    output, failure = _call(steps.OUTSIDE[step["kind"]], ctx, params)
    with ctx.as_user():
        execution = _locked(execution_id)
        if execution is None:
            return False
        _record(execution, step, output, failure)
        _store(execution)
        return execution.status not in FINAL


def _run_transactional(execution, step, params, ctx):
    """(output, failure) of a database step, run in a savepoint of the owner's open transaction: it
    commits with its recorded result, or not at all."""
    try:
        with transaction.atomic():
            return steps.TRANSACTIONAL[step["kind"]](ctx, params), None
    except steps.StepFailed as exc:
        return None, exc
    except Exception:
        logger.exception("workflow step %s of execution %s failed", step["id"], execution.pk)
        return None, steps.StepFailed(UNEXPECTED)


def _call(action, ctx, params):
    try:
        return action(ctx, params), None
    except steps.StepFailed as exc:
        return None, exc
    except Exception:
        logger.exception("workflow step failed")
        return None, steps.StepFailed(UNEXPECTED)


def _record(execution, step, output, failure) -> None:
    """A step's result in `execution.steps`; a failure with attempts left is retried later."""
    now = timezone.now()
    state = execution.steps.get(step["id"], {})
    if failure is None:
        execution.steps[step["id"]] = {**state, "status": "succeeded", "output": output, "error": "", "completed_at": now.isoformat(),
                                       "not_before": None}
        return
    error = scrub_text(str(failure))[:MAX_ERROR]
    policy = definition.retry_policy(step)
    attempts = state.get("attempts", 1)
    if failure.retriable and attempts < policy["max_attempts"] and execution.status not in FINAL:
        when = now + timedelta(seconds=policy["backoff_seconds"] * 2 ** (attempts - 1))
        execution.steps[step["id"]] = {**state, "status": "retrying", "error": error, "not_before": when.isoformat()}
        return
    execution.steps[step["id"]] = {**state, "status": "failed", "error": error, "completed_at": now.isoformat(), "not_before": None}

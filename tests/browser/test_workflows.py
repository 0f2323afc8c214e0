"""Workflows in Chromium: build one in the editor (a validation message first), see its step graph,
run it with an input, and watch the timeline fill in as a real worker walks it."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_flows import log_in
from tests.conftest import PASSWORD
from workflows.models import Workflow, WorkflowExecution

DEFINITION = """{"steps": [
  {"id": "check", "kind": "condition", "params": {"value": "{{input.n}}", "op": "gt", "right": 1}},
  {"id": "pause", "kind": "wait", "needs": ["check"], "params": {"seconds": 1}},
  {"id": "done", "kind": "condition", "needs": ["pause"], "params": {"value": "{{steps.pause.output.waited_seconds}}", "op": "eq", "right": 1}}
]}"""


@pytest.mark.browser
def test_build_run_and_watch_a_workflow(page, live_server, make_user, workers):
    user = make_user("builder@example.com")
    workers(queues=("workflows",))
    log_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Workflows").first.click()
    page.get_by_role("button", name="New workflow").click()
    page.get_by_label("Name").fill("Digest")
    page.get_by_label("Definition").fill('{"steps": [{"id": "a", "kind": "teleport"}]}')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("steps[0].kind")).to_be_visible()
    assert not Workflow.objects.exists()

    page.get_by_label("Definition").fill(DEFINITION)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("saved as version 1")).to_be_visible()
    graph = page.get_by_test_id("step-graph")
    for step in ("check", "pause", "done"):
        expect(graph.locator(f'[data-step="{step}"]')).to_be_visible()

    page.get_by_label("Input").fill('{"n": 5}')
    page.get_by_test_id("run-submit").first.click()
    expect(page.get_by_test_id("timeline")).to_be_visible()
    assert WorkflowExecution.objects.get().input == {"n": 5}
    expect(page.get_by_test_id("execution-status")).to_have_text("succeeded", timeout=30_000)  # the page refreshes itself
    timeline = page.get_by_test_id("timeline")
    for step in ("check", "pause", "done"):
        expect(timeline.locator(f'[data-step="{step}"]')).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("cancel")).to_have_count(0)

"""GET /threads/{thread_id}/state: a fresh thread, after a run, interrupted, errored, with subgraphs."""

from __future__ import annotations

import pytest

from conformance.contract.checks import expect_contains, expect_equal, expect_in, expect_true
from conformance.graphs import (
    ECHO_PREFIX,
    FAIL_NODE,
    FAILURE_MESSAGE,
    INTERRUPT_INNER_NODE,
    INTERRUPT_OUTER_NODE,
    INTERRUPT_QUESTION,
)
from conformance.tests.values import conversation

pytestmark = pytest.mark.area("thread-state")

OPERATION = "GET /threads/{thread_id}/state"


def _state(api, thread_id: str, **params):
    exchange = api.client.get(f"/threads/{thread_id}/state", params=params or None)
    return api.contract.validate(exchange, OPERATION, status=200, rule="STATE-GET"), exchange


def test_fresh_thread_state_is_empty(api):
    """A thread without runs has empty values, no next nodes and no tasks."""
    thread = api.create_thread()
    state, exchange = _state(api, thread["thread_id"])
    has_values = "a fresh thread's state already has values"
    expect_in(state["values"], ({}, [], None), rule="STATE-FRESH", message=has_values, exchange=exchange)
    has_next = "a fresh thread's state names next nodes"
    expect_equal(state["next"], [], rule="STATE-FRESH", message=has_next, exchange=exchange)
    has_tasks = "a fresh thread's state has tasks"
    expect_equal(state.get("tasks", []), [], rule="STATE-FRESH", message=has_tasks, exchange=exchange)


def test_state_after_run_holds_the_conversation_and_checkpoint(api, prepared):
    """After a finished run: the human message then the echo, no next nodes, a checkpoint of this thread."""
    thread_id = prepared.ids["done"]
    state, exchange = _state(api, thread_id)
    wanted, lost = [("human", "hello"), ("ai", f"{ECHO_PREFIX}hello")], "the state does not hold the conversation"
    expect_equal(conversation(state["values"]), wanted, rule="STATE-AFTER-RUN", message=lost, exchange=exchange)
    has_next = "a finished thread's state still names next nodes"
    expect_equal(state["next"], [], rule="STATE-AFTER-RUN", message=has_next, exchange=exchange)
    checkpoint = state.get("checkpoint") or {}
    ours = checkpoint.get("thread_id") == thread_id and checkpoint.get("checkpoint_id")
    not_ours = "the state's checkpoint does not identify a checkpoint of this thread"
    wanted = {"thread_id": thread_id, "checkpoint_id": "(an id)"}
    expect_true(ours, rule="STATE-AFTER-RUN", message=not_ours, expected=wanted, actual=checkpoint, exchange=exchange)
    stamp, undated = state.get("created_at"), "the state of a checkpoint has no created_at"
    expect_true(stamp, rule="STATE-AFTER-RUN", message=undated, expected="a timestamp", actual=stamp, exchange=exchange)


def test_interrupted_state_names_next_node_and_interrupt(api, prepared):
    """An interrupted thread: next names the waiting node; its task and `interrupts` carry the value."""
    state, exchange = _state(api, prepared.ids["interrupted"])
    not_next = "next does not name the interrupted node"
    expect_equal(state["next"], [INTERRUPT_OUTER_NODE], rule="STATE-INTERRUPTED", message=not_next, exchange=exchange)
    tasks = state.get("tasks") or []
    task = tasks[0] if tasks and isinstance(tasks[0], dict) else {}
    no_task = "no task for the interrupted node"
    expect_equal(task.get("name"), INTERRUPT_OUTER_NODE, rule="STATE-INTERRUPTED", message=no_task, exchange=exchange)
    task_values = [i.get("value") for i in task.get("interrupts") or [] if isinstance(i, dict)]
    lacks = "tasks[].interrupts lacks the interrupt value"
    expect_equal(task_values, [INTERRUPT_QUESTION], rule="STATE-INTERRUPTED", message=lacks, exchange=exchange)
    top_values = [i.get("value") for i in state.get("interrupts") or [] if isinstance(i, dict)]
    lack = "the state's interrupts lack the interrupt value"
    expect_equal(top_values, [INTERRUPT_QUESTION], rule="STATE-INTERRUPTED", message=lack, exchange=exchange)


def test_errored_state_shows_the_task_error(api, prepared):
    """An errored thread: the failing task is listed with its error."""
    state, exchange = _state(api, prepared.ids["error"])
    tasks = [t for t in state.get("tasks") or [] if isinstance(t, dict)]
    names, unlisted = [t.get("name") for t in tasks], "the failing task is not listed"
    expect_contains(names, FAIL_NODE, rule="STATE-ERROR", message=unlisted, exchange=exchange)
    error = tasks[names.index(FAIL_NODE)].get("error")
    carried = isinstance(error, str) and FAILURE_MESSAGE in error
    lost = "tasks[].error does not carry the error the node raised"
    wanted = f"a text containing {FAILURE_MESSAGE!r}"
    expect_true(carried, rule="STATE-ERROR", message=lost, expected=wanted, actual=error, exchange=exchange)


def test_subgraphs_true_includes_the_subgraph_state(api, prepared):
    """With subgraphs=true, the task running a subgraph carries the subgraph's own state."""
    state, exchange = _state(api, prepared.ids["interrupted"], subgraphs="true")
    tasks = [t for t in state.get("tasks") or [] if isinstance(t, dict)]
    task = next((t for t in tasks if t.get("name") == INTERRUPT_OUTER_NODE), {})
    sub = task.get("state")
    is_state = isinstance(sub, dict) and "values" in sub
    no_state = "subgraphs=true: the subgraph task carries no subgraph state"
    wanted = "a ThreadState in tasks[].state"
    expect_true(is_state, rule="STATE-SUBGRAPHS", message=no_state, expected=wanted, actual=sub, exchange=exchange)
    elsewhere = "subgraphs=true: the subgraph state does not name its own waiting node"
    expect_equal(sub.get("next"), [INTERRUPT_INNER_NODE], rule="STATE-SUBGRAPHS", message=elsewhere, exchange=exchange)
    api.contract.validate_body(sub, "ThreadState", exchange=exchange)


def test_subgraphs_false_omits_the_subgraph_state(api, prepared):
    """Without subgraphs, a task's state is at most a reference to its checkpoint, not the full state."""
    state, exchange = _state(api, prepared.ids["interrupted"])
    tasks = [t for t in state.get("tasks") or [] if isinstance(t, dict)]
    nested = [t.get("state") for t in tasks if isinstance(t.get("state"), dict) and "values" in t["state"]]
    unasked = "subgraph state returned although subgraphs was not asked for"
    expect_equal(nested, [], rule="STATE-SUBGRAPHS", message=unasked, exchange=exchange)


def test_unknown_thread_state_is_404(api):
    """The state of a thread that does not exist answers 404 with an error body."""
    exchange = api.client.get(f"/threads/{api.new_id()}/state")
    api.contract.validate(exchange, OPERATION, status=404, rule="STATE-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


def test_malformed_thread_id_state_is_422(api):
    """The state of a thread id that is not a UUID answers 422 with an error body."""
    exchange = api.client.get("/threads/not-a-uuid/state")
    api.malformed_id_refused(exchange, OPERATION, "STATE-MALFORMED-ID")

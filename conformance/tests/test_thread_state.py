"""GET /threads/{thread_id}/state: a fresh thread, after a run, interrupted, errored, with subgraphs."""

from __future__ import annotations

import pytest

from conformance.contract.checks import expect
from conformance.graphs import (
    ECHO_PREFIX,
    FAIL_NODE,
    FAILURE_MESSAGE,
    INTERRUPT_INNER_NODE,
    INTERRUPT_OUTER_NODE,
    INTERRUPT_QUESTION,
)

pytestmark = pytest.mark.area("thread-state")

OPERATION = "GET /threads/{thread_id}/state"


def _state(api, thread_id: str, **params):
    exchange = api.client.get(f"/threads/{thread_id}/state", params=params or None)
    return api.contract.validate(exchange, OPERATION, status=200, rule="STATE-GET"), exchange


def test_fresh_thread_state_is_empty(api):
    """A thread without runs has empty values, no next nodes and no tasks."""
    thread = api.create_thread()
    state, exchange = _state(api, thread["thread_id"])
    expect(
        state["values"] in ({}, [], None),
        "STATE-FRESH",
        "a fresh thread's state already has values",
        expected="{}",
        actual=state["values"],
        exchange=exchange,
    )
    expect(
        state["next"] == [],
        "STATE-FRESH",
        "a fresh thread's state names next nodes",
        expected=[],
        actual=state["next"],
        exchange=exchange,
    )
    expect(
        state.get("tasks", []) == [],
        "STATE-FRESH",
        "a fresh thread's state has tasks",
        expected=[],
        actual=state.get("tasks"),
        exchange=exchange,
    )


def test_state_after_run_holds_the_conversation_and_checkpoint(api, prepared):
    """After a finished run: the human message then the echo, no next nodes, a checkpoint of this thread."""
    thread_id = prepared.ids["done"]
    state, exchange = _state(api, thread_id)
    messages = state["values"].get("messages") if isinstance(state["values"], dict) else None
    kinds = [(m.get("type"), m.get("content")) for m in messages or [] if isinstance(m, dict)]
    wanted = [("human", "hello"), ("ai", f"{ECHO_PREFIX}hello")]
    expect(
        kinds == wanted,
        "STATE-AFTER-RUN",
        "the state does not hold the conversation",
        expected=wanted,
        actual=kinds or state["values"],
        exchange=exchange,
    )
    expect(
        state["next"] == [],
        "STATE-AFTER-RUN",
        "a finished thread's state still names next nodes",
        expected=[],
        actual=state["next"],
        exchange=exchange,
    )
    checkpoint = state.get("checkpoint") or {}
    expect(
        checkpoint.get("thread_id") == thread_id and checkpoint.get("checkpoint_id"),
        "STATE-AFTER-RUN",
        "the state's checkpoint does not identify a checkpoint of this thread",
        expected={"thread_id": thread_id, "checkpoint_id": "(an id)"},
        actual=checkpoint,
        exchange=exchange,
    )
    expect(
        state.get("created_at"),
        "STATE-AFTER-RUN",
        "the state of a checkpoint has no created_at",
        expected="a timestamp",
        actual=state.get("created_at"),
        exchange=exchange,
    )


def test_interrupted_state_names_next_node_and_interrupt(api, prepared):
    """An interrupted thread: next names the waiting node; its task and `interrupts` carry the value."""
    state, exchange = _state(api, prepared.ids["interrupted"])
    expect(
        state["next"] == [INTERRUPT_OUTER_NODE],
        "STATE-INTERRUPTED",
        "next does not name the interrupted node",
        expected=[INTERRUPT_OUTER_NODE],
        actual=state["next"],
        exchange=exchange,
    )
    tasks = state.get("tasks") or []
    task = tasks[0] if tasks and isinstance(tasks[0], dict) else {}
    expect(
        task.get("name") == INTERRUPT_OUTER_NODE,
        "STATE-INTERRUPTED",
        "no task for the interrupted node",
        expected=INTERRUPT_OUTER_NODE,
        actual=[t.get("name") for t in tasks if isinstance(t, dict)],
        exchange=exchange,
    )
    task_values = [i.get("value") for i in task.get("interrupts") or [] if isinstance(i, dict)]
    expect(
        task_values == [INTERRUPT_QUESTION],
        "STATE-INTERRUPTED",
        "tasks[].interrupts lacks the interrupt value",
        expected=[INTERRUPT_QUESTION],
        actual=task_values,
        exchange=exchange,
    )
    top_values = [i.get("value") for i in state.get("interrupts") or [] if isinstance(i, dict)]
    expect(
        top_values == [INTERRUPT_QUESTION],
        "STATE-INTERRUPTED",
        "the state's interrupts lack the interrupt value",
        expected=[INTERRUPT_QUESTION],
        actual=top_values,
        exchange=exchange,
    )


def test_errored_state_shows_the_task_error(api, prepared):
    """An errored thread: the failing task is listed with its error."""
    state, exchange = _state(api, prepared.ids["error"])
    tasks = [t for t in state.get("tasks") or [] if isinstance(t, dict)]
    failing = [t for t in tasks if t.get("name") == FAIL_NODE]
    expect(
        failing,
        "STATE-ERROR",
        "the failing task is not listed",
        expected=FAIL_NODE,
        actual=[t.get("name") for t in tasks],
        exchange=exchange,
    )
    error = failing[0].get("error")
    expect(
        isinstance(error, str) and FAILURE_MESSAGE in error,
        "STATE-ERROR",
        "tasks[].error does not carry the error the node raised",
        expected=f"a text containing {FAILURE_MESSAGE!r}",
        actual=error,
        exchange=exchange,
    )


def test_subgraphs_true_includes_the_subgraph_state(api, prepared):
    """With subgraphs=true, the task running a subgraph carries the subgraph's own state."""
    state, exchange = _state(api, prepared.ids["interrupted"], subgraphs="true")
    tasks = [t for t in state.get("tasks") or [] if isinstance(t, dict)]
    task = next((t for t in tasks if t.get("name") == INTERRUPT_OUTER_NODE), {})
    sub = task.get("state")
    expect(
        isinstance(sub, dict) and "values" in sub,
        "STATE-SUBGRAPHS",
        "subgraphs=true: the subgraph task carries no subgraph state",
        expected="a ThreadState in tasks[].state",
        actual=sub,
        exchange=exchange,
    )
    expect(
        sub.get("next") == [INTERRUPT_INNER_NODE],
        "STATE-SUBGRAPHS",
        "subgraphs=true: the subgraph state does not name its own waiting node",
        expected=[INTERRUPT_INNER_NODE],
        actual=sub.get("next"),
        exchange=exchange,
    )
    api.contract.validate_body(sub, "ThreadState", exchange=exchange)


def test_subgraphs_false_omits_the_subgraph_state(api, prepared):
    """Without subgraphs, a task's state is at most a reference to its checkpoint, not the full state."""
    state, exchange = _state(api, prepared.ids["interrupted"])
    tasks = [t for t in state.get("tasks") or [] if isinstance(t, dict)]
    nested = [t.get("state") for t in tasks if isinstance(t.get("state"), dict) and "values" in t["state"]]
    expect(
        nested == [],
        "STATE-SUBGRAPHS",
        "subgraph state returned although subgraphs was not asked for",
        expected="no nested state",
        actual=nested,
        exchange=exchange,
    )


def test_unknown_thread_state_is_404(api):
    """The state of a thread that does not exist answers 404 with an error body."""
    exchange = api.client.get(f"/threads/{api.new_id()}/state")
    api.contract.validate(exchange, OPERATION, status=404, rule="STATE-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


def test_malformed_thread_id_state_is_422(api):
    """The state of a thread id that is not a UUID answers 422 with an error body."""
    exchange = api.client.get("/threads/not-a-uuid/state")
    api.contract.validate(exchange, OPERATION, status=422, rule="STATE-MALFORMED-ID")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)

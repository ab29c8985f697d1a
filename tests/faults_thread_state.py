"""Faults of a thread's state (GET /threads/{id}/state: after a run, interrupted, errored, subgraphs,
fresh), with the tests of conformance/tests/test_thread_state.py (and test_thread_runs.py) that must
catch each."""

from __future__ import annotations

from collections.abc import Callable

from tests.faultkit import Fault, json_response, set_key
from tests.faultproxy import Req
from tests.faults_thread_runs import R

ST = "test_thread_state.py::"


def _drop_subgraphs(req: Req) -> None:
    if req.is_("GET", "/threads/*/state"):
        req.query.pop("subgraphs", None)


def _always_subgraphs(req: Req) -> None:
    if req.is_("GET", "/threads/*/state"):
        req.query.setdefault("subgraphs", "true")


def _fresh_state_starts(state: dict) -> dict:
    """A state with nothing in it names the start node as next, as if the thread had a pending step."""
    if isinstance(state, dict) and state.get("values") in ({}, [], None) and state.get("next") == []:
        state["next"] = ["__start__"]
    return state


def _drop_last_message(state: dict) -> dict:
    values = state.get("values")
    if isinstance(values, dict) and isinstance(values.get("messages"), list) and values["messages"]:
        values["messages"] = values["messages"][:-1]
    return state


def _tasks(change: Callable[[dict], None]) -> Callable[[dict], dict]:
    def apply(state: dict) -> dict:
        for task in state.get("tasks") or []:
            change(task)
        return state

    return apply


def _clear_interrupts(task: dict) -> None:
    task["interrupts"] = []


def _clear_error(task: dict) -> None:
    task["error"] = None


FAULTS: tuple[Fault, ...] = (
    Fault(
        "state-stale",
        "the state lacks the last message of the finished run",
        (
            ST + "test_state_after_run_holds_the_conversation_and_checkpoint",
            R + "test_state_after_run_ends_with_the_echo",
        ),
        "STATE-AFTER-RUN",
        on_response=json_response("GET", "/threads/*/state", _drop_last_message),
    ),
    Fault(
        "state-next-missing",
        "an interrupted state has no next nodes",
        (ST + "test_interrupted_state_names_next_node_and_interrupt",),
        "STATE-INTERRUPTED",
        on_response=json_response("GET", "/threads/*/state", set_key("next", [])),
    ),
    Fault(
        "state-task-interrupts-missing",
        "tasks[].interrupts is always empty",
        (ST + "test_interrupted_state_names_next_node_and_interrupt",),
        "STATE-INTERRUPTED",
        on_response=json_response("GET", "/threads/*/state", _tasks(_clear_interrupts)),
    ),
    Fault(
        "state-task-error-missing",
        "tasks[].error is always null",
        (ST + "test_errored_state_shows_the_task_error",),
        "STATE-ERROR",
        on_response=json_response("GET", "/threads/*/state", _tasks(_clear_error)),
    ),
    Fault(
        "state-checkpoint-missing",
        "the state after a run has no checkpoint",
        (ST + "test_state_after_run_holds_the_conversation_and_checkpoint",),
        "STATE-AFTER-RUN",
        on_response=json_response("GET", "/threads/*/state", set_key("checkpoint", None)),
    ),
    Fault(
        "state-subgraphs-ignored",
        "?subgraphs=true is ignored",
        (ST + "test_subgraphs_true_includes_the_subgraph_state",),
        "STATE-SUBGRAPHS",
        on_request=_drop_subgraphs,
    ),
    Fault(
        "state-subgraphs-always",
        "the subgraph's full state is returned although subgraphs was not asked for",
        (ST + "test_subgraphs_false_omits_the_subgraph_state",),
        "STATE-SUBGRAPHS",
        on_request=_always_subgraphs,
    ),
    Fault(
        "state-fresh-names-start",
        "a thread without runs shows __start__ as its next node",
        (ST + "test_fresh_thread_state_is_empty",),
        "STATE-FRESH",
        on_response=json_response("GET", "/threads/*/state", _fresh_state_starts),
    ),
)

"""Interrupts: a graph that calls interrupt() leaves its thread interrupted, a run with command.resume
completes it with the value; interrupt_before / interrupt_after stop a two-node graph at a node, and a
run with input null continues from there. The three threads proceed side by side."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from conformance.contract.checks import expect_equal, expect_true
from conformance.contract.client import Exchange
from conformance.graphs import ECHO_PREFIX, INTERRUPT_QUESTION, STEP_NODES
from conformance.tests.flows import Api, human
from conformance.tests.values import contents, interrupt_values

pytestmark = pytest.mark.area("runs-interrupt")

WAIT = "POST /threads/{thread_id}/runs/wait"
RESUME_VALUE = "approved by the conformance suite"
BREAKPOINTS = {"before": ("interrupt_before", [STEP_NODES[1]]), "after": ("interrupt_after", [STEP_NODES[0]])}


@dataclass
class Stop:
    thread_id: str
    stopped: Exchange
    thread: Exchange
    state: Exchange
    after: dict[str, Exchange] = field(default_factory=dict)  # answer, thread, state after resuming


def _look(api: Api, thread_id: str) -> tuple[Exchange, Exchange]:
    return api.client.get(f"/threads/{thread_id}"), api.client.get(f"/threads/{thread_id}/state")


def _interrupt_then_resume(api: Api) -> Stop:
    thread_id = api.create_thread({"scenario": "interrupt-resume"})["thread_id"]
    stopped = api.client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "interrupt", "input": human("review this")}
    )
    stop = Stop(thread_id, stopped, *_look(api, thread_id))
    stop.after["answer"] = api.client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "interrupt", "command": {"resume": RESUME_VALUE}}
    )
    stop.after["thread"], stop.after["state"] = _look(api, thread_id)
    return stop


def _breakpoint_then_continue(api: Api, kind: str) -> Stop:
    option, nodes = BREAKPOINTS[kind]
    thread_id = api.create_thread({"scenario": f"interrupt-{kind}"})["thread_id"]
    stopped = api.client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "steps", "input": human("step"), option: nodes}
    )
    stop = Stop(thread_id, stopped, *_look(api, thread_id))
    stop.after["answer"] = api.client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "steps", "input": None}
    )
    stop.after["thread"], stop.after["state"] = _look(api, thread_id)
    return stop


@pytest.fixture(scope="module")
def stops(certification, contract) -> dict[str, Stop]:
    api = Api.for_session(certification, contract)
    with ThreadPoolExecutor(3) as pool:
        interrupt = pool.submit(_interrupt_then_resume, api)
        breakpoints = {kind: pool.submit(_breakpoint_then_continue, api, kind) for kind in BREAKPOINTS}
        return {"interrupt": interrupt.result(), **{k: f.result() for k, f in breakpoints.items()}}


def _thread(exchange: Exchange, contract) -> dict:
    return contract.validate(exchange, "GET /threads/{thread_id}", status=200, rule="THREADS-GET")


def _state(exchange: Exchange, contract) -> dict:
    return contract.validate(exchange, "GET /threads/{thread_id}/state", status=200, rule="STATE-GET")


def test_interrupt_leaves_the_thread_interrupted(stops, contract):
    """A graph that calls interrupt(): the thread is interrupted, with that interrupt's value."""
    s = stops["interrupt"]
    contract.validate(s.stopped, WAIT, status=200, rule="RUNS-WAIT")
    thread = _thread(s.thread, contract)
    expect_equal(thread.get("status"), "interrupted", rule="RUNS-INTERRUPT", exchange=s.thread)
    values = interrupt_values(thread.get("interrupts"))
    expect_equal(values, [INTERRUPT_QUESTION], rule="RUNS-INTERRUPT", exchange=s.thread)


def test_resume_completes_the_graph_with_the_value(stops, contract):
    """command {resume: value}: the value reaches the graph, the graph completes, the thread is idle."""
    s = stops["interrupt"]
    answer = contract.validate(s.after["answer"], WAIT, status=200, rule="RUNS-RESUME")
    expect_equal((answer or {}).get("answer"), RESUME_VALUE, rule="RUNS-RESUME", exchange=s.after["answer"])
    thread = _thread(s.after["thread"], contract)
    expect_equal(thread.get("status"), "idle", rule="RUNS-RESUME", exchange=s.after["thread"])
    pending, still = thread.get("interrupts"), "an interrupt is still pending after the resume"
    cleared, after = not any(pending or {}), s.after["thread"]
    expect_true(cleared, rule="RUNS-RESUME", message=still, expected="no interrupts", actual=pending, exchange=after)
    state = _state(s.after["state"], contract)
    values = state.get("values") or {}
    got = (values.get("answer"), contents(values), state.get("next"))
    wanted = (RESUME_VALUE, ["review this", f"{ECHO_PREFIX}review this"], [])
    expect_equal(got, wanted, rule="RUNS-RESUME", exchange=s.after["state"])


@pytest.mark.parametrize("kind", list(BREAKPOINTS))
def test_breakpoint_stops_at_the_node(stops, contract, kind):
    """interrupt_before second / interrupt_after first: the thread is interrupted with next = [second]."""
    s = stops[kind]
    rule = "RUNS-INTERRUPT-BEFORE" if kind == "before" else "RUNS-INTERRUPT-AFTER"
    contract.validate(s.stopped, WAIT, status=200, rule=rule)
    expect_equal(_thread(s.thread, contract).get("status"), "interrupted", rule=rule, exchange=s.thread)
    state = _state(s.state, contract)
    got = {"next": state.get("next"), "steps": (state.get("values") or {}).get("steps")}
    expect_equal(got, {"next": [STEP_NODES[1]], "steps": [STEP_NODES[0]]}, rule=rule, exchange=s.state)


@pytest.mark.parametrize("kind", list(BREAKPOINTS))
def test_input_null_continues_from_the_breakpoint(stops, contract, kind):
    """After the breakpoint, a run with input null runs the rest: both nodes once, the thread idle."""
    s = stops[kind]
    contract.validate(s.after["answer"], WAIT, status=200, rule="RUNS-CONTINUE")
    thread = _thread(s.after["thread"], contract)
    expect_equal(thread.get("status"), "idle", rule="RUNS-CONTINUE", exchange=s.after["thread"])
    state = _state(s.after["state"], contract)
    got = {"next": state.get("next"), "steps": (state.get("values") or {}).get("steps")}
    expect_equal(got, {"next": [], "steps": list(STEP_NODES)}, rule="RUNS-CONTINUE", exchange=s.after["state"])

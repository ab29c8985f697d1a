"""POST /threads/{id}/state (values, as_node, checkpoint) and the state at a checkpoint (GET
/threads/{id}/state/{checkpoint_id}, POST /threads/{id}/state/checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conformance.contract.checks import expect_equal, expect_true
from conformance.contract.client import Exchange
from conformance.graphs import ECHO_PREFIX, STEP_NODES
from conformance.tests.flows import Api, human
from conformance.tests.values import conversation

pytestmark = pytest.mark.area("thread-state")

UPDATE = "POST /threads/{thread_id}/state"
AT_CHECKPOINT = "GET /threads/{thread_id}/state/{checkpoint_id}"
CHECKPOINT_POST = "POST /threads/{thread_id}/state/checkpoint"
# role -> (graph, the human messages sent, one run each, in turn)
THREADS = {
    "update": ("agent", ["one"]),
    "as-node": ("steps", ["go"]),
    "unknown-node": ("agent", ["one"]),
    "fork": ("agent", ["one", "two"]),
    "two-runs": ("agent", ["one", "two"]),
}


@dataclass
class Prepared:
    ids: dict[str, str] = field(default_factory=dict)  # role -> thread id
    first_run_checkpoints: dict[str, dict] = field(default_factory=dict)  # role -> checkpoint after run 1


def _state(api: Api, thread_id: str) -> tuple[dict, Exchange]:
    exchange = api.client.get(f"/threads/{thread_id}/state")
    return api.contract.validate(exchange, "GET /threads/{thread_id}/state", status=200, rule="STATE-GET"), exchange


@pytest.fixture(scope="module")
def threads(certification, contract) -> Prepared:
    """Each role's thread with its runs finished; runs of different threads proceed together."""
    api = Api.for_session(certification, contract)
    prepared = Prepared()
    for role in THREADS:
        prepared.ids[role] = api.create_thread({"role": role})["thread_id"]
    rounds = max(len(texts) for _, texts in THREADS.values())
    for turn in range(rounds):
        started = {}
        for role, (graph, texts) in THREADS.items():
            if turn < len(texts):
                run, _ = api.start_run(prepared.ids[role], graph, human(texts[turn]), schema=False)
                started[role] = run["run_id"]
        for role, run_id in started.items():
            api.wait_run(prepared.ids[role], run_id, schema=False)
            if turn == 0:
                state, _ = _state(api, prepared.ids[role])
                prepared.first_run_checkpoints[role] = state.get("checkpoint") or {}
    return prepared


def _checkpoint_id(state: dict) -> str | None:
    return (state.get("checkpoint") or {}).get("checkpoint_id")


def _update(api: Api, thread_id: str, body: dict) -> tuple[dict, Exchange]:
    exchange = api.client.post(f"/threads/{thread_id}/state", json=body)
    answer = api.contract.validate(exchange, UPDATE, status=200, rule="STATE-UPDATE")
    checkpoint = answer.get("checkpoint") if isinstance(answer, dict) else None
    named = isinstance(checkpoint, dict) and checkpoint.get("checkpoint_id")
    unnamed, wanted = "the state update does not name the checkpoint it made", "checkpoint.checkpoint_id"
    expect_true(named, rule="STATE-UPDATE", message=unnamed, expected=wanted, actual=answer, exchange=exchange)
    return checkpoint, exchange


ONE_RUN = [("human", "one"), ("ai", f"{ECHO_PREFIX}one")]
TWO_RUNS = [*ONE_RUN, ("human", "two"), ("ai", f"{ECHO_PREFIX}two")]


# ------------------------------------------------------------------------------------------- update
def test_update_values_makes_a_new_checkpoint(api, threads):
    """POST state with values: a new checkpoint, child of the previous one; the state shows the update."""
    thread_id = threads.ids["update"]
    before, _ = _state(api, thread_id)
    made, _ = _update(api, thread_id, {"values": {"answer": "patched"}})
    after, got = _state(api, thread_id)
    at, made_id = _checkpoint_id(after), made["checkpoint_id"]
    elsewhere = "the state afterwards is not at the checkpoint the update made"
    moved = at == made_id != _checkpoint_id(before)
    expect_true(moved, rule="STATE-UPDATE", message=elsewhere, expected=made_id, actual=at, exchange=got)
    parent = (after.get("parent_checkpoint") or {}).get("checkpoint_id")
    expect_equal(parent, _checkpoint_id(before), rule="STATE-UPDATE", exchange=got)
    values = after["values"] if isinstance(after["values"], dict) else {}
    expect_equal(values.get("answer"), "patched", rule="STATE-UPDATE", exchange=got)
    expect_equal(conversation(values), ONE_RUN, rule="STATE-UPDATE", exchange=got)
    expect_equal((after.get("metadata") or {}).get("source"), "update", rule="STATE-UPDATE", exchange=got)


@pytest.mark.parametrize("node", STEP_NODES)
def test_update_as_node_continues_after_that_node(api, threads, node):
    """as_node: the update counts as that node's write, so next names the node after it (none after the last)."""
    thread_id = threads.ids["as-node"]
    _update(api, thread_id, {"values": {"steps": [f"by-{node}"]}, "as_node": node})
    after, got = _state(api, thread_id)
    position = STEP_NODES.index(node)
    wanted = list(STEP_NODES[position + 1 : position + 2])
    expect_equal(after["next"], wanted, rule="STATE-UPDATE-AS-NODE", exchange=got)
    steps = after["values"].get("steps") if isinstance(after["values"], dict) else None
    applied = isinstance(steps, list) and steps[-1:] == [f"by-{node}"]
    unapplied = "the update's value was not applied through the state's reducer"
    wanted = f"steps ending with 'by-{node}'"
    expect_true(applied, rule="STATE-UPDATE-AS-NODE", message=unapplied, expected=wanted, actual=steps, exchange=got)


def test_update_as_an_unknown_node_is_refused(api, threads):
    """as_node naming no node of the graph is refused with an ErrorResponse and makes no checkpoint."""
    thread_id = threads.ids["unknown-node"]
    before, _ = _state(api, thread_id)
    exchange = api.client.post(f"/threads/{thread_id}/state", json={"values": {"answer": 1}, "as_node": "no-such"})
    api.contract.validate(exchange, UPDATE, status=422, rule="STATE-UPDATE-AS-NODE")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)
    after, got = _state(api, thread_id)
    expect_equal(_checkpoint_id(after), _checkpoint_id(before), rule="STATE-UPDATE-AS-NODE", exchange=got)


def test_update_at_a_checkpoint_forks_from_it(api, threads):
    """checkpoint: the update applies to that checkpoint's state; the new checkpoint's parent is it."""
    thread_id = threads.ids["fork"]
    first = _first_checkpoint(threads, "fork")
    made, _ = _update(api, thread_id, {"values": {"answer": "forked"}, "checkpoint": first})
    after, got = _state(api, thread_id)
    expect_equal(_checkpoint_id(after), made["checkpoint_id"], rule="STATE-UPDATE-CHECKPOINT", exchange=got)
    parent = (after.get("parent_checkpoint") or {}).get("checkpoint_id")
    expect_equal(parent, first.get("checkpoint_id"), rule="STATE-UPDATE-CHECKPOINT", exchange=got)
    expect_equal(conversation(after["values"]), ONE_RUN, rule="STATE-UPDATE-CHECKPOINT", exchange=got)


# ------------------------------------------------------------------------------------ at a checkpoint
def _first_checkpoint(threads, role: str) -> dict:
    """The checkpoint the thread's state named after its first run, which the test reads at; a state that
    named none (no checkpoint_id) leaves nothing to read at: the test stops there, blocked by it."""
    first = threads.first_run_checkpoints[role]
    named, missing = isinstance(first.get("checkpoint_id"), str), "the state after the first run named no checkpoint_id"
    expect_true(named, rule="STATE-AFTER-RUN", message=missing, expected="a checkpoint_id", actual=first, stop=True)
    return first


def test_state_at_a_checkpoint_by_id(api, threads):
    """GET .../state/{checkpoint_id} gives that checkpoint's state (after two runs: the first run's), not the latest."""
    thread_id = threads.ids["two-runs"]
    first = _first_checkpoint(threads, "two-runs")
    latest, read = _state(api, thread_id)
    expect_equal(conversation(latest["values"]), TWO_RUNS, rule="STATE-AT-CHECKPOINT", exchange=read)
    exchange = api.client.get(f"/threads/{thread_id}/state/{first['checkpoint_id']}")
    state = api.contract.validate(exchange, AT_CHECKPOINT, status=200, rule="STATE-AT-CHECKPOINT")
    expect_equal(_checkpoint_id(state), first["checkpoint_id"], rule="STATE-AT-CHECKPOINT", exchange=exchange)
    expect_equal(conversation(state["values"]), ONE_RUN, rule="STATE-AT-CHECKPOINT", exchange=exchange)


@pytest.mark.parametrize("shape", ["full", "checkpoint_id-only"])
def test_state_at_a_checkpoint_by_post(api, threads, shape):
    """POST .../state/checkpoint gives that checkpoint's state, not the latest."""
    thread_id = threads.ids["two-runs"]
    first = _first_checkpoint(threads, "two-runs")
    checkpoint = first if shape == "full" else {"checkpoint_id": first["checkpoint_id"]}
    exchange = api.client.post(f"/threads/{thread_id}/state/checkpoint", json={"checkpoint": checkpoint})
    state = api.contract.validate(exchange, CHECKPOINT_POST, status=200, rule="STATE-AT-CHECKPOINT")
    expect_equal(_checkpoint_id(state), first["checkpoint_id"], rule="STATE-AT-CHECKPOINT", exchange=exchange)
    expect_equal(conversation(state["values"]), ONE_RUN, rule="STATE-AT-CHECKPOINT", exchange=exchange)


def test_state_at_an_unknown_checkpoint_is_not_the_latest(api, threads):
    """The state at a checkpoint the thread never had never shows the thread's latest values."""
    thread_id = threads.ids["two-runs"]
    exchange = api.client.get(f"/threads/{thread_id}/state/{api.new_id()}")
    if exchange.status == 200:
        state = api.contract.validate(exchange, AT_CHECKPOINT, status=200, rule="STATE-AT-CHECKPOINT")
        expect_equal(conversation(state["values"]), [], rule="STATE-AT-CHECKPOINT", exchange=exchange)
    else:
        api.contract.validate(exchange, AT_CHECKPOINT, status=404, rule="STATE-AT-CHECKPOINT")


# ------------------------------------------------------------------------------------------- errors
CHECKPOINT_BODY = {"checkpoint": {"checkpoint_id": "{checkpoint}"}}
UNKNOWN = {  # case -> (method, path suffix, body, operation)
    "update": ("POST", "/state", {"values": {"answer": 1}}, UPDATE),
    "at-checkpoint": ("GET", "/state/{checkpoint}", None, AT_CHECKPOINT),
    "checkpoint-post": ("POST", "/state/checkpoint", CHECKPOINT_BODY, CHECKPOINT_POST),
}


def _fill(value, checkpoint: str):
    if isinstance(value, str):
        return value.replace("{checkpoint}", checkpoint)
    if isinstance(value, dict):
        return {k: _fill(v, checkpoint) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_thread_is_404(api, case):
    """State operations on a thread that does not exist answer 404 with an ErrorResponse."""
    method, suffix, body, operation = UNKNOWN[case]
    checkpoint = api.new_id()
    exchange = api.client.request(
        method, f"/threads/{api.new_id()}{_fill(suffix, checkpoint)}", json_body=_fill(body, checkpoint)
    )
    api.contract.validate(exchange, operation, status=404, rule="STATE-NOT-FOUND-ALL")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


INVALID = {  # case -> (thread id or None for a real one, path suffix, body, operation)
    "update-malformed-id": ("not-a-uuid", "/state", {"values": {}}, UPDATE),
    "update-values-type": (None, "/state", {"values": 5}, UPDATE),
    "update-as-node-type": (None, "/state", {"values": {}, "as_node": 5}, UPDATE),
    "checkpoint-post-malformed-id": ("not-a-uuid", "/state/checkpoint", {"checkpoint": {}}, CHECKPOINT_POST),
    "checkpoint-post-missing": (None, "/state/checkpoint", {}, CHECKPOINT_POST),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_request_is_422(api, threads, case):
    """A malformed thread id or a body the schema forbids answers 422 with an ErrorResponse."""
    thread_id, suffix, body, operation = INVALID[case]
    exchange = api.client.post(f"/threads/{thread_id or threads.ids['two-runs']}{suffix}", json=body)
    if thread_id is not None:  # a malformed id: 422 or the documented not-found status
        api.malformed_id_refused(exchange, operation, "STATE-VALIDATION")
        return
    api.contract.validate(exchange, operation, status=422, rule="STATE-VALIDATION")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)

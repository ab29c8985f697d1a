"""Controlling runs: multitask strategies on a busy thread, cancel (wait, action), POST /runs/cancel,
delete, a run on a missing thread (if_not_exists), unknown run ids and bad bodies.

Every scenario that needs a run in progress gets its own thread with a ``slow`` run, all started at
once in one module fixture, so their waits overlap; the fixture then acts on each and waits for all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.contract.checks import expect_equal, expect_in, expect_status
from conformance.contract.client import Exchange
from conformance.graphs import ECHO_PREFIX
from conformance.tests.flows import POLL_INTERVAL, TERMINAL_RUN_STATUSES, Api, human
from conformance.tests.values import contents

pytestmark = pytest.mark.area("runs-control")

SLOW_SECONDS = 3
STRATEGIES = ("reject", "enqueue", "interrupt", "rollback", None)  # None: no strategy sent
CANCELS = {  # role -> (wait, action)
    "cancel-wait-interrupt": ("true", "interrupt"),
    "cancel-wait-rollback": ("true", "rollback"),
    "cancel-nowait-interrupt": ("false", "interrupt"),
    "cancel-nowait-rollback": ("false", "rollback"),
}
GONE = "gone (404)"
THREAD_GRACE = 5.0  # seconds a thread may stay busy after its runs are final or gone
RUN = "GET /threads/{thread_id}/runs/{run_id}"


@dataclass
class Busy:
    """One thread with a slow run in progress, what was done to it and what it showed afterwards."""

    thread_id: str
    first: dict
    action: Exchange | None = None
    second: dict | None = None
    final: dict[str, Any] = field(default_factory=dict)  # run id -> final run body or GONE
    finals: dict[str, Exchange] = field(default_factory=dict)
    thread: Exchange | None = None
    state: Exchange | None = None
    runs: Exchange | None = None

    def messages(self) -> list:
        return contents((self.state.json() or {}).get("values") if self.state and self.state.status == 200 else None)

    def status_of(self, run: dict | None) -> Any:
        result = self.final.get(run["run_id"]) if run else None
        return result if result == GONE or result is None else result.get("status")


def _settle(api: Api, busy: Busy, run: dict, deadline: float) -> None:
    """Poll a run until it is final or gone."""
    while True:
        exchange = api.client.get(f"/threads/{busy.thread_id}/runs/{run['run_id']}")
        busy.finals[run["run_id"]] = exchange
        if exchange.status == 404:
            busy.final[run["run_id"]] = GONE
            return
        body = exchange.json() if exchange.status == 200 else {}
        if body.get("status") in TERMINAL_RUN_STATUSES or time.monotonic() >= deadline:
            busy.final[run["run_id"]] = body
            return
        time.sleep(POLL_INTERVAL)


def _thread_settled(api: Api, busy: Busy, deadline: float) -> None:
    """Poll the thread until it is not busy; its runs are final by now, so only a short grace is given."""
    deadline = min(deadline, time.monotonic() + THREAD_GRACE)
    while True:
        busy.thread = api.client.get(f"/threads/{busy.thread_id}")
        if busy.thread.status != 200 or busy.thread.json().get("status") != "busy" or time.monotonic() >= deadline:
            return
        time.sleep(POLL_INTERVAL)


@dataclass
class Control:
    busy: dict[str, Busy]
    missing: dict[str, Exchange]
    created: Exchange | None
    created_thread: str
    created_after: Exchange | None = None
    created_run: Exchange | None = None
    deleted: dict[str, Exchange] = field(default_factory=dict)
    finished_cancel: Exchange | None = None
    finished_after: Exchange | None = None


@pytest.fixture(scope="module")
def control(certification, contract) -> Control:
    api = Api.for_session(certification, contract)
    roles = [f"multitask-{s or 'default'}" for s in STRATEGIES] + [*CANCELS, "cancel-many"]
    busy: dict[str, Busy] = {}
    for role in roles:
        thread_id = api.create_thread({"scenario": role})["thread_id"]
        first, _ = api.start_run(thread_id, "slow", human("a", seconds=SLOW_SECONDS), schema=False)
        busy[role] = Busy(thread_id, first)
    # a run on a thread that does not exist, created with if_not_exists=create, runs meanwhile
    created_thread = api.new_id()
    certification.track_thread(created_thread)
    created = api.client.post(
        f"/threads/{created_thread}/runs",
        json={"assistant_id": "agent", "input": human("create"), "if_not_exists": "create", "metadata": api.tag},
    )
    # a finished run to delete
    deletable = api.create_thread({"scenario": "delete"})["thread_id"]
    to_delete, _ = api.start_run(deletable, "agent", human("delete me"), schema=False)
    # act on each thread once its first run is in progress
    for role, b in busy.items():
        api.wait_run(b.thread_id, b.first["run_id"], lambda r: r.get("status") != "pending", schema=False)
        if role.startswith("multitask-"):
            b.action = _second_run(api, b, role.removeprefix("multitask-"))
        elif role in CANCELS:
            wait, action = CANCELS[role]
            b.action = api.client.post(
                f"/threads/{b.thread_id}/runs/{b.first['run_id']}/cancel", params={"wait": wait, "action": action}
            )
        else:  # a second run waits behind the first: cancelling the first by its id must leave the second
            _second_run(api, b, "enqueue")
            b.action = api.client.post("/runs/cancel", json={"thread_id": b.thread_id, "run_ids": [b.first["run_id"]]})
    missing = {
        "absent": api.client.post(f"/threads/{api.new_id()}/runs", json={"assistant_id": "agent", "input": {}}),
        "reject": api.client.post(
            f"/threads/{api.new_id()}/runs", json={"assistant_id": "agent", "input": {}, "if_not_exists": "reject"}
        ),
        "wait": api.client.post(f"/threads/{api.new_id()}/runs/wait", json={"assistant_id": "agent", "input": {}}),
    }
    deadline = time.monotonic() + api.run_timeout
    for b in busy.values():
        for run in (b.first, b.second):
            if run:
                _settle(api, b, run, deadline)
        _thread_settled(api, b, deadline)
        b.state = api.client.get(f"/threads/{b.thread_id}/state")
        b.runs = api.client.get(f"/threads/{b.thread_id}/runs")
    control = Control(busy, missing, created, created_thread)
    if created.status == 200 and isinstance(created.json(), dict) and created.json().get("run_id"):
        api.wait_run(created_thread, created.json()["run_id"], schema=False)
        control.created_run = api.client.get(f"/threads/{created_thread}/runs/{created.json()['run_id']}")
    control.created_after = api.client.get(f"/threads/{created_thread}")
    api.wait_run(deletable, to_delete["run_id"], schema=False)
    control.deleted["delete"] = api.client.delete(f"/threads/{deletable}/runs/{to_delete['run_id']}")
    control.deleted["get"] = api.client.get(f"/threads/{deletable}/runs/{to_delete['run_id']}")
    control.deleted["list"] = api.client.get(f"/threads/{deletable}/runs")
    done = busy["multitask-enqueue"]
    control.finished_cancel = api.client.post(f"/threads/{done.thread_id}/runs/{done.first['run_id']}/cancel")
    control.finished_after = api.client.get(f"/threads/{done.thread_id}/runs/{done.first['run_id']}")
    return control


def _second_run(api: Api, b: Busy, strategy: str) -> Exchange:
    """Start a second, short run on the busy thread with ``strategy`` ("default": none sent)."""
    body: dict[str, Any] = {"assistant_id": "slow", "input": human("b", seconds=0.1)}
    if strategy != "default":
        body["multitask_strategy"] = strategy
    created = api.client.post(f"/threads/{b.thread_id}/runs", json=body)
    if created.status == 200 and isinstance(created.json(), dict):
        b.second = created.json()
    return created


def _statuses(b: Busy) -> dict[str, Any]:
    return {"first": b.status_of(b.first), "second": b.status_of(b.second)}


def _second_created(b: Busy, contract, rule: str) -> None:
    contract.validate(b.action, "POST /threads/{thread_id}/runs", status=200, rule=rule)


def _evidence(b: Busy) -> Exchange:
    """The last look at the first run (its final status, or its 404)."""
    return b.finals.get(b.first["run_id"]) or b.action


def test_reject_answers_409_and_leaves_the_first_run(control, contract):
    """multitask_strategy reject on a busy thread: 409, and the run in progress succeeds unaffected."""
    b = control.busy["multitask-reject"]
    contract.validate(b.action, "POST /threads/{thread_id}/runs", status=409, rule="RUNS-MULTITASK-REJECT")
    wanted = {"first": "success", "second": None}
    expect_equal(_statuses(b), wanted, rule="RUNS-MULTITASK-REJECT", exchange=_evidence(b))
    expect_equal(b.messages(), ["a", f"{ECHO_PREFIX}a"], rule="RUNS-MULTITASK-REJECT", exchange=b.state)


@pytest.mark.parametrize("strategy", ["enqueue", "default"])
def test_enqueue_runs_the_second_after_the_first(control, contract, strategy):
    """enqueue (and no strategy: the documented default is enqueue): both succeed, the second after the first."""
    default = contract.document["components"]["schemas"]["RunCreateStateful"]["properties"]["multitask_strategy"][
        "default"
    ]
    assert default == "enqueue", f"the document's default multitask_strategy is {default!r}: update this test"
    rule = "RUNS-MULTITASK-ENQUEUE" if strategy == "enqueue" else "RUNS-MULTITASK-DEFAULT"
    b = control.busy[f"multitask-{strategy}"]
    _second_created(b, contract, rule)
    expect_equal(_statuses(b), {"first": "success", "second": "success"}, rule=rule, exchange=_evidence(b))
    expect_equal(b.messages(), ["a", f"{ECHO_PREFIX}a", "b", f"{ECHO_PREFIX}b"], rule=rule, exchange=b.state)


def test_interrupt_ends_the_first_interrupted(control, contract):
    """interrupt: the run in progress ends interrupted (its input kept), then the second runs."""
    b = control.busy["multitask-interrupt"]
    _second_created(b, contract, "RUNS-MULTITASK-INTERRUPT")
    wanted = {"first": "interrupted", "second": "success"}
    expect_equal(_statuses(b), wanted, rule="RUNS-MULTITASK-INTERRUPT", exchange=_evidence(b))
    expect_equal(b.messages(), ["a", "b", f"{ECHO_PREFIX}b"], rule="RUNS-MULTITASK-INTERRUPT", exchange=b.state)


def test_rollback_deletes_the_first_run(control, contract):
    """rollback: the run in progress is deleted (404) with its state, then the second runs."""
    b = control.busy["multitask-rollback"]
    _second_created(b, contract, "RUNS-MULTITASK-ROLLBACK")
    wanted = {"first": GONE, "second": "success"}
    expect_equal(_statuses(b), wanted, rule="RUNS-MULTITASK-ROLLBACK", exchange=_evidence(b))
    expect_equal(b.messages(), ["b", f"{ECHO_PREFIX}b"], rule="RUNS-MULTITASK-ROLLBACK", exchange=b.state)


def _thread_status(b: Busy, contract) -> str:
    thread = contract.validate(b.thread, "GET /threads/{thread_id}", status=200, rule="THREADS-GET")
    return thread.get("status")


@pytest.mark.parametrize("wait", ["true", "false"])
def test_cancel_interrupt_ends_the_run_interrupted(control, contract, wait):
    """cancel action=interrupt: the run ends interrupted and the thread is no longer busy."""
    b = control.busy[f"cancel-{'wait' if wait == 'true' else 'nowait'}-interrupt"]
    contract.validate(b.action, "POST /threads/{thread_id}/runs/{run_id}/cancel", rule="RUNS-CANCEL")
    expect_status(b.action, (200, 202, 204), rule="RUNS-CANCEL")
    expect_equal(b.status_of(b.first), "interrupted", rule="RUNS-CANCEL", exchange=b.finals[b.first["run_id"]])
    status, message = _thread_status(b, contract), "the thread is still busy after its run was cancelled"
    expect_in(status, ("idle", "interrupted"), rule="RUNS-CANCEL", message=message, exchange=b.thread)


@pytest.mark.parametrize("wait", ["true", "false"])
def test_cancel_rollback_deletes_the_run(control, contract, wait):
    """cancel action=rollback: the run is gone (404), the thread idle with no runs."""
    b = control.busy[f"cancel-{'wait' if wait == 'true' else 'nowait'}-rollback"]
    contract.validate(b.action, "POST /threads/{thread_id}/runs/{run_id}/cancel", rule="RUNS-CANCEL-ROLLBACK")
    expect_status(b.action, (200, 202, 204), rule="RUNS-CANCEL-ROLLBACK")
    finished = b.finals[b.first["run_id"]]
    contract.validate(finished, RUN, rule="RUNS-CANCEL-ROLLBACK")
    expect_equal(b.status_of(b.first), GONE, rule="RUNS-CANCEL-ROLLBACK", exchange=finished)
    expect_equal(_thread_status(b, contract), "idle", rule="RUNS-CANCEL-ROLLBACK", exchange=b.thread)
    runs = contract.validate(b.runs, "GET /threads/{thread_id}/runs", status=200, rule="RUNS-LIST")
    still = "GET /threads/{thread_id}/runs: the thread still lists runs after its only run was rolled back"
    expect_equal(runs, [], rule="RUNS-CANCEL-ROLLBACK", message=still, exchange=b.runs)


def test_cancel_of_a_finished_run_changes_nothing(control, contract):
    """Cancelling a finished run answers 200 (nothing to do) or 404 (no run left to cancel), and leaves it success."""
    cancelled = control.finished_cancel
    contract.validate(cancelled, "POST /threads/{thread_id}/runs/{run_id}/cancel", rule="RUNS-CANCEL")
    expect_status(cancelled, (200, 404), rule="RUNS-CANCEL-FINISHED")
    run = contract.validate(control.finished_after, RUN, status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "success", rule="RUNS-CANCEL-FINISHED", exchange=control.finished_after)


def test_runs_cancel_by_ids_cancels_that_run(control, contract):
    """POST /runs/cancel with the thread id and a run id cancels exactly that run (interrupted): the run queued
    behind it on the same thread is not cancelled and runs to success."""
    b = control.busy["cancel-many"]
    contract.validate(b.action, "POST /runs/cancel", status=204, rule="RUNS-CANCEL-MANY")
    wanted = {"first": "interrupted", "second": "success"}
    expect_equal(_statuses(b), wanted, rule="RUNS-CANCEL-MANY", exchange=_evidence(b))


def test_delete_run_then_404_and_unlisted(control, contract):
    """DELETE .../runs/{run_id}: success, then the run is 404 and not in the runs list."""
    deleted = control.deleted
    contract.validate(deleted["delete"], "DELETE /threads/{thread_id}/runs/{run_id}", rule="RUNS-DELETE")
    expect_status(deleted["delete"], (200, 202, 204), rule="RUNS-DELETE")
    contract.validate(deleted["get"], RUN, status=404, rule="RUNS-DELETE")
    runs = contract.validate(deleted["list"], "GET /threads/{thread_id}/runs", status=200, rule="RUNS-LIST")
    still = "GET /threads/{thread_id}/runs: the thread still lists runs after its only run was deleted"
    expect_equal(runs, [], rule="RUNS-DELETE", message=still, exchange=deleted["list"])


@pytest.mark.parametrize("how", ["absent", "reject", "wait"])
def test_run_on_a_missing_thread_is_404(control, contract, how):
    """A run on a thread that does not exist (if_not_exists absent or reject) answers 404 + ErrorResponse."""
    exchange = control.missing[how]
    operation = "POST /threads/{thread_id}/runs/wait" if how == "wait" else "POST /threads/{thread_id}/runs"
    contract.validate(exchange, operation, status=404, rule="RUNS-MISSING-THREAD")


def test_if_not_exists_create_creates_the_thread(control, contract):
    """if_not_exists=create on a missing thread: the thread exists afterwards and the run succeeds."""
    contract.validate(control.created, "POST /threads/{thread_id}/runs", status=200, rule="RUNS-IF-NOT-EXISTS-CREATE")
    thread = contract.validate(
        control.created_after, "GET /threads/{thread_id}", status=200, rule="RUNS-IF-NOT-EXISTS-CREATE"
    )
    expect_equal(thread.get("thread_id"), control.created_thread, rule="RUNS-IF-NOT-EXISTS-CREATE")
    run = contract.validate(control.created_run, RUN, status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "success", rule="RUNS-IF-NOT-EXISTS-CREATE", exchange=control.created_run)


UNKNOWN = {  # name -> (method, path template, operation)
    "get": ("GET", "/threads/{t}/runs/{r}", RUN),
    "delete": ("DELETE", "/threads/{t}/runs/{r}", "DELETE /threads/{thread_id}/runs/{run_id}"),
    "cancel": ("POST", "/threads/{t}/runs/{r}/cancel", "POST /threads/{thread_id}/runs/{run_id}/cancel"),
    "join": ("GET", "/threads/{t}/runs/{r}/join", "GET /threads/{thread_id}/runs/{run_id}/join"),
    "join-stream": ("GET", "/threads/{t}/runs/{r}/stream", "GET /threads/{thread_id}/runs/{run_id}/stream"),
    "list-unknown-thread": ("GET", "/threads/{r}/runs", "GET /threads/{thread_id}/runs"),
}


@pytest.mark.parametrize("name", list(UNKNOWN))
def test_unknown_run_id_is_404(api, name):
    """Every runs operation on an unknown run (or thread) id answers 404 with an ErrorResponse."""
    thread_id = api.create_thread({"scenario": "unknown-run"})["thread_id"]
    method, template, operation = UNKNOWN[name]
    path = template.format(t=thread_id, r=api.new_id())
    if name == "join-stream":
        exchange = api.client.stream(method, path, seconds=10).exchange
    else:
        exchange = api.client.request(method, path)
    api.contract.validate(exchange, operation, status=404, rule="RUNS-UNKNOWN-ID")


BAD_BODIES: dict[str, dict[str, Any]] = {
    "no-assistant": {"input": {}},
    "multitask-strategy": {"assistant_id": "agent", "input": {}, "multitask_strategy": "sometimes"},
    "if-not-exists": {"assistant_id": "agent", "input": {}, "if_not_exists": "maybe"},
    "stream-mode": {"assistant_id": "agent", "input": {}, "stream_mode": "everything"},
    "durability": {"assistant_id": "agent", "input": {}, "durability": "forever"},
    "after-seconds": {"assistant_id": "agent", "input": {}, "after_seconds": "soon"},
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_run_body_is_422(api, name):
    """A run body the document rejects answers 422 with an ErrorResponse."""
    thread_id = api.create_thread({"scenario": "bad-body"})["thread_id"]
    exchange = api.client.post(f"/threads/{thread_id}/runs", json=BAD_BODIES[name])
    api.contract.validate(exchange, "POST /threads/{thread_id}/runs", status=422, rule="RUNS-BAD-BODY")
    runs = api.client.get(f"/threads/{thread_id}/runs")
    created = "GET /threads/{thread_id}/runs: the refused run body created a run anyway"
    listed = runs.json() if runs.status == 200 else runs.status
    expect_equal(listed, [], rule="RUNS-BAD-BODY", message=created, exchange=runs)

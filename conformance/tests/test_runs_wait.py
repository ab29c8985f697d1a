"""Waiting for a run: POST .../runs/wait answers the final values (or the error), the run and the thread
show the outcome, and join on a failed run answers its error. A failed run is never reported success."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from conformance.contract.checks import expect_contains, expect_equal, expect_status, expect_true
from conformance.contract.client import Exchange
from conformance.graphs import ECHO_PREFIX, FAILURE_MESSAGE
from conformance.tests.flows import Api, human, location_ids
from conformance.tests.values import last_message

pytestmark = pytest.mark.area("thread-runs")

WAIT = "POST /threads/{thread_id}/runs/wait"


@dataclass
class Waited:
    thread_id: str
    answer: Exchange
    run_id: str | None
    run: Exchange | None = None
    runs: Exchange | None = None
    thread: Exchange | None = None
    join: Exchange | None = None


def _wait(api: Api, graph: str, text: str) -> Waited:
    thread_id = api.create_thread({"scenario": f"wait-{graph}"})["thread_id"]
    answer = api.client.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": graph, "input": human(text)})
    run_id = location_ids(answer)[1]
    waited = Waited(thread_id, answer, run_id)
    runs = api.client.get(f"/threads/{thread_id}/runs")
    waited.runs = runs
    if not run_id and runs.status == 200 and isinstance(runs.json(), list) and len(runs.json()) == 1:
        waited.run_id = runs.json()[0].get("run_id")  # no Content-Location: the thread's only run
    if waited.run_id:
        waited.run = api.client.get(f"/threads/{thread_id}/runs/{waited.run_id}")
        waited.join = api.client.get(f"/threads/{thread_id}/runs/{waited.run_id}/join")
    waited.thread = api.client.get(f"/threads/{thread_id}")
    return waited


@pytest.fixture(scope="module")
def waited(certification, contract) -> dict[str, Waited]:
    """One wait on the echo graph and one on the failing graph, side by side."""
    api = Api.for_session(certification, contract)
    with ThreadPoolExecutor(2) as pool:
        done = pool.submit(_wait, api, "agent", "wait for me")
        failed = pool.submit(_wait, api, "fail", "fail for me")
        return {"agent": done.result(), "fail": failed.result()}


def _run_id(waited: Waited) -> str:
    lost = "POST .../runs/wait: the run cannot be found (no Content-Location, and not one run in the runs list)"
    found, listed = waited.run_id is not None, waited.runs.text[:300] if waited.runs else None
    wanted = "the run created by wait"
    expect_true(found, rule="RUNS-WAIT", message=lost, expected=wanted, actual=listed, exchange=waited.answer)
    return waited.run_id  # type: ignore[return-value]


def test_wait_answers_the_final_values(waited, contract):
    """POST .../runs/wait answers the final state: the echo is the last message."""
    values = contract.validate(waited["agent"].answer, WAIT, status=200, rule="RUNS-WAIT")
    echo = {"type": "ai", "content": f"{ECHO_PREFIX}wait for me"}
    not_final = "POST .../runs/wait did not answer the final values"
    expect_contains(last_message(values), echo, rule="RUNS-WAIT", message=not_final, exchange=waited["agent"].answer)


def test_run_and_thread_after_wait(waited, contract):
    """After wait, the run is success and the thread idle."""
    w = waited["agent"]
    _run_id(w)
    run = contract.validate(w.run, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "success", rule="RUNS-WAIT", exchange=w.run)
    thread = contract.validate(w.thread, "GET /threads/{thread_id}", status=200, rule="THREADS-GET")
    expect_equal(thread.get("status"), "idle", rule="RUNS-WAIT", exchange=w.thread)


def test_wait_on_failing_graph_answers_the_error(waited, contract):
    """POST .../runs/wait of a run that raises answers the error it ended with, not values."""
    w = waited["fail"]
    body = contract.validate(w.answer, WAIT, rule="RUNS-WAIT-ERROR")
    named = FAILURE_MESSAGE in w.answer.text and "messages" not in (body if isinstance(body, dict) else {})
    unnamed = "POST .../runs/wait on a failing graph does not answer the graph's error"
    wanted = f"an error naming {FAILURE_MESSAGE!r} (the reference: {{'__error__': {{...}}}})"
    expect_true(named, rule="RUNS-WAIT-ERROR", message=unnamed, expected=wanted, actual=body, exchange=w.answer)


def test_failed_run_is_error_never_success(waited, contract):
    """The failed run is error (on the run and in the runs list), and its thread is error."""
    w = waited["fail"]
    _run_id(w)
    run = contract.validate(w.run, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "error", rule="RUNS-FAILED-STATUS", exchange=w.run)
    runs = contract.validate(w.runs, "GET /threads/{thread_id}/runs", status=200, rule="RUNS-LIST")
    listed = {r.get("run_id"): r.get("status") for r in runs}
    not_error = "GET /threads/{thread_id}/runs does not list exactly the failed run, as error"
    expect_equal(listed, {w.run_id: "error"}, rule="RUNS-FAILED-STATUS", message=not_error, exchange=w.runs)
    thread = contract.validate(w.thread, "GET /threads/{thread_id}", status=200, rule="THREADS-GET")
    expect_equal(thread.get("status"), "error", rule="RUNS-FAILED-STATUS", exchange=w.thread)


def test_join_on_failed_run_answers_the_error(waited, contract):
    """GET .../join of a failed run answers the error it ended with (not {} and not values)."""
    w = waited["fail"]
    _run_id(w)
    expect_status(w.join, 200, rule="RUNS-JOIN-ERROR")
    body = contract.validate(w.join, "GET /threads/{thread_id}/runs/{run_id}/join", status=200, rule="RUNS-JOIN-ERROR")
    named = isinstance(body, dict) and body != {} and FAILURE_MESSAGE in w.join.text
    unnamed = "GET .../join of a failed run does not answer the run's error"
    wanted = f"an error object naming {FAILURE_MESSAGE!r}"
    expect_true(named, rule="RUNS-JOIN-ERROR", message=unnamed, expected=wanted, actual=body, exchange=w.join)

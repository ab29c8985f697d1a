"""Stateless runs (/runs...): a background run, wait, stream and batch on temporary threads, and
on_completion: delete (the default) removes the temporary thread, keep leaves it. The runs proceed
side by side; threads that are kept are tracked and deleted at the end of the session."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conformance.contract.checks import expect_equal, expect_true, expect_type
from conformance.contract.client import Exchange
from conformance.graphs import ECHO_PREFIX, FAILURE_MESSAGE
from conformance.tests.flows import (
    POLL_INTERVAL,
    TERMINAL_RUN_STATUSES,
    Api,
    human,
    location_ids,
)
from conformance.tests.values import last_message

pytestmark = pytest.mark.area("stateless-runs")

RUN = "GET /threads/{thread_id}/runs/{run_id}"
LOCATION = "Content-Location: /threads/{thread_id}/runs/{run_id}"
GRACE = 5.0  # seconds a deleted temporary thread may take to disappear after its run


def _settle(api: Api, thread_id: str, run_id: str) -> Exchange:
    deadline = time.monotonic() + api.run_timeout
    while True:
        exchange = api.client.get(f"/threads/{thread_id}/runs/{run_id}")
        status = exchange.json().get("status") if exchange.status == 200 else None
        if exchange.status != 200 or status in TERMINAL_RUN_STATUSES or time.monotonic() >= deadline:
            return exchange
        time.sleep(POLL_INTERVAL)


def _gone(api: Api, thread_id: str) -> Exchange:
    deadline = time.monotonic() + GRACE
    while True:
        exchange = api.client.get(f"/threads/{thread_id}")
        if exchange.status == 404 or time.monotonic() >= deadline:
            return exchange
        time.sleep(POLL_INTERVAL)


def _background(api: Api) -> dict[str, Any]:
    found: dict[str, Any] = {
        "created": api.client.post(
            "/runs",
            json={"assistant_id": "agent", "input": human("stateless"), "metadata": api.tag, "on_completion": "keep"},
        )
    }
    run = found["created"].json() if found["created"].status == 200 else {}
    if run.get("thread_id"):
        api.cert.track_thread(run["thread_id"])
        found["final"] = _settle(api, run["thread_id"], run["run_id"])
        found["state"] = api.client.get(f"/threads/{run['thread_id']}/state")
    return found


def _wait(api: Api, graph: str, on_completion: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"assistant_id": graph, "input": human(f"wait {graph}"), "metadata": api.tag}
    if on_completion:
        body["on_completion"] = on_completion
    answer = api.client.post("/runs/wait", json=body)
    thread_id, run_id = location_ids(answer)
    found: dict[str, Any] = {"answer": answer, "thread_id": thread_id, "run_id": run_id}
    if thread_id:
        api.cert.track_thread(thread_id)
        found["thread"] = _gone(api, thread_id) if on_completion != "keep" else api.client.get(f"/threads/{thread_id}")
        if on_completion == "keep" and run_id:
            found["run"] = api.client.get(f"/threads/{thread_id}/runs/{run_id}")
    return found


def _stream(api: Api) -> dict[str, Any]:
    exchange, events, ended = api.client.stream(
        "POST",
        "/runs/stream",
        json_body={"assistant_id": "agent", "input": human("stream"), "stream_mode": ["values"], "metadata": api.tag},
        seconds=max(api.run_timeout, 5.0),
    )
    return {"exchange": exchange, "events": events, "ended": ended}


def _batch(api: Api) -> dict[str, Any]:
    items = [
        {"assistant_id": "agent", "input": human("batch"), "metadata": api.tag, "on_completion": "keep"},
        {"assistant_id": "fail", "input": human("batch"), "metadata": api.tag, "on_completion": "keep"},
    ]
    found: dict[str, Any] = {"created": api.client.post("/runs/batch", json=items), "finals": []}
    runs = found["created"].json() if found["created"].status == 200 else []
    for run in runs if isinstance(runs, list) else []:
        if isinstance(run, dict) and run.get("thread_id"):
            api.cert.track_thread(run["thread_id"])
            found["finals"].append(_settle(api, run["thread_id"], run["run_id"]))
    return found


@pytest.fixture(scope="module")
def stateless(certification, contract) -> dict[str, Any]:
    api = Api.for_session(certification, contract)
    with ThreadPoolExecutor(6) as pool:
        jobs = {
            "background": pool.submit(_background, api),
            "wait-default": pool.submit(_wait, api, "agent", None),
            "wait-keep": pool.submit(_wait, api, "agent", "keep"),
            "wait-fail": pool.submit(_wait, api, "fail", "delete"),
            "stream": pool.submit(_stream, api),
            "batch": pool.submit(_batch, api),
        }
        return {name: job.result() for name, job in jobs.items()}


def _expect_located(found: dict[str, Any]) -> None:
    """The wait's answer named its temporary thread (Content-Location), so the thread can be looked at."""
    unnamed, answer = "POST /runs/wait: no Content-Location names the thread", found["answer"]
    # The wait's body is the values: only the (optional) header names the thread, as the official server
    # sends it; without it the thread cannot be looked at, so the test stops there (not reached).
    rule = "RUNS-CONTENT-LOCATION"
    expect_true(found["thread_id"], rule=rule, message=unnamed, expected=LOCATION, exchange=answer, stop=True)


def test_background_run_reaches_success(stateless, contract):
    """POST /runs answers a run on a temporary thread, which reaches success with the echo."""
    found = stateless["background"]
    run = contract.validate(found["created"], "POST /runs", status=200, rule="STATELESS-RUN")
    no_thread = "POST /runs: the run names no thread"
    expect_type(run.get("thread_id"), str, rule="STATELESS-RUN", message=no_thread, exchange=found["created"])
    final = contract.validate(found["final"], RUN, status=200, rule="RUNS-GET")
    expect_equal(final.get("status"), "success", rule="STATELESS-RUN", exchange=found["final"])
    state = contract.validate(found["state"], "GET /threads/{thread_id}/state", status=200, rule="STATE-GET")
    last = last_message(state.get("values")).get("content")
    expect_equal(last, f"{ECHO_PREFIX}stateless", rule="STATELESS-RUN", exchange=found["state"])


def test_wait_answers_the_final_values(stateless, contract):
    """POST /runs/wait answers the final values."""
    found = stateless["wait-default"]
    values = contract.validate(found["answer"], "POST /runs/wait", status=200, rule="STATELESS-WAIT")
    last = last_message(values).get("content")
    expect_equal(last, f"{ECHO_PREFIX}wait agent", rule="STATELESS-WAIT", exchange=found["answer"])


def test_wait_on_failing_graph_answers_the_error(stateless, contract):
    """POST /runs/wait of a failing graph answers the error it ended with."""
    found = stateless["wait-fail"]
    body = contract.validate(found["answer"], "POST /runs/wait", rule="STATELESS-WAIT")
    answer = found["answer"]
    named = FAILURE_MESSAGE in answer.text and not (isinstance(body, dict) and "messages" in body)
    unnamed = "POST /runs/wait on a failing graph does not answer the graph's error"
    wanted = f"an error naming {FAILURE_MESSAGE!r}"
    expect_true(named, rule="STATELESS-WAIT", message=unnamed, expected=wanted, actual=body, exchange=answer)


@pytest.mark.parametrize("case", ["wait-default", "wait-fail"])
def test_on_completion_delete_removes_the_thread(stateless, contract, case):
    """on_completion delete (the default): the temporary thread is gone once the run has ended."""
    found = stateless[case]
    _expect_located(found)
    contract.validate(found["thread"], "GET /threads/{thread_id}", status=404, rule="STATELESS-ON-COMPLETION")


def test_on_completion_keep_leaves_the_thread(stateless, contract):
    """on_completion keep: the temporary thread is kept, with the finished run."""
    found = stateless["wait-keep"]
    _expect_located(found)
    thread = contract.validate(found["thread"], "GET /threads/{thread_id}", status=200, rule="STATELESS-ON-COMPLETION")
    last = last_message(thread.get("values")).get("content")
    expect_equal(last, f"{ECHO_PREFIX}wait agent", rule="STATELESS-ON-COMPLETION", exchange=found["thread"])
    run = contract.validate(found["run"], RUN, status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "success", rule="STATELESS-ON-COMPLETION", exchange=found["run"])


def test_stream_starts_with_metadata_and_ends_with_the_run(stateless, contract):
    """POST /runs/stream: metadata naming the run first, values only, the echo last, then the end."""
    found = stateless["stream"]
    exchange, events = found["exchange"], found["events"]
    contract.validate(exchange, "POST /runs/stream", status=200, rule="STATELESS-STREAM")
    names = [e.name for e in events]
    metadata = next((e.data for e in events if e.name == "metadata"), None)
    framed = found["ended"] and set(names) == {"metadata", "values"}
    framed = framed and isinstance(metadata, dict) and metadata.get("run_id")
    unframed = "POST /runs/stream is not a metadata event (with the run id) and values, ending with the run"
    wanted = ["metadata", "values", "..."]
    expect_true(framed, rule="STATELESS-STREAM", message=unframed, expected=wanted, actual=names, exchange=exchange)
    not_first = "POST /runs/stream: the metadata event is not the first"
    expect_equal(names[:1], ["metadata"], rule="STREAM-METADATA-ORDER", message=not_first, exchange=exchange)
    last = last_message(events[-1].data).get("content")
    expect_equal(last, f"{ECHO_PREFIX}stream", rule="STATELESS-STREAM", exchange=exchange)


def test_batch_runs_each_reach_their_final_status(stateless, contract):
    """POST /runs/batch: one run per item, each final (the echo success, the failing graph error)."""
    found = stateless["batch"]
    runs = contract.validate(found["created"], "POST /runs/batch", status=200, rule="STATELESS-BATCH")
    per_item, uneven = isinstance(runs, list) and len(runs) == 2, "POST /runs/batch: not one run per item"
    created = found["created"]
    expect_true(per_item, rule="STATELESS-BATCH", message=uneven, expected="2 runs", actual=runs, exchange=created)
    statuses = [f.json().get("status") if f.status == 200 else f.status for f in found["finals"]]
    expect_equal(statuses, ["success", "error"], rule="STATELESS-BATCH", exchange=found["created"])


BAD: dict[str, tuple[str, Any]] = {
    "runs-no-assistant": ("/runs", {"input": {}}),
    "runs-on-completion": ("/runs", {"assistant_id": "agent", "input": {}, "on_completion": "archive"}),
    "wait-stream-mode": ("/runs/wait", {"assistant_id": "agent", "input": {}, "stream_mode": "everything"}),
    "batch-not-a-list": ("/runs/batch", {"assistant_id": "agent", "input": {}}),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_stateless_body_is_422(api, name):
    """A stateless run body the document rejects answers 422 with an ErrorResponse."""
    path, body = BAD[name]
    exchange = api.client.post(path, json=body)
    api.contract.validate(exchange, f"POST {path}", status=422, rule="RUNS-BAD-BODY")

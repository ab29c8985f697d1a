"""What a run is given reaches the graph: config.configurable and context (the ``configured`` graph
records both), metadata is kept on the run, checkpoint forks from an earlier checkpoint, after_seconds
keeps the run pending, and every durability is accepted. The runs proceed side by side."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conformance.contract.checks import expect_equal, expect_true
from conformance.contract.client import Exchange
from conformance.graphs import ECHO_PREFIX, STEP_NODES
from conformance.tests.flows import POLL_INTERVAL, Api, human, location_ids
from conformance.tests.values import last_message

pytestmark = pytest.mark.area("runs-options")

WAIT = "POST /threads/{thread_id}/runs/wait"
RUN = "GET /threads/{thread_id}/runs/{run_id}"
AFTER_SECONDS = 2.0
TOLERANCE = 0.25  # the server's clock starts before our answer arrives
DURABILITIES = ("sync", "async", "exit")
LOCATION = "Content-Location: /threads/{thread_id}/runs/{run_id}"


def _wait(api: Api, scenario: str, body: dict) -> Exchange:
    thread_id = api.create_thread({"scenario": scenario})["thread_id"]
    return api.client.post(f"/threads/{thread_id}/runs/wait", json=body)


def _metadata(api: Api, note: str) -> dict[str, Exchange]:
    answer = _wait(
        api, "options-metadata", {"assistant_id": "agent", "input": human("meta"), "metadata": {"run_note": note}}
    )
    thread_id, run_id = location_ids(answer)
    if not run_id:
        return {"answer": answer}
    return {"answer": answer, "run": api.client.get(f"/threads/{thread_id}/runs/{run_id}")}


def _fork(api: Api) -> dict[str, Any]:
    thread_id = api.create_thread({"scenario": "options-checkpoint"})["thread_id"]
    found: dict[str, Any] = {}
    found["first"] = api.client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "steps", "input": human("one")}
    )
    found["history"] = api.client.post(f"/threads/{thread_id}/history", json={"limit": 10})
    history = found["history"].json() if found["history"].status == 200 else []
    middle = [h for h in history if isinstance(h, dict) and h.get("next") == [STEP_NODES[1]]]
    if middle:
        found["checkpoint"] = middle[0].get("checkpoint")
        found["fork"] = api.client.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "steps", "input": human("two"), "checkpoint": found["checkpoint"]},
        )
    return found


def _delayed(api: Api) -> dict[str, Any]:
    thread_id = api.create_thread({"scenario": "options-after-seconds"})["thread_id"]
    found: dict[str, Any] = {}
    created = api.client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "agent", "input": human("later"), "after_seconds": AFTER_SECONDS},
    )
    answered = time.monotonic()
    found["created"] = created
    if created.status != 200:
        return found
    run_id = created.json().get("run_id")
    deadline = answered + AFTER_SECONDS + api.run_timeout
    seen = []
    while True:
        exchange = api.client.get(f"/threads/{thread_id}/runs/{run_id}")
        status = exchange.json().get("status") if exchange.status == 200 else exchange.status
        if not seen or seen[-1][0] != status:
            seen.append((status, round(time.monotonic() - answered, 2)))
        if status in ("success", "error", "timeout", "interrupted") or time.monotonic() >= deadline:
            found["final"] = exchange
            break
        time.sleep(POLL_INTERVAL)
    found["seen"] = seen
    return found


@pytest.fixture(scope="module")
def options(certification, contract) -> dict[str, Any]:
    api = Api.for_session(certification, contract)
    note = f"note-{api.new_id()}"
    value = {"probe": f"configurable-{note}"}
    context = {"probe": f"context-{note}"}
    with ThreadPoolExecutor(8) as pool:
        jobs = {
            "configurable": pool.submit(
                _wait,
                api,
                "options-configurable",
                {"assistant_id": "configured", "input": human("cfg"), "config": {"configurable": value}},
            ),
            "context": pool.submit(
                _wait, api, "options-context", {"assistant_id": "configured", "input": human("ctx"), "context": context}
            ),
            "metadata": pool.submit(_metadata, api, note),
            "fork": pool.submit(_fork, api),
            "delayed": pool.submit(_delayed, api),
            **{
                f"durability-{d}": pool.submit(
                    _wait, api, f"options-durability-{d}", {"assistant_id": "agent", "input": human(d), "durability": d}
                )
                for d in DURABILITIES
            },
        }
        found = {name: job.result() for name, job in jobs.items()}
    found["sent"] = {"configurable": value, "context": context, "note": note}
    return found


def _seen(exchange: Exchange, contract, rule: str) -> dict:
    values = contract.validate(exchange, WAIT, status=200, rule=rule)
    seen = values.get("seen") if isinstance(values, dict) else None
    return seen if isinstance(seen, dict) else {}


def test_configurable_reaches_the_graph(options, contract):
    """config.configurable given to the run is what the graph's config holds."""
    exchange = options["configurable"]
    seen = _seen(exchange, contract, "RUNS-CONFIGURABLE")
    sent = options["sent"]["configurable"]
    got = {k: (seen.get("configurable") or {}).get(k) for k in sent}
    expect_equal(got, sent, rule="RUNS-CONFIGURABLE", exchange=exchange)


def test_context_reaches_the_graph(options, contract):
    """context given to the run is the graph's runtime context."""
    exchange = options["context"]
    seen = _seen(exchange, contract, "RUNS-CONTEXT")
    sent = options["sent"]["context"]
    expect_equal({k: (seen.get("context") or {}).get(k) for k in sent}, sent, rule="RUNS-CONTEXT", exchange=exchange)


def test_metadata_is_kept_on_the_run(options, contract):
    """The metadata given to the run comes back on the run."""
    found = options["metadata"]
    contract.validate(found["answer"], WAIT, status=200, rule="RUNS-WAIT")
    unnamed = "POST .../runs/wait: no Content-Location names the run"
    located, rule = "run" in found, "RUNS-CONTENT-LOCATION"  # the official server's (optional) header
    expect_true(located, rule=rule, message=unnamed, expected=LOCATION, exchange=found["answer"], stop=True)
    run = contract.validate(found["run"], RUN, status=200, rule="RUNS-GET")
    note = (run.get("metadata") or {}).get("run_note")
    expect_equal(note, options["sent"]["note"], rule="RUNS-METADATA", exchange=found["run"])


def test_checkpoint_forks_the_state(options, contract):
    """A run given the checkpoint after the first node starts there: first once, then the new run."""
    found = options["fork"]
    contract.validate(found["history"], "POST /threads/{thread_id}/history", status=200, rule="RUNS-CHECKPOINT")
    history, none = found["history"], f"no checkpoint in the history has next = [{STEP_NODES[1]!r}]"
    forked, wanted = "fork" in found, f"a checkpoint between {STEP_NODES[0]} and {STEP_NODES[1]}"
    excerpt = history.text[:300]
    expect_true(forked, rule="RUNS-CHECKPOINT", message=none, expected=wanted, actual=excerpt, exchange=history)
    values = contract.validate(found["fork"], WAIT, status=200, rule="RUNS-CHECKPOINT")
    # from the latest checkpoint the steps would be first, second, first, second
    steps = (values or {}).get("steps")
    expect_equal(steps, [STEP_NODES[0], *STEP_NODES], rule="RUNS-CHECKPOINT", exchange=found["fork"])


def test_after_seconds_keeps_the_run_pending(options, contract):
    """after_seconds: the run stays pending until then, and runs afterwards."""
    found = options["delayed"]
    contract.validate(found["created"], "POST /threads/{thread_id}/runs", status=200, rule="RUNS-CREATE")
    run = contract.validate(found["final"], RUN, status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "success", rule="RUNS-AFTER-SECONDS", exchange=found["final"])
    left = next((t for status, t in found["seen"] if status != "pending"), None)
    waited = left is not None and left >= AFTER_SECONDS - TOLERANCE
    early = f"the run left pending before after_seconds={AFTER_SECONDS:g} had passed"
    wanted = f"pending for at least {AFTER_SECONDS - TOLERANCE:g} s after the create answer"
    seen, final = found["seen"], found["final"]
    expect_true(waited, rule="RUNS-AFTER-SECONDS", message=early, expected=wanted, actual=seen, exchange=final)


@pytest.mark.parametrize("durability", DURABILITIES)
def test_durability_is_accepted_and_the_run_succeeds(options, contract, durability):
    """Each documented durability is accepted and the run succeeds."""
    exchange = options[f"durability-{durability}"]
    values = contract.validate(exchange, WAIT, status=200, rule="RUNS-DURABILITY")
    last = last_message(values).get("content")
    expect_equal(last, f"{ECHO_PREFIX}{durability}", rule="RUNS-DURABILITY", exchange=exchange)

"""Correct on a busy shared server: the same verdict whatever else the server holds, and nothing foreign touched.

A fresh reference is filled with other clients' data of every kind, in quantity, shaped to confuse a
suite that looks at "the first page" or "the newest": assistants of every fixture graph (some with the
suite's own names and metadata keys), threads in every status (many never run, so their values are null),
runs in progress on foreign threads, crons, and store items beside the suite's namespace. Certified then,
property layer included, every test must end as it does on an empty server, and every foreign item must
still be there.

How an empty server's verdict is known without certifying one more time: it is the reference's gate. On
an empty reference every test passes or fails with exactly the findings its list names (the README's
first command proves that, and so does tests/test_reference.py), so a busy certification that passes the
same gate with every test "passed" or "expected failure" ended test by test as the empty one does. Only a
test that ends otherwise is run again, alone, on an empty reference, to tell whether the busy server
changed it. That is one full certification instead of two: the longest self-test, halved.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from conformance.graphs import GRAPHS
from conformance.plugin.expected import load
from conformance.targets import reference
from tests.runner import run_suite

REFERENCE_LIST = "reports/langgraph-api-0.16.7-inmem/expected-failures.yaml"
ASSISTANTS_PER_GRAPH = 30
THREADS = {"never-run": 150, "agent": 50, "interrupt": 40, "fail": 40}  # 280, plus the busy ones
BUSY_THREADS = 3  # slow runs kept in progress all along (the reference runs 10 at a time)
NEVER_SOON = "0 0 1 1 *"


@dataclass
class Foreign:
    owner: str = field(default_factory=lambda: f"someone-else-{uuid.uuid4().hex[:8]}")
    assistants: list[str] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)
    busy_runs: list[tuple[str, str]] = field(default_factory=list)
    crons: list[str] = field(default_factory=list)
    store: list[tuple[list[str], str]] = field(default_factory=list)


def _human(text: str) -> dict:
    return {"messages": [{"role": "human", "content": text}]}


def _ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def fill(http: httpx.Client) -> Foreign:
    """Other clients' data: what a deployment used by others holds. Returns what to look for afterwards."""
    foreign = Foreign()
    for graph in GRAPHS:
        for i in range(ASSISTANTS_PER_GRAPH):
            # The suite's own metadata key with another session's value, and the property layer's name.
            metadata = {"conformance_session": foreign.owner, "role": "idle", "owner": foreign.owner}
            name = "conformance property layer" if i % 3 == 0 else f"{graph} assistant {i}"
            body = {"graph_id": graph, "metadata": metadata, "name": name, "config": {"tags": [f"t{i}"]}}
            foreign.assistants.append(_ok(http.post("/assistants", json=body))["assistant_id"])
    runs: list[tuple[str, str]] = []
    for kind, count in THREADS.items():
        for i in range(count):
            metadata = {"conformance_session": foreign.owner, "role": kind, "purpose": "background-run", "i": i}
            thread = _ok(http.post("/threads", json={"metadata": metadata}))["thread_id"]
            foreign.threads.append(thread)
            if kind != "never-run":
                run = _ok(http.post(f"/threads/{thread}/runs", json={"assistant_id": kind, "input": _human("x")}))
                runs.append((thread, run["run_id"]))
    for _ in range(BUSY_THREADS):
        thread = _ok(http.post("/threads", json={"metadata": {"owner": foreign.owner, "role": "busy"}}))["thread_id"]
        run = _ok(
            http.post(f"/threads/{thread}/runs", json={"assistant_id": "slow", "input": _human("x") | {"seconds": 900}})
        )
        foreign.threads.append(thread)
        foreign.busy_runs.append((thread, run["run_id"]))
    for i in range(5):
        body = {"assistant_id": foreign.assistants[i], "schedule": NEVER_SOON, "metadata": {"owner": foreign.owner}}
        foreign.crons.append(_ok(http.post("/runs/crons", json=body))["cron_id"])
    for i in range(20):
        namespace = ["conformance", foreign.owner] if i % 2 else ["foreign", str(i)]
        key = f"k{i}"
        assert http.put("/store/items", json={"namespace": namespace, "key": key, "value": {"i": i}}).status_code in (
            200,
            204,
        )
        foreign.store.append((namespace, key))
    deadline = time.monotonic() + 180
    for thread, run in runs:  # the foreign runs finish before the certification starts
        while time.monotonic() < deadline:
            status = _ok(http.get(f"/threads/{thread}/runs/{run}"))["status"]
            if status not in ("pending", "running"):
                break
            time.sleep(0.2)  # poll interval, bounded by the deadline
    assert time.monotonic() < deadline, "the foreign runs did not finish within 180 s"
    return foreign


def missing(http: httpx.Client, foreign: Foreign) -> list[str]:
    gone = [f"assistant {a}" for a in foreign.assistants if http.get(f"/assistants/{a}").status_code != 200]
    gone += [f"thread {t}" for t in foreign.threads if http.get(f"/threads/{t}").status_code != 200]
    gone += [f"cron {c}" for c in foreign.crons if http.get(f"/runs/crons/{c}").status_code != 200]
    for namespace, key in foreign.store:
        if http.get("/store/items", params={"namespace": ".".join(namespace), "key": key}).status_code != 200:
            gone.append(f"store item {namespace}/{key}")
    for thread, run in foreign.busy_runs:
        if _ok(http.get(f"/threads/{thread}/runs/{run}"))["status"] not in ("pending", "running"):
            gone.append(f"busy run {run} (no longer in progress: cancelled by the suite?)")
    return gone


@pytest.fixture(scope="module")
def fresh_reference():
    running = reference.start()
    try:
        yield running.url
    finally:
        running.stop()


def _intermittent_tests() -> set[str]:
    """Tests whose every listed finding is met only sometimes (`strict: false`): in either run they may
    pass or end with those findings, so "expected failure" and "passed" are the same verdict for them."""
    entries = load(Path(REFERENCE_LIST))
    tests = {entry.test for entry in entries}
    return {test for test in tests if all(not e.strict for e in entries if e.test == test)}


def _same(test: str, was: str | None, now: str | None, intermittent: set[str]) -> bool:
    if was == now:
        return True
    either = {"expected failure", "passed"}
    return was in either and now in either and any(test.endswith(name) for name in intermittent)


VERDICTS = ("passed", "expected failure")  # what every test of the reference ends as on an empty server


def _node(test_id: str) -> str:
    """A results.json id as run_suite takes it: relative to conformance/tests."""
    return test_id.split("conformance/tests/", 1)[-1]


def test_same_outcomes_on_a_busy_server_and_nothing_foreign_touched(fresh_reference, tmp_path):
    with httpx.Client(base_url=fresh_reference, timeout=30) as http:
        foreign = fill(http)
        busy = run_suite(tmp_path / "busy", f"--target-url={fresh_reference}", f"--expected-failures={REFERENCE_LIST}")
        outcomes = busy.outcomes()
        assert outcomes, f"the busy certification reported no test:\n{busy.output[-3000:]}"
        suspects = sorted(test for test, outcome in outcomes.items() if outcome not in VERDICTS)
        if suspects:  # what these end as on an empty server tells whether the busy server changed them
            empty_reference = reference.start()
            try:
                empty = run_suite(
                    tmp_path / "empty",
                    f"--target-url={empty_reference.url}",
                    f"--expected-failures={REFERENCE_LIST}",
                    tests=[_node(test) for test in suspects],
                )
            finally:
                empty_reference.stop()
            intermittent = _intermittent_tests()
            changed = {
                test: (empty.outcomes().get(test), outcomes[test])
                for test in suspects
                if not _same(test, empty.outcomes().get(test), outcomes[test], intermittent)
            }
            assert not changed, "outcomes that depend on what else the server holds:\n" + "\n".join(
                f"  {test}: {was} empty, {now} busy: {(busy.find(test) or {}).get('detail', {}).get('message', '')}"
                for test, (was, now) in sorted(changed.items())
            )
        assert busy.returncode == 0, f"the busy reference did not pass its gate:\n{busy.output[-3000:]}"
        gone = missing(http, foreign)
        assert not gone, "the certification touched other clients' data:\n  " + "\n  ".join(gone[:20])
        for thread, run in foreign.busy_runs:
            http.post(f"/threads/{thread}/runs/{run}/cancel")

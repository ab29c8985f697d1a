"""The fixture graphs both ways: the Python graphs on the reference and the TypeScript graphs on the JS
Agent Server (langgraphjs) answer the same probes alike.

Each probe runs one graph on a new thread and reduces what came back to what the graph decides (message
types and contents, state keys, next nodes, interrupt values, custom stream events, the run's status),
leaving out what the server decides (ids, timestamps, server-injected config keys). Where the two
servers differ as servers (the JS server answers an interrupted /runs/wait with no values, for one), the
probe reads the thread's state instead. Needs node and npm; without them this test skips, saying so.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.graphs import CUSTOM_EVENTS, FAILURE_MESSAGE, GRAPHS, INTERRUPT_QUESTION
from conformance.targets import langgraphjs

TIMEOUT = 60.0
HELLO = {"messages": [{"role": "human", "content": "hello parity"}]}


@pytest.fixture(scope="module")
def js_url():
    missing = langgraphjs.node_missing()
    if missing:
        pytest.skip(f"the JS fixture graphs cannot be checked here: {missing}")
    root = Path(tempfile.mkdtemp(prefix="conformance-parity-"))
    server = langgraphjs.LanggraphJs(root)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _values(values: Any) -> Any:
    """State values without ids: messages as (type, content) pairs."""
    if not isinstance(values, dict):
        return values
    reduced = dict(values)
    if isinstance(reduced.get("messages"), list):
        reduced["messages"] = [[m.get("type"), m.get("content")] for m in reduced["messages"]]
    return reduced


class Probe:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=TIMEOUT)

    def thread(self) -> str:
        return (
            self.http.post("/threads", json={"metadata": {"conformance": "parity"}})
            .raise_for_status()
            .json()["thread_id"]
        )

    def wait(self, thread_id: str, graph: str, **body: Any) -> Any:
        response = self.http.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": graph, **body})
        return response.raise_for_status().json()

    def state(self, thread_id: str) -> dict[str, Any]:
        return self.http.get(f"/threads/{thread_id}/state").raise_for_status().json()

    def final(self, graph: str, **body: Any) -> Any:
        thread_id = self.thread()
        self.wait(thread_id, graph, **body)
        return _values(self.state(thread_id)["values"])

    def run_status(self, thread_id: str) -> str:
        end = time.monotonic() + TIMEOUT
        while time.monotonic() < end:
            runs = self.http.get(f"/threads/{thread_id}/runs").raise_for_status().json()
            if runs and runs[0]["status"] not in ("pending", "running"):
                return runs[0]["status"]
            time.sleep(0.2)  # poll interval, bounded by the deadline
        return "still running"

    # ------------------------------------------------------------------------------------------ the probes
    def agent(self) -> Any:
        return self.final("agent", input=HELLO)

    def steps(self) -> Any:
        return self.final("steps", input=HELLO)

    def slow(self) -> Any:
        return self.final("slow", input={**HELLO, "seconds": 0.2})

    def configured(self) -> Any:
        by_context = self.final("configured", input=HELLO, context={"colour": "green"})
        by_config = self.final("configured", input=HELLO, config={"configurable": {"size": 3}})
        return {
            "context": by_context.get("seen", {}).get("context"),
            "configurable has size": by_config.get("seen", {}).get("configurable", {}).get("size"),
            "messages": by_context.get("messages"),
            "keys": sorted(by_context),
        }

    def interrupt(self) -> Any:
        thread_id = self.thread()
        self.wait(thread_id, "interrupt", input=HELLO)
        paused = self.state(thread_id)
        tasks = [[t.get("name"), [i.get("value") for i in t.get("interrupts") or []]] for t in paused["tasks"]]
        self.wait(thread_id, "interrupt", command={"resume": "yes"})
        return {
            "paused values": _values(paused["values"]),
            "next": paused["next"],
            "tasks": tasks,
            "resumed values": _values(self.state(thread_id)["values"]),
        }

    def fail(self) -> Any:
        thread_id = self.thread()
        self.http.post(f"/threads/{thread_id}/runs", json={"assistant_id": "fail", "input": HELLO}).raise_for_status()
        status = self.run_status(thread_id)
        thread = self.http.get(f"/threads/{thread_id}").raise_for_status().json()
        state = self.state(thread_id)
        errors = " ".join(str(t.get("error")) for t in state.get("tasks") or [])
        return {"run": status, "thread": thread["status"], "task error names the failure": FAILURE_MESSAGE in errors}

    def custom(self) -> Any:
        thread_id = self.thread()
        events: list[Any] = []
        body = {"assistant_id": "custom", "input": HELLO, "stream_mode": ["custom"]}
        with self.http.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response:
            event = None
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "custom":
                    events.append(json.loads(line.split(":", 1)[1]))
                if len(events) > 10:
                    break
        return {"custom events": events, "values": _values(self.state(thread_id)["values"])}

    def all(self) -> dict[str, Any]:
        probes: dict[str, Callable[[], Any]] = {name: getattr(self, name) for name in GRAPHS}
        with ThreadPoolExecutor(max_workers=len(probes)) as pool:
            futures = {name: pool.submit(fn) for name, fn in probes.items()}
            return {name: future.result() for name, future in futures.items()}


def test_python_and_js_fixture_graphs_answer_alike(reference_url, js_url):
    """Every fixture graph gives the same answers on the reference (Python) and on langgraphjs (TypeScript)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        python_side, js_side = (f.result() for f in [pool.submit(Probe(u).all) for u in (reference_url, js_url)])
    assert set(python_side) == set(GRAPHS)
    differing = {
        name: {"python": python_side[name], "js": js_side[name]}
        for name in GRAPHS
        if python_side[name] != js_side[name]
    }
    assert not differing, "the fixture graphs differ:\n" + json.dumps(differing, indent=1, default=str)
    # and both do what conformance/graphs/__init__.py says they do
    assert python_side["custom"]["custom events"] == list(CUSTOM_EVENTS)
    assert python_side["interrupt"]["tasks"] == [["review", [INTERRUPT_QUESTION]]]
    assert python_side["fail"] == {"run": "error", "thread": "error", "task error names the failure": True}

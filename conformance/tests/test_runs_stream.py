"""Streaming a run: POST .../runs/stream for every documented stream_mode and a list of several, the
error event of a failing graph, subgraph namespaces, and joining / resuming the stream of a run.

All streams are read side by side in one module fixture (each is bounded in events, bytes and seconds),
then each test checks one property of what was read.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.contract.checks import expect_equal, expect_in, expect_subset, expect_true
from conformance.contract.client import Exchange
from conformance.contract.sse import SseEvent
from conformance.graphs import (
    CUSTOM_EVENTS,
    ECHO_PREFIX,
    FAILURE_MESSAGE,
    INTERRUPT_OUTER_NODE,
    STEP_NODES,
)
from conformance.tests.flows import Api, human, location_ids
from conformance.tests.values import contents

pytestmark = pytest.mark.area("runs-stream")

STREAM = "POST /threads/{thread_id}/runs/stream"
ALWAYS = {"metadata"}  # events a stream may carry whatever the modes asked; "error" only when the run fails
FAILING = {"fail"}  # the cases whose graph raises, so that an error event belongs in their stream

# case -> (graph, stream_mode (None: not sent), extra body fields)
CASES: dict[str, tuple[str, Any, dict]] = {
    "values": ("steps", "values", {}),
    "updates": ("steps", "updates", {}),
    "custom": ("custom", "custom", {}),
    "messages-tuple": ("agent", "messages-tuple", {}),
    "messages": ("agent", "messages", {}),
    "debug": ("agent", "debug", {}),
    "tasks": ("agent", "tasks", {}),
    "checkpoints": ("steps", "checkpoints", {}),
    "events": ("agent", "events", {}),
    "updates+custom": ("custom", ["updates", "custom"], {}),
    "default": ("steps", None, {}),
    "fail": ("fail", "values", {}),
    "subgraphs": ("interrupt", ["updates"], {"stream_subgraphs": True}),
}
SUCCEEDING = [c for c in CASES if c not in ("fail", "subgraphs")]
TEXT = "stream me"


@dataclass
class Streamed:
    case: str
    thread_id: str
    body: dict
    exchange: Exchange
    events: list[SseEvent]
    ended: bool
    run: Exchange | None = None

    @property
    def run_id(self) -> str | None:
        first = self.events[0] if self.events else None
        if first is not None and first.name == "metadata" and isinstance(first.data, dict):
            return first.data.get("run_id")
        return location_ids(self.exchange)[1]

    def of(self, mode: str) -> list[Any]:
        return [e.data for e in self.events if e.name == mode]


@dataclass
class Joined:
    thread_id: str
    run_id: str
    created: Exchange
    joined: tuple[Exchange, list[SseEvent], bool]
    resumed: tuple[Exchange, list[SseEvent], bool] | None = None
    replay: tuple[Exchange, list[SseEvent], bool] | None = None
    extra: dict = field(default_factory=dict)


def _stream(api: Api, case: str, seconds: float) -> Streamed:
    graph, mode, extra = CASES[case]
    thread_id = api.create_thread({"scenario": f"stream-{case}"})["thread_id"]
    body: dict[str, Any] = {"assistant_id": graph, "input": human(TEXT), **extra}
    if mode is not None:
        body["stream_mode"] = mode
    exchange, events, ended = api.client.stream(
        "POST", f"/threads/{thread_id}/runs/stream", json_body=body, seconds=seconds
    )
    streamed = Streamed(case, thread_id, body, exchange, events, ended)
    if streamed.run_id:
        streamed.run = api.client.get(f"/threads/{thread_id}/runs/{streamed.run_id}")
    return streamed


JOIN_AFTER_SECONDS = 2  # the joined run starts this late, so the join is always there before its first event


def _join(api: Api, seconds: float) -> Joined:
    """A client joins a resumable background run's stream as the guide does, before the run has begun, then
    rejoins with Last-Event-ID. ``after_seconds`` makes "before the run has begun" certain: otherwise the
    order of the join and the run's first event is a race, and a server whose resumability depends on it
    (the JS server keeps the events only when the run's first event comes first) passes or fails by luck.
    """
    thread_id = api.create_thread({"scenario": "stream-join"})["thread_id"]
    created = api.client.post(
        f"/threads/{thread_id}/runs",
        json={
            "assistant_id": "slow",
            "input": human(TEXT, seconds=2),
            "stream_mode": ["values", "updates"],
            "stream_resumable": True,
            "after_seconds": JOIN_AFTER_SECONDS,
        },
    )
    run = api.contract.validate(created, "POST /threads/{thread_id}/runs", status=200, rule="RUNS-CREATE")
    path = f"/threads/{thread_id}/runs/{run['run_id']}/stream"
    joined = Joined(thread_id, run["run_id"], created, api.client.stream("GET", path, seconds=seconds))
    ids = [e.get("id") for e in joined.joined[1]]
    if ids and ids[0]:
        joined.resumed = api.client.stream("GET", path, headers={"Last-Event-ID": ids[0]}, seconds=seconds)
    return joined


@pytest.fixture(scope="module")
def streams(certification, contract) -> dict[str, Any]:
    api = Api.for_session(certification, contract)
    seconds = max(api.run_timeout, 5.0)
    with ThreadPoolExecutor(len(CASES) + 1) as pool:
        futures = {case: pool.submit(_stream, api, case, seconds) for case in CASES}
        join = pool.submit(_join, api, seconds)
        found: dict[str, Any] = {case: f.result() for case, f in futures.items()}
        found["join"] = join.result()
    return found


def _framed(s: Streamed, contract, rule: str = "STREAM-FRAMING") -> None:
    contract.validate(s.exchange, STREAM, status=200, rule=rule)
    read = f"{len(s.events)} events, {len(s.exchange.text)} bytes read"
    message = f"{STREAM}: the stream did not end within its bounds (seconds, events, bytes)"
    expect_true(s.ended, rule="STREAM-FRAMING", message=message, actual=read, exchange=s.exchange)
    raw = [e for e in s.events if isinstance(e.data, str)]
    framed = s.events and not raw and all(e.get("event") for e in s.events)
    shown = raw[0] if raw else s.exchange.body_excerpt(300)
    message = f"{STREAM}: not a stream of named events with JSON data (event: <name> / data: <JSON> blocks)"
    expect_true(framed, rule="STREAM-FRAMING", message=message, actual=shown, exchange=s.exchange)


def _names(s: Streamed) -> list[str]:
    return [e.name for e in s.events]


@pytest.mark.parametrize("case", list(CASES))
def test_stream_is_framed_and_starts_with_metadata(streams, contract, case):
    """Every stream is SSE of named JSON events, ends by itself, and starts with metadata naming the run."""
    s = streams[case]
    _framed(s, contract)
    metadata = next((e for e in s.events if e.name == "metadata"), None)
    named = metadata is not None and isinstance(metadata.data, dict) and isinstance(metadata.data.get("run_id"), str)
    message = f"{STREAM}: no metadata event names the run"  # event: metadata, data: {run_id: ...}
    shown = [e.name for e in s.events][:10]
    expect_true(named, rule="STREAM-METADATA-FIRST", message=message, actual=shown, exchange=s.exchange)
    first = "the metadata event is not the first of the stream"  # the official server's order
    expect_equal(
        [e.name for e in s.events][:1], ["metadata"], rule="STREAM-METADATA-ORDER", message=first, exchange=s.exchange
    )
    located = location_ids(s.exchange)[1]
    if located and named:
        expect_equal(metadata.data["run_id"], located, rule="STREAM-METADATA-FIRST", exchange=s.exchange)


@pytest.mark.parametrize("case", [c for c in CASES if c != "subgraphs"])
def test_stream_carries_only_the_asked_modes(streams, contract, case):
    """Only events of the asked modes appear (besides metadata, and error where the run fails), and each asked
    mode appears."""
    s = streams[case]
    _framed(s, contract)
    mode = s.body.get("stream_mode", "values")
    modes = [mode] if isinstance(mode, str) else list(mode)
    wanted = {"messages" if m == "messages-tuple" else m for m in modes}

    def base(name: str) -> str:
        name = name.split("|", 1)[0]
        return "messages" if name.startswith("messages/") and "messages" in modes else name

    allowed = wanted | ALWAYS | ({"error"} if case in FAILING else set())
    seen = sorted({base(n) for n in _names(s)})
    message = f"{STREAM}: events of modes that were not asked for"
    expect_subset(seen, sorted(allowed), rule="STREAM-MODES", message=message, exchange=s.exchange)
    if case not in FAILING:  # a failing run may end before its first step
        message = f"{STREAM}: an asked stream mode produced no event"
        expect_subset(sorted(wanted), seen, rule="STREAM-MODES", message=message, exchange=s.exchange)


@pytest.mark.parametrize("case", SUCCEEDING)
def test_run_is_final_when_the_stream_ends(streams, contract, case):
    """When the stream has ended, the run is success."""
    s = streams[case]
    _framed(s, contract)
    run = contract.validate(s.run, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "success", rule="STREAM-END", exchange=s.run)


def _steps_of(state: Any) -> Any:
    return state.get("steps") if isinstance(state, dict) else None


@pytest.mark.parametrize("case", ["values", "default"])
def test_values_are_the_state_after_each_step(streams, contract, case):
    """values: the full state after each step; the last is the final state (stream_mode's default)."""
    s = streams[case]
    _framed(s, contract)
    steps = [_steps_of(v) for v in s.of("values")]
    each_step = steps[-3:] == [[], [STEP_NODES[0]], list(STEP_NODES)] or steps[-2:] == [
        [STEP_NODES[0]],
        list(STEP_NODES),
    ]
    wanted = f"states with steps [] (maybe absent), {[STEP_NODES[0]]}, {list(STEP_NODES)}"
    message = f"{STREAM}: values events are not the state after each step"
    expect_true(each_step, rule="STREAM-VALUES", message=message, expected=wanted, actual=steps, exchange=s.exchange)
    final = [TEXT, *(f"{ECHO_PREFIX}{n}" for n in STEP_NODES)]
    message = f"{STREAM}: the last values event is not the full final state"
    expect_equal(contents(s.of("values")[-1]), final, rule="STREAM-VALUES", message=message, exchange=s.exchange)


def test_updates_are_each_node_update(streams, contract):
    """updates: {node: update} per node, in order, each with the node's own update."""
    s = streams["updates"]
    _framed(s, contract)
    updates = s.of("updates")
    nodes = [next(iter(u)) if isinstance(u, dict) and len(u) == 1 else u for u in updates]
    expect_equal(nodes, list(STEP_NODES), rule="STREAM-UPDATES", exchange=s.exchange)
    for node, update in zip(STEP_NODES, updates, strict=True):
        expect_equal(update[node].get("steps"), [node], rule="STREAM-UPDATES", exchange=s.exchange)


@pytest.mark.parametrize("case", ["custom", "updates+custom"])
def test_custom_is_exactly_what_the_graph_wrote(streams, contract, case):
    """custom: exactly the values the graph wrote with its stream writer, in order."""
    s = streams[case]
    _framed(s, contract)
    expect_equal(s.of("custom"), [dict(e) for e in CUSTOM_EVENTS], rule="STREAM-CUSTOM", exchange=s.exchange)


def test_messages_tuple_is_message_and_metadata(streams, contract):
    """messages-tuple: [message, metadata] pairs, including the echo."""
    s = streams["messages-tuple"]
    _framed(s, contract)
    pairs = s.of("messages")
    shaped = [p for p in pairs if isinstance(p, list) and len(p) == 2 and all(isinstance(x, dict) for x in p)]
    message = f"{STREAM}: messages-tuple events are not [message, metadata] (for each event)"
    paired = bool(pairs) and len(shaped) == len(pairs)
    expect_true(paired, rule="STREAM-MESSAGES", message=message, actual=pairs, exchange=s.exchange)
    echo = "".join(str(m.get("content", "")) for m, _ in shaped if m.get("type") in ("ai", "AIMessageChunk"))
    message = f"{STREAM}: the messages-tuple events do not carry the echo"
    expect_equal(echo, f"{ECHO_PREFIX}{TEXT}", rule="STREAM-MESSAGES", message=message, exchange=s.exchange)


def test_messages_carry_the_echo(streams, contract):
    """messages: messages/* events carry the AI message the graph produced."""
    s = streams["messages"]
    _framed(s, contract)
    complete = [d for e in s.events if e.name in ("messages/complete", "messages/partial") for d in e.data or []]
    carried = [m.get("content") for m in complete if isinstance(m, dict)]
    message = f"{STREAM}: no messages/complete or messages/partial event carries the echo"
    expect_in(f"{ECHO_PREFIX}{TEXT}", carried, rule="STREAM-MESSAGES", message=message, exchange=s.exchange)


def test_debug_events_have_their_shape(streams, contract):
    """debug: {type, step, timestamp, payload} with checkpoint, task and task_result types."""
    s = streams["debug"]
    _framed(s, contract)
    debug = s.of("debug")
    bad = [d for d in debug if not (isinstance(d, dict) and {"type", "step", "timestamp", "payload"} <= set(d))]
    message = f"{STREAM}: a debug event lacks its fields ({{type, step, timestamp, payload}})"
    expect_true(debug and not bad, rule="STREAM-DEBUG", message=message, actual=bad or debug, exchange=s.exchange)
    types, wanted = sorted({d["type"] for d in debug}), ["checkpoint", "task", "task_result"]
    message = f"{STREAM}: debug event types missing"
    expect_subset(wanted, types, rule="STREAM-DEBUG", message=message, exchange=s.exchange)


def test_tasks_events_have_their_shape(streams, contract):
    """tasks: a start (id, name, input, triggers) and a result (id, name, error, result) for the node."""
    s = streams["tasks"]
    _framed(s, contract)
    tasks = [t for t in s.of("tasks") if isinstance(t, dict)]
    starts = [t for t in tasks if {"id", "name", "input", "triggers"} <= set(t)]
    results = [t for t in tasks if {"id", "name", "error", "result"} <= set(t)]
    names = ([t["name"] for t in starts], [t["name"] for t in results])
    paired = names == (["echo"], ["echo"]) and starts[0]["id"] == results[0]["id"] and results[0]["error"] is None
    wanted = "start {id, name: echo, input, triggers}, result {same id, name: echo, error: null, result}"
    message = f"{STREAM}: tasks events are not one start and one result of the echo node"
    expect_true(paired, rule="STREAM-TASKS", message=message, expected=wanted, actual=tasks, exchange=s.exchange)


def test_checkpoints_events_have_their_shape(streams, contract):
    """checkpoints: {config, metadata, values, next, tasks} per step; the last holds the final values."""
    s = streams["checkpoints"]
    _framed(s, contract)
    checkpoints = s.of("checkpoints")
    fields = {"config", "metadata", "values", "next", "tasks"}
    bad = [c for c in checkpoints if not (isinstance(c, dict) and fields <= set(c))]
    message, shown = f"{STREAM}: a checkpoint event lacks its fields", bad or checkpoints
    expect_true(checkpoints and not bad, rule="STREAM-CHECKPOINTS", message=message, actual=shown, exchange=s.exchange)
    last = checkpoints[-1]
    shown = {"values.steps": _steps_of(last["values"]), "next": last["next"]}
    final = {"values.steps": list(STEP_NODES), "next": []}
    message = f"{STREAM}: the last checkpoint is not the final state"
    expect_equal(shown, final, rule="STREAM-CHECKPOINTS", message=message, exchange=s.exchange)


def test_events_are_callback_events(streams, contract):
    """events: callback events {event, name, run_id, data}, from on_chain_start to on_chain_end."""
    s = streams["events"]
    _framed(s, contract)
    ex = s.exchange
    events = s.of("events")
    bad = [e for e in events if not (isinstance(e, dict) and {"event", "name", "run_id"} <= set(e))]
    kinds = [e.get("event") for e in events if isinstance(e, dict)]
    callbacks = events and not bad and kinds[0] == "on_chain_start" and kinds[-1] == "on_chain_end"
    message = f"{STREAM}: events events are not callback events from on_chain_start to on_chain_end"
    wanted = "{event, name, run_id, data}; first on_chain_start, last on_chain_end"
    expect_true(callbacks, rule="STREAM-EVENTS", message=message, expected=wanted, actual=bad or kinds, exchange=ex)


def test_failing_graph_streams_an_error_event(streams, contract):
    """A graph that raises: the stream ends with an error event naming the error; the run is error."""
    s = streams["fail"]
    _framed(s, contract)
    last = s.events[-1]
    named = last.name == "error" and FAILURE_MESSAGE in str(last.data)
    message = f"{STREAM}: the stream of a failing run does not end with an error event naming {FAILURE_MESSAGE!r}"
    expect_true(named, rule="STREAM-ERROR", message=message, actual=dict(last), exchange=s.exchange)
    run = contract.validate(s.run, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    expect_equal(run.get("status"), "error", rule="STREAM-ERROR", exchange=s.run)


def test_subgraph_events_are_namespaced(streams, contract):
    """stream_subgraphs=true: the subgraph's events are named "updates|<node>:<task id>"."""
    s = streams["subgraphs"]
    _framed(s, contract)
    ex = s.exchange
    names = _names(s)
    namespaced = any(n.startswith(f"updates|{INTERRUPT_OUTER_NODE}:") for n in names) and "updates" in names
    message = f"{STREAM}: no namespaced event of the {INTERRUPT_OUTER_NODE!r} subgraph"
    wanted = f"updates|{INTERRUPT_OUTER_NODE}:<task id> events beside updates"
    expect_true(namespaced, rule="STREAM-SUBGRAPHS", message=message, expected=wanted, actual=names, exchange=ex)


def test_join_stream_delivers_the_rest_of_the_run(streams, contract):
    """GET .../runs/{run_id}/stream on a run in progress delivers its events until it ends."""
    j: Joined = streams["join"]
    exchange, events, ended = j.joined
    contract.validate(exchange, "GET /threads/{thread_id}/runs/{run_id}/stream", status=200, rule="STREAM-JOIN")
    values = [e.data for e in events if e.name == "values"]
    to_the_end = ended and contents(values[-1] if values else None) == [TEXT, f"{ECHO_PREFIX}{TEXT}"]
    message = "GET .../runs/{run_id}/stream did not deliver the run's events to its end"
    wanted = f"a final values event ending with {ECHO_PREFIX}{TEXT}, then the end of the stream"
    names = [e.name for e in events]
    expect_true(to_the_end, rule="STREAM-JOIN", message=message, expected=wanted, actual=names, exchange=exchange)


def test_resumable_stream_resumes_after_last_event_id(streams, contract):
    """stream_resumable=true: rejoining with Last-Event-ID gives the events after it, none repeated, none lost,
    each with the event and data the stream sent under that id."""
    j: Joined = streams["join"]
    _, joined, _ = j.joined
    ids = [e.get("id") for e in joined]
    resumable, shown = len(ids) >= 2 and all(ids) and j.resumed is not None, [dict(e) for e in joined][:5]
    message = "a resumable run's stream events carry no ids to resume from (an id on every event)"
    expect_true(resumable, rule="STREAM-RESUME", message=message, actual=shown, exchange=j.joined[0], stop=True)
    exchange, resumed, _ = j.resumed
    contract.validate(exchange, "GET /threads/{thread_id}/runs/{run_id}/stream", status=200, rule="STREAM-RESUME")
    expect_equal([e.get("id") for e in resumed], ids[1:], rule="STREAM-RESUME", exchange=exchange)
    sent = {e.get("id"): (e.name, e.data) for e in joined}
    again = [(e.get("id"), e.name, e.data) for e in resumed if e.get("id") in sent]
    message = (
        "GET .../runs/{run_id}/stream with Last-Event-ID: a resumed event does not carry what was sent under its id"
    )
    expect_equal(again, [(i, *sent[i]) for i, _, _ in again], rule="STREAM-RESUME", message=message, exchange=exchange)

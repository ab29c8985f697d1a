"""Protocol v2, the thread-centric streaming surface: POST /threads/{id}/commands sends one command (run.start,
input.respond, ...) and POST /threads/{id}/stream/events observes the thread's events over SSE.

A client opens the event stream first, then starts a run with a command, and watches the run on the open
stream: that is what the two operations are for, together. The stream is connection-scoped and does not end
when the run does, so every read is bounded (events, bytes, seconds) and stops as soon as it has what it
waits for. The envelope (ids echoed, ProtocolSuccess / ProtocolError, 400 for a malformed one) and the SSE
framing are the document's; what the methods take and answer (run.start's ``assistant_id`` and ``input``,
``result.run_id``, input.respond's ``interrupt_id`` and ``response``, the lifecycle events) is in the
protocol's own CDDL, which the document names but does not include: those checks are reference-compatible
rules, each saying what langgraph-api 0.16.7 does.
"""

from __future__ import annotations

import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conformance.contract.checks import expect_equal, expect_true
from conformance.contract.client import Exchange, Streamed
from conformance.contract.sse import SseEvent
from conformance.graphs import ECHO_PREFIX, INTERRUPT_QUESTION
from conformance.tests.flows import Api, human
from conformance.tests.values import last_message

pytestmark = pytest.mark.area("protocol")

EVENTS = "POST /threads/{thread_id}/stream/events"
COMMANDS = "POST /threads/{thread_id}/commands"
WATCHED = ["values", "lifecycle"]  # the channels of the watching connection
# The watched run is the slow graph's, so its output comes a second after it starts: a stream that has
# answered 200 may still be subscribing (langgraph-api 0.16.7's in-memory runtime picks up a thread's new
# runs in a 20 ms poll, and a run that ends before that is never delivered to the connection), and a run
# of no duration would make what a connection sees a race rather than the server's behaviour.
RUN_SECONDS = 1
FINAL_LIFECYCLE = ("completed", "failed", "interrupted")
OPEN_SECONDS = 10.0  # how long a command waits for the streams it needs to be open
REPLAY_SECONDS = 5.0  # a reconnect's read: the replay comes first, so it is in well before this


def _text(event: SseEvent) -> str:
    return event.data if isinstance(event.data, str) else json.dumps(event.data)


def _echoes(event: SseEvent, text: str) -> bool:
    return _method(event) == "values" and f"{ECHO_PREFIX}{text}" in _text(event)


def _method(event: SseEvent) -> str | None:
    return event.data.get("method") if isinstance(event.data, dict) else None


def _lifecycle(event: SseEvent) -> str | None:
    """The lifecycle event of the root agent (``running``, ``completed``...), None for any other event.

    A lifecycle event of a nested namespace (the JS server sends one for a node's own task,
    ``["sleep:<task>"]``) says nothing about the run: the document's ProtocolNamespace is "Empty array
    denotes the root agent", and the run is over only when the root's lifecycle says so. An event without a
    namespace is read as the root's (its framing is judged apart)."""
    if _method(event) != "lifecycle":
        return None
    params = event.data.get("params") if isinstance(event.data, dict) else None
    if isinstance(params, dict) and params.get("namespace") not in (None, []):
        return None
    data = params.get("data") if isinstance(params, dict) else None
    return data.get("event") if isinstance(data, dict) else None


def _content(event: SseEvent) -> tuple[Any, str]:
    """An event as a reconnect must send it again: its method and payload (its seq is the connection's)."""
    params = event.data.get("params") if isinstance(event.data, dict) else None
    data = params.get("data") if isinstance(params, dict) else None
    return _method(event), json.dumps(data, sort_keys=True)


def _seq(event: SseEvent) -> Any:
    return event.data.get("seq") if isinstance(event.data, dict) else None


def _command(api: Api, thread_id: str, command: dict[str, Any], rule: str) -> tuple[dict, Exchange]:
    """Send one command and judge its answer (see _judged)."""
    exchange = api.client.post(f"/threads/{thread_id}/commands", json=command)
    return _judged(api, exchange, command["id"], rule)


def _judged(api: Api, exchange: Exchange, command_id: int, rule: str) -> tuple[dict, Exchange]:
    """A command's answer is 200 with a ProtocolSuccess or ProtocolError that echoes the command's id."""
    answer = api.contract.validate(exchange, COMMANDS, status=200, rule=rule)
    answer = answer if isinstance(answer, dict) else {}
    other = f"{COMMANDS}: the answer does not echo the command's id"
    expect_equal(answer.get("id"), command_id, rule="PROTOCOL-COMMAND-ID", message=other, exchange=exchange)
    return answer, exchange


def _framed(api: Api, read: Streamed, rule: str) -> list[SseEvent]:
    """The stream is text/event-stream of frames whose ``event:`` is the event's method, ``id:`` its seq and
    ``data:`` a ProtocolEvent; seq only grows along one connection. Returns the events."""
    api.contract.validate(read.exchange, EVENTS, status=200, rule=rule)
    exchange, events = read.exchange, read.events
    for event in events:
        if isinstance(event.data, dict):
            api.contract.validate_body(event.data, "ProtocolEvent", exchange=exchange)
    frames = [(e.get("event"), e.get("id"), _method(e), _seq(e)) for e in events]
    wrong = [f for f in frames if f[2] is None or f[0] != f[2] or f[1] != str(f[3])]
    message = f"{EVENTS}: a frame whose event: is not its method, or whose id: is not its seq (or not a ProtocolEvent)"
    wanted = "event: <method>, id: <seq>, data: ProtocolEvent"
    expect_true(
        not wrong, rule="PROTOCOL-EVENTS-FRAMES", message=message, expected=wanted, actual=wrong[:3], exchange=exchange
    )
    seqs = [s for s in (_seq(e) for e in events) if isinstance(s, int)]
    growing = all(a < b for a, b in itertools.pairwise(seqs))
    message = f"{EVENTS}: seq does not grow along the connection"
    expect_true(
        growing, rule="PROTOCOL-EVENTS-FRAMES", message=message, expected="increasing", actual=seqs, exchange=exchange
    )
    return events


# ---------------------------------------------------------------------------- a run watched from the start
class Watched:
    """A run watched from the start, twice: on one new thread a connection on every watched channel, then
    run.start, then a reconnect with ``since``; on another new thread a connection on values only, then
    run.start. One connection is open at a time beside the command (a test has two requests in flight at
    most, conformance/plugin/throttle.py)."""

    def __init__(self, api: Api, text: str) -> None:
        self.api, self.text = api, text
        self.thread_ids = {
            name: api.create_thread({"scenario": f"protocol-run-{name}"})["thread_id"] for name in ("all", "values")
        }
        self.thread_id = self.thread_ids["all"]
        self.started: dict[str, Exchange] = {}  # run.start's answers, judged by the tests that need them
        self.streams: dict[str, Streamed] = {}
        self.replay: Streamed | None = None
        self.since: int | None = None

    def _watch(self, name: str, channels: list[str]) -> None:
        """Open the connection, start the run once it has answered, and read until the run is over."""
        thread_id, opened = self.thread_ids[name], threading.Event()

        def until(events: list[SseEvent]) -> bool:
            if name == "values":
                return any(_echoes(e, self.text) for e in events)
            return any(_lifecycle(e) in FINAL_LIFECYCLE for e in events)

        with ThreadPoolExecutor(1) as pool:
            watching = pool.submit(
                self.api.client.stream,
                "POST",
                f"/threads/{thread_id}/stream/events",
                json_body={"channels": channels},
                seconds=self.api.run_timeout,
                until=until,
                opened=lambda exchange: opened.set(),
            )
            if opened.wait(OPEN_SECONDS):  # a stream that never opened is judged from its read; no run for nobody
                command = {
                    "id": 1,
                    "method": "run.start",
                    "params": {"assistant_id": "slow", "input": human(self.text, seconds=RUN_SECONDS)},
                }
                self.started[name] = self.api.client.post(f"/threads/{thread_id}/commands", json=command)
            self.streams[name] = watching.result()

    def run(self) -> Watched:
        self._watch("all", WATCHED)
        seqs = [s for s in (_seq(e) for e in self.streams["all"].events) if isinstance(s, int)]
        if len(seqs) > 1:
            self.since = seqs[0]
            self.replay = self.api.client.stream(
                "POST",
                f"/threads/{self.thread_id}/stream/events",
                json_body={"channels": WATCHED, "since": self.since},
                seconds=REPLAY_SECONDS,
                until=lambda events: any(_lifecycle(e) in FINAL_LIFECYCLE for e in events),
            )
        self._watch("values", ["values"])
        return self


@pytest.fixture(scope="module")
def watched(certification, contract) -> Watched:
    return Watched(Api.for_session(certification, contract), "protocol v2").run()


def test_run_start_runs_the_assistant_in_the_background(api, watched):
    """run.start answers a ProtocolSuccess and leaves a run executing on the thread: the thread's runs list
    holds it and it finishes; the run is the assistant named, on the input sent (the state ends with the
    echo), and result.run_id names it."""
    never = "the event stream never opened, so run.start was not sent (see the event stream tests)"
    expect_true("all" in watched.started, rule="PROTOCOL-RUN-START", message=never, stop=True)
    answer, exchange = _judged(api, watched.started["all"], 1, "PROTOCOL-RUN-START")
    expect_equal(answer.get("type"), "success", rule="PROTOCOL-RUN-START", exchange=exchange, stop=True)
    listed = api.client.get(f"/threads/{watched.thread_id}/runs")
    runs = api.contract.validate(listed, "GET /threads/{thread_id}/runs", status=200, rule="PROTOCOL-RUN-START")
    ids = [r.get("run_id") for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []
    message = f"{COMMANDS}: run.start answered success but the thread has no run"
    expect_equal(len(ids), 1, rule="PROTOCOL-RUN-START", message=message, exchange=listed, stop=True)
    result = answer.get("result") if isinstance(answer.get("result"), dict) else {}
    message = f"{COMMANDS}: result.run_id does not name the run run.start created"
    expect_equal(result.get("run_id"), ids[0], rule="PROTOCOL-RUN-START-PARAMS", message=message, exchange=exchange)
    run = api.wait_run(watched.thread_id, ids[0])
    expect_equal(run.get("status"), "success", rule="PROTOCOL-RUN-START", exchange=listed)
    got = api.client.get(f"/threads/{watched.thread_id}/state")
    state = api.contract.validate(got, "GET /threads/{thread_id}/state", status=200, rule="PROTOCOL-RUN-START-PARAMS")
    last = last_message((state or {}).get("values")).get("content")
    message = "the run run.start made did not run the agent on the input sent"
    wanted = f"{ECHO_PREFIX}{watched.text}"
    expect_equal(last, wanted, rule="PROTOCOL-RUN-START-PARAMS", message=message, exchange=got)


def test_a_run_is_watched_on_the_open_event_stream(api, watched):
    """An event stream opened before run.start delivers the run's events: well-framed ProtocolEvents, the
    state with the echo on the values channel, and lifecycle events that the run is running and then done."""
    read = watched.streams["all"]
    events = _framed(api, read, "PROTOCOL-EVENTS-RUN")
    methods = [_method(e) for e in events]
    echoed = any(_echoes(e, watched.text) for e in events)
    message = f"{EVENTS}: the open stream did not deliver the run's state (a values event with the echo)"
    expect_true(
        echoed,
        rule="PROTOCOL-EVENTS-RUN",
        message=message,
        expected="values with the echo",
        actual=methods,
        exchange=read.exchange,
    )
    lifecycle = [_lifecycle(e) for e in events if _lifecycle(e) is not None]
    ended = lifecycle[:1] == ["running"] and lifecycle[-1:] == ["completed"]
    message = f"{EVENTS}: the lifecycle channel did not show the root agent running, then completed"
    wanted = ["running", "...", "completed"]
    expect_true(
        ended, rule="PROTOCOL-LIFECYCLE", message=message, expected=wanted, actual=lifecycle, exchange=read.exchange
    )


def test_a_stream_carries_only_its_channels(api, watched):
    """A connection subscribed to the values channel alone gets the run's state and nothing else."""
    read = watched.streams["values"]
    events = _framed(api, read, "PROTOCOL-EVENTS-CHANNELS")
    methods = sorted({str(_method(e)) for e in events})
    message = f"{EVENTS}: a connection subscribed to values only got other channels"
    expect_equal(methods, ["values"], rule="PROTOCOL-EVENTS-CHANNELS", message=message, exchange=read.exchange)
    echoed = any(_echoes(e, watched.text) for e in events)
    message = f"{EVENTS}: the values-only connection did not deliver the run's state with the echo"
    expect_true(
        echoed,
        rule="PROTOCOL-EVENTS-CHANNELS",
        message=message,
        expected="values with the echo",
        actual=methods,
        exchange=read.exchange,
    )


def test_a_reconnect_with_since_replays_only_later_events(api, watched):
    """A reconnect that passes the first seq it received as ``since`` gets no event at or before it, and the
    later events of the run again (the same methods and payloads)."""
    few = "the watching connection received fewer than two events, so there is nothing to resume from"
    expect_true(watched.replay is not None, rule="PROTOCOL-EVENTS-SINCE", message=few, stop=True)
    events = _framed(api, watched.replay, "PROTOCOL-EVENTS-SINCE")
    seqs = [_seq(e) for e in events]
    early = [s for s in seqs if isinstance(s, int) and s <= watched.since]
    message = f"{EVENTS}: a reconnect with since={watched.since} resent events at or before it"
    expect_equal(early, [], rule="PROTOCOL-EVENTS-SINCE", message=message, exchange=watched.replay.exchange)
    first = [_content(e) for e in watched.streams["all"].events if _seq(e) != watched.since]
    again = [_content(e) for e in events]
    missing = [c for c in first if c not in again]
    message = f"{EVENTS}: a reconnect with since did not replay the later events the first connection saw"
    rule, exchange = "PROTOCOL-EVENTS-REPLAY", watched.replay.exchange
    expect_equal(missing, [], rule=rule, message=message, exchange=exchange)


# ----------------------------------------------------------------------------------- answering an interrupt
def _pending_interrupts(api: Api, thread_id: str, thread: dict[str, Any]) -> list[dict[str, Any]]:
    """The pending Interrupt objects wherever the document puts them. Each place is optional (Thread and
    ThreadState both have ``interrupts``, each task of the state its own), so a server that shows them in
    one is not refused for leaving out another: the thread's first, then its state's."""
    groups = thread.get("interrupts") if isinstance(thread.get("interrupts"), dict) else {}
    found = [i for group in groups.values() if isinstance(group, list) for i in group]
    if not any(isinstance(i, dict) and i.get("id") for i in found):
        state = api.client.get(f"/threads/{thread_id}/state").json()  # not JSON: HTTP-JSON, the test ends
        state = state if isinstance(state, dict) else {}
        found = list(state["interrupts"]) if isinstance(state.get("interrupts"), list) else []
        for task in state.get("tasks") if isinstance(state.get("tasks"), list) else []:
            found += task["interrupts"] if isinstance(task, dict) and isinstance(task.get("interrupts"), list) else []
    return [i for i in found if isinstance(i, dict)]


def test_input_respond_resumes_an_interrupted_run(api):
    """run.start of the interrupt graph leaves the thread interrupted; input.respond with the pending
    interrupt's id and a response resumes it (the graph receives the response and finishes); the same
    interrupt answered again is no_such_interrupt."""
    thread_id = api.create_thread({"scenario": "protocol-respond"})["thread_id"]
    start = {"id": 1, "method": "run.start", "params": {"assistant_id": "interrupt", "input": human("review v2")}}
    answer, exchange = _command(api, thread_id, start, "PROTOCOL-RUN-START")
    expect_equal(answer.get("type"), "success", rule="PROTOCOL-RUN-START", exchange=exchange, stop=True)
    thread = api.wait_thread_status(thread_id, "interrupted", "PROTOCOL-INPUT-RESPOND")
    pending = _pending_interrupts(api, thread_id, thread)
    asked = [i for i in pending if i.get("value") == INTERRUPT_QUESTION and isinstance(i.get("id"), str)]
    message = "neither the interrupted thread nor its state shows a pending interrupt with an id to answer"
    expect_true(
        asked,
        rule="PROTOCOL-INPUT-RESPOND",
        message=message,
        expected=INTERRUPT_QUESTION,
        actual=pending,
        exchange=exchange,
        stop=True,
    )
    respond = {"id": 2, "method": "input.respond", "params": {"interrupt_id": asked[0]["id"], "response": "yes v2"}}
    answer, exchange = _command(api, thread_id, respond, "PROTOCOL-INPUT-RESPOND")
    expect_equal(answer.get("type"), "success", rule="PROTOCOL-INPUT-RESPOND", exchange=exchange, stop=True)
    api.wait_thread_status(thread_id, "idle", "PROTOCOL-INPUT-RESPOND")
    got = api.client.get(f"/threads/{thread_id}/state")
    values = (
        api.contract.validate(got, "GET /threads/{thread_id}/state", status=200, rule="PROTOCOL-INPUT-RESPOND") or {}
    ).get("values") or {}
    last = last_message(values).get("content")
    shown = {"answer": values.get("answer"), "last message": last}
    wanted = {"answer": "yes v2", "last message": f"{ECHO_PREFIX}review v2"}
    expect_equal(
        shown, wanted, rule="PROTOCOL-INPUT-RESPOND", message="the response did not resume the graph", exchange=got
    )
    again = {**respond, "id": 3}
    answer, exchange = _command(api, thread_id, again, "PROTOCOL-INPUT-RESPOND")
    message = f"{COMMANDS}: an interrupt already answered was accepted again"
    expect_equal(answer.get("type"), "error", rule="PROTOCOL-INPUT-RESPOND", message=message, exchange=exchange)
    if answer.get("type") == "error":  # refused, but is it for the reason the reference gives?
        message = f"{COMMANDS}: an interrupt already answered was refused with another error than no_such_interrupt"
        code = answer.get("error")
        expect_equal(code, "no_such_interrupt", rule="PROTOCOL-INPUT-RESPOND", message=message, exchange=exchange)


# ------------------------------------------------------------------------------------------------ errors
def test_an_unknown_command_is_a_protocol_error(api):
    """A command whose method the server does not know is answered 200 with a ProtocolError unknown_command
    that echoes its id."""
    thread_id = api.create_thread({"scenario": "protocol-unknown"})["thread_id"]
    answer, exchange = _command(
        api, thread_id, {"id": 5, "method": "conformance.noSuchMethod"}, "PROTOCOL-UNKNOWN-COMMAND"
    )
    shown = {"type": answer.get("type"), "error": answer.get("error")}
    wanted = {"type": "error", "error": "unknown_command"}
    expect_equal(shown, wanted, rule="PROTOCOL-UNKNOWN-COMMAND", exchange=exchange)


MALFORMED_COMMANDS = {  # case -> (body sent as JSON, or raw bytes; the id the ProtocolError must carry)
    "no-id": ({"method": "run.start"}, None),
    "no-method": ({"id": 7}, 7),
    "not-json": (b"{not json", None),
}


@pytest.mark.parametrize("case", list(MALFORMED_COMMANDS))
def test_a_malformed_command_envelope_is_400(api, case):
    """A command without an id or a method, or a body that is not JSON, is answered 400 with a ProtocolError
    carrying the command's id (null when there is none or the envelope could not be parsed)."""
    thread_id = api.create_thread({"scenario": f"protocol-malformed-{case}"})["thread_id"]
    body, wanted_id = MALFORMED_COMMANDS[case]
    path = f"/threads/{thread_id}/commands"
    if isinstance(body, bytes):
        exchange = api.client.request("POST", path, content=body, headers={"content-type": "application/json"})
    else:
        exchange = api.client.post(path, json=body)
    answer = api.contract.validate(exchange, COMMANDS, status=400, rule="PROTOCOL-COMMAND-MALFORMED")
    if isinstance(answer, dict):
        message = f"{COMMANDS}: the ProtocolError does not carry the command's id (null when it has none)"
        expect_equal(answer.get("id"), wanted_id, rule="PROTOCOL-COMMAND-MALFORMED", message=message, exchange=exchange)


INVALID_SUBSCRIPTIONS = {  # case -> body of POST .../stream/events the schema forbids
    "no-channels": {},
    "empty-channels": {"channels": []},
    "unknown-channel": {"channels": ["conformance-no-such-channel"]},
}


@pytest.mark.parametrize("case", list(INVALID_SUBSCRIPTIONS))
def test_an_invalid_subscription_is_400(api, case):
    """An event stream request without channels, with none, or with a channel that is not one (neither a
    fixed channel nor custom:<name>) is answered 400 with an ErrorResponse, not an open stream."""
    thread_id = api.create_thread({"scenario": f"protocol-invalid-{case}"})["thread_id"]
    path = f"/threads/{thread_id}/stream/events"
    read = api.client.stream("POST", path, json_body=INVALID_SUBSCRIPTIONS[case], seconds=REPLAY_SECONDS)
    api.contract.validate(read.exchange, EVENTS, status=400, rule="PROTOCOL-EVENTS-INVALID")


MALFORMED_ID = {  # case -> (path suffix, body, operation); the body is one the operation accepts on a real thread
    "stream-events": ("/stream/events", {"channels": ["values"]}, EVENTS),
    "commands": ("/commands", {"id": 1, "method": "agent.getTree", "params": {}}, COMMANDS),
}


@pytest.mark.parametrize("case", list(MALFORMED_ID))
def test_a_malformed_thread_id_is_refused(api, case):
    """A thread id that is not a UUID (the parameter's format) is refused with a client error (4xx), never
    answered 200 as if it named a thread."""
    suffix, body, operation = MALFORMED_ID[case]
    read = api.client.stream("POST", f"/threads/not-a-uuid{suffix}", json_body=body, seconds=REPLAY_SECONDS)
    status = read.exchange.status
    message = f"{operation}: a thread id that is not a UUID was answered {status}, not a 4xx"
    refused = 400 <= status < 500
    expect_true(
        refused, rule="PROTOCOL-MALFORMED-ID", message=message, expected="4xx", actual=status, exchange=read.exchange
    )

"""Faults of the protocol area (POST /threads/{id}/commands and POST /threads/{id}/stream/events): each one
wrong behaviour of the v2 streaming surface, with the tests of conformance/tests/test_protocol.py that must
catch it. A malformed thread id is an expected failure of the reference (it answers 200), so that scenario
has no fault here.
"""

from __future__ import annotations

import json
from typing import Any

from tests.faultkit import Fault, stream_events, swap_status
from tests.faultproxy import Req, Resp

PR = "test_protocol.py::"
COMMANDS = "/threads/*/commands"
EVENTS = "/threads/*/stream/events"
EVERY_CHANNEL = ["values", "updates", "messages", "tools", "lifecycle", "input", "tasks", "custom"]
QUICK = ("--run-timeout=15",)  # a fault that leaves the watching streams waiting costs this, not a minute


def _command(req: Req, method: str) -> dict | None:
    body = req.body if isinstance(req.body, dict) else None
    return body if req.is_("POST", COMMANDS) and body is not None and body.get("method") == method else None


def _answer(payload: dict[str, Any], status: int = 200) -> Resp:
    return Resp(status, {"content-type": "application/json"}, json.dumps(payload).encode())


def _run_start_runs_nothing(req: Req) -> Resp | None:
    """run.start answers success with a run id, but no run is created."""
    body = _command(req, "run.start")
    if body is None:
        return None
    result = {"run_id": "00000000-0000-4000-8000-00000000dead"}
    return _answer({"type": "success", "id": body.get("id"), "result": result, "meta": {}})


def _every_channel(req: Req) -> None:
    """The server streams every channel whatever the connection subscribed to."""
    if req.is_("POST", EVENTS) and isinstance(req.body, dict) and isinstance(req.body.get("channels"), list):
        req.body["channels"] = EVERY_CHANNEL


def _since_ignored(req: Req) -> None:
    if req.is_("POST", EVENTS) and isinstance(req.body, dict):
        req.body.pop("since", None)


def _respond_with_another_value(req: Req) -> None:
    body = _command(req, "input.respond")
    if body is not None and isinstance(body.get("params"), dict):
        body["params"]["response"] = "something else"


def _interrupts_hidden(req: Req, resp: Resp) -> None:
    """An interrupted thread shows its pending interrupt nowhere: not on the thread, not in its state."""
    answer = resp.json if isinstance(resp.json, dict) else None
    if answer is None or req.method != "GET":
        return
    if req.is_("GET", "/threads/*"):
        resp.json = {k: v for k, v in answer.items() if k != "interrupts"}
    elif req.is_("GET", "/threads/*/state"):
        tasks = answer.get("tasks") if isinstance(answer.get("tasks"), list) else []
        tasks = [{k: v for k, v in t.items() if k != "interrupts"} if isinstance(t, dict) else t for t in tasks]
        resp.json = {**{k: v for k, v in answer.items() if k != "interrupts"}, "tasks": tasks}


def _unknown_command_succeeds(req: Req) -> Resp | None:
    body = req.body if isinstance(req.body, dict) else {}
    if req.is_("POST", COMMANDS) and str(body.get("method", "")).startswith("conformance."):
        return _answer({"type": "success", "id": body.get("id"), "result": {}})
    return None


def _id_not_echoed(req: Req, resp: Resp) -> None:
    if req.is_("POST", COMMANDS) and isinstance(resp.json, dict) and isinstance(resp.json.get("id"), int):
        resp.json = {**resp.json, "id": resp.json["id"] + 100}


def _invalid_subscription_streams(req: Req) -> Resp | None:
    """A subscription without channels opens an (empty) event stream instead of being refused."""
    body = req.body if isinstance(req.body, dict) else None
    if req.is_("POST", EVENTS) and body is not None and not body.get("channels"):
        return Resp(200, {"content-type": "text/event-stream"}, b": nothing subscribed\n\n")
    return None


FAULTS: tuple[Fault, ...] = (
    Fault(
        "protocol-run-start-runs-nothing",
        "run.start answers success with a run id, but creates no run",
        (
            PR + "test_run_start_runs_the_assistant_in_the_background",
            PR + "test_a_run_is_watched_on_the_open_event_stream",
            PR + "test_a_stream_carries_only_its_channels",
        ),
        "PROTOCOL-RUN-START",
        on_request=_run_start_runs_nothing,
        options=QUICK,
    ),
    Fault(
        "protocol-events-misframed",
        "event stream frames are all named message instead of their method",
        (PR + "test_a_run_is_watched_on_the_open_event_stream",),
        "PROTOCOL-EVENTS-FRAMES",
        on_response=stream_events("POST", EVENTS, lambda name, data: [("message", data)]),
    ),
    Fault(
        "protocol-events-every-channel",
        "an event stream carries every channel, not only those subscribed to",
        (PR + "test_a_stream_carries_only_its_channels",),
        "PROTOCOL-EVENTS-CHANNELS",
        on_request=_every_channel,
    ),
    Fault(
        "protocol-since-ignored",
        "a reconnect's since is ignored: every event is sent again from the first",
        (PR + "test_a_reconnect_with_since_replays_only_later_events",),
        "PROTOCOL-EVENTS-SINCE",
        on_request=_since_ignored,
    ),
    Fault(
        "protocol-respond-another-value",
        "input.respond resumes the interrupt with another value than the response sent",
        (PR + "test_input_respond_resumes_an_interrupted_run",),
        "PROTOCOL-INPUT-RESPOND",
        on_request=_respond_with_another_value,
    ),
    Fault(
        "protocol-interrupt-shown-nowhere",
        "an interrupted thread shows its pending interrupt neither on the thread nor in its state",
        (PR + "test_input_respond_resumes_an_interrupted_run",),
        "PROTOCOL-INPUT-RESPOND",
        on_response=_interrupts_hidden,
    ),
    Fault(
        "protocol-unknown-command-succeeds",
        "a command of an unknown method is answered with a ProtocolSuccess",
        (PR + "test_an_unknown_command_is_a_protocol_error",),
        "PROTOCOL-UNKNOWN-COMMAND",
        on_request=_unknown_command_succeeds,
    ),
    Fault(
        "protocol-command-id-not-echoed",
        "command answers carry another id than the command's",
        (PR + "test_an_unknown_command_is_a_protocol_error",),
        "PROTOCOL-COMMAND-ID",
        on_response=_id_not_echoed,
    ),
    Fault(
        "protocol-malformed-envelope-200",
        "a command without an id or a method is answered 200 instead of 400",
        (
            PR + "test_a_malformed_command_envelope_is_400[no-id]",
            PR + "test_a_malformed_command_envelope_is_400[no-method]",
        ),
        "PROTOCOL-COMMAND-MALFORMED",
        on_response=swap_status("POST", COMMANDS, 400, 200),
    ),
    Fault(
        "protocol-invalid-subscription-streams",
        "an event stream request without channels opens an empty stream instead of a 400",
        (
            PR + "test_an_invalid_subscription_is_400[no-channels]",
            PR + "test_an_invalid_subscription_is_400[empty-channels]",
        ),
        "PROTOCOL-EVENTS-INVALID",
        on_request=_invalid_subscription_streams,
    ),
)

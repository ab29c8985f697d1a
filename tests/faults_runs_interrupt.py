"""Faults of interrupts (interrupt(), breakpoints, resume, continue), with the tests of
conformance/tests/test_runs_interrupt.py that must catch each."""

from __future__ import annotations

from tests.faultkit import Fault, drop_body_field
from tests.faultproxy import Req, Resp

I = "test_runs_interrupt.py::"  # noqa: E741


def _resume_value_lost(req: Req) -> None:
    if (
        req.is_("POST", "/threads/*/runs/wait")
        and isinstance(req.body, dict)
        and isinstance(req.body.get("command"), dict)
    ):
        req.body["command"]["resume"] = "something else"


def _shown_idle_when_interrupted(req: Req, resp: Resp) -> None:
    if req.is_("GET", "/threads/*") and isinstance(resp.json, dict) and resp.json.get("status") == "interrupted":
        resp.json = {**resp.json, "status": "idle"}


FAULTS: tuple[Fault, ...] = (
    Fault(
        "interrupted-thread-idle",
        "a thread stopped by interrupt() or a breakpoint is shown idle",
        (I + "test_interrupt_leaves_the_thread_interrupted", I + "test_breakpoint_stops_at_the_node[before]"),
        "RUNS-INTERRUPT",
        on_response=_shown_idle_when_interrupted,
    ),
    Fault(
        "resume-value-lost",
        "command.resume does not pass the value given to the graph",
        (I + "test_resume_completes_the_graph_with_the_value",),
        "RUNS-RESUME",
        on_request=_resume_value_lost,
    ),
    Fault(
        "interrupt-before-ignored",
        "interrupt_before is ignored",
        (I + "test_breakpoint_stops_at_the_node[before]",),
        "RUNS-INTERRUPT-BEFORE",
        on_request=drop_body_field("POST", "/threads/*/runs/wait", "interrupt_before"),
    ),
    Fault(
        "interrupt-after-ignored",
        "interrupt_after is ignored",
        (I + "test_breakpoint_stops_at_the_node[after]",),
        "RUNS-INTERRUPT-AFTER",
        on_request=drop_body_field("POST", "/threads/*/runs/wait", "interrupt_after"),
    ),
    Fault(
        "continue-restarts",
        "a run with input null after a breakpoint starts the graph over",
        (I + "test_input_null_continues_from_the_breakpoint[before]",),
        "RUNS-CONTINUE",
        on_request=lambda req: (
            req.body.update(input={"messages": []})
            if req.is_("POST", "/threads/*/runs/wait")
            and isinstance(req.body, dict)
            and "input" in req.body
            and req.body["input"] is None
            else None
        ),
    ),
)

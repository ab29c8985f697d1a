"""Faults of waiting for a run (POST /threads/{id}/runs/wait, join, a failed run's status), with the tests
of conformance/tests/test_runs_wait.py that must catch each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.faultkit import Fault, drop_last_message, error_as_values, json_response, set_key
from tests.faultproxy import Req, Resp

W = "test_runs_wait.py::"


def _error_as_empty(body: Any) -> Any:
    return {} if isinstance(body, dict) and "__error__" in body else body


def _both(*hooks: Callable[[Req, Resp], None]) -> Callable[[Req, Resp], None]:
    def hook(req: Req, resp: Resp) -> None:
        for h in hooks:
            h(req, resp)

    return hook


def _error_as(new: str) -> Callable[[Any], Any]:
    return set_key("status", new, lambda r: r.get("status") == "error")


FAULTS: tuple[Fault, ...] = (
    Fault(
        "wait-not-final",
        "POST .../runs/wait answers before the last node's message",
        (W + "test_wait_answers_the_final_values",),
        "RUNS-WAIT",
        on_response=json_response("POST", "/threads/*/runs/wait", drop_last_message),
    ),
    Fault(
        "wait-run-left-running",
        "after wait the run still shows running",
        (W + "test_run_and_thread_after_wait",),
        "RUNS-WAIT",
        on_response=json_response(
            "GET", "/threads/*/runs/*", set_key("status", "running", lambda r: r.get("status") == "success")
        ),
    ),
    Fault(
        "wait-error-as-values",
        "wait on a failing graph answers empty values instead of the error",
        (W + "test_wait_on_failing_graph_answers_the_error",),
        "RUNS-WAIT-ERROR",
        on_response=json_response("POST", "/threads/*/runs/wait", error_as_values),
    ),
    Fault(
        "failed-run-success",
        "a run whose graph raised is reported success (run and runs list)",
        (W + "test_failed_run_is_error_never_success",),
        "RUNS-FAILED-STATUS",
        on_response=_both(
            json_response("GET", "/threads/*/runs/*", _error_as("success")),
            json_response("GET", "/threads/*/runs", _error_as("success")),
        ),
    ),
    Fault(
        "join-error-empty",
        "join of a failed run answers {}",
        (W + "test_join_on_failed_run_answers_the_error",),
        "RUNS-JOIN-ERROR",
        on_response=json_response("GET", "/threads/*/runs/*/join", _error_as_empty),
    ),
)

"""Faults of the runs areas (thread-runs wait, runs-stream, runs-control, runs-interrupt, runs-options,
stateless-runs): each one wrong behaviour of a run, with the tests that must catch it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.faultkit import HANG, Fault, json_response, set_key
from tests.faultproxy import Req, Resp

W = "test_runs_wait.py::"
SM = "test_runs_stream.py::"
C = "test_runs_control.py::"
I = "test_runs_interrupt.py::"  # noqa: E741
O = "test_runs_options.py::"  # noqa: E741
SL = "test_stateless_runs.py::"


def _error_as_values(body: Any) -> Any:
    return {"messages": []} if isinstance(body, dict) and "__error__" in body else body


def _error_as_empty(body: Any) -> Any:
    return {} if isinstance(body, dict) and "__error__" in body else body


def _drop_last_message(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("messages"), list) and body["messages"]:
        body["messages"] = body["messages"][:-1]
    return body


def _both(*hooks: Callable[[Req, Resp], None]) -> Callable[[Req, Resp], None]:
    def hook(req: Req, resp: Resp) -> None:
        for h in hooks:
            h(req, resp)

    return hook


# --- event streams: rewrite each event as it passes ------------------------------------------------
EventChange = Callable[[str, Any], list[tuple[str, Any]]]  # (name, data) -> the events to send instead


class _RewrittenStream:
    """Stands in for the upstream response of an event stream: the proxy relays what iter_raw yields."""

    def __init__(self, upstream: Any, change: EventChange, hang_at_end: bool = False) -> None:
        self.upstream, self.change, self.hang_at_end = upstream, change, hang_at_end

    def iter_raw(self):
        buffer = b""
        for chunk in self.upstream.iter_raw():
            buffer += chunk.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                yield from self._rewrite(block.decode())
        if buffer.strip():
            yield from self._rewrite(buffer.decode())
        if self.hang_at_end:
            HANG.wait(60)

    def _rewrite(self, block: str):
        name, data_lines, others = "", [], []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].strip())
            elif line:
                others.append(line)
        try:
            data = json.loads("\n".join(data_lines)) if data_lines else None
        except ValueError:
            yield (block + "\n\n").encode()
            return
        for new_name, new_data in self.change(name, data):
            lines = [*others, f"event: {new_name}", f"data: {json.dumps(new_data)}"]
            yield ("\n".join(lines) + "\n\n").encode()

    def close(self) -> None:
        self.upstream.close()


def stream_events(method: str, pattern: str, change: EventChange, hang_at_end: bool = False):
    def hook(req: Req, resp: Resp) -> None:
        if req.is_(method, pattern) and resp.stream is not None:
            resp.stream = _RewrittenStream(resp.stream, change, hang_at_end)  # type: ignore[assignment]

    return hook


def run_stream(change: EventChange, hang_at_end: bool = False):
    return stream_events("POST", "/threads/*/runs/stream", change, hang_at_end)


def _drop(name: str) -> EventChange:
    return lambda n, d: [] if n == name else [(n, d)]


def _drop_last_custom(n: str, d: Any) -> list:
    return [] if n == "custom" and d == {"custom": 2} else [(n, d)]


def _message_only(n: str, d: Any) -> list:
    return [(n, d[0])] if n == "messages" and isinstance(d, list) and len(d) == 2 else [(n, d)]


def _final_values_dropped(n: str, d: Any) -> list:
    steps = d.get("steps") if n == "values" and isinstance(d, dict) else None
    return [] if steps == ["first", "second"] else [(n, d)]


def _fields_dropped(n: str, d: Any) -> list:
    drops = {"debug": "payload", "tasks": "triggers", "checkpoints": "next", "events": "run_id"}
    if n in drops and isinstance(d, dict):
        d = {k: v for k, v in d.items() if k != drops[n]}
    return [(n, d)]


def _join_cut(n: str, d: Any) -> list:
    return [] if n == "values" and isinstance(d, dict) and len(d.get("messages") or []) > 1 else [(n, d)]


def _drop_body_field(method: str, pattern: str, name: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern) and isinstance(req.body, dict):
            req.body.pop(name, None)

    return hook


def _drop_last_event_id(req: Req) -> None:
    req.headers.pop("last-event-id", None)


def _error_as(new: str) -> Callable[[Any], Any]:
    return set_key("status", new, lambda r: r.get("status") == "error")


FAULTS: tuple[Fault, ...] = (
    # --- wait -------------------------------------------------------------------------------------
    Fault(
        "wait-not-final",
        "POST .../runs/wait answers before the last node's message",
        (W + "test_wait_answers_the_final_values",),
        "RUNS-WAIT",
        on_response=json_response("POST", "/threads/*/runs/wait", _drop_last_message),
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
        on_response=json_response("POST", "/threads/*/runs/wait", _error_as_values),
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
    # --- streams ------------------------------------------------------------------------------------
    Fault(
        "stream-no-metadata",
        "run streams do not start with the metadata event",
        (SM + "test_stream_is_framed_and_starts_with_metadata[values]",),
        "STREAM-METADATA-FIRST",
        on_response=run_stream(_drop("metadata")),
    ),
    Fault(
        "stream-mode-ignored",
        "stream_mode is ignored (values are always streamed)",
        (SM + "test_stream_carries_only_the_asked_modes[updates]", SM + "test_updates_are_each_node_update"),
        "STREAM-MODES",
        on_request=_drop_body_field("POST", "/threads/*/runs/stream", "stream_mode"),
    ),
    Fault(
        "stream-never-ends",
        "the stream stays open after the run has ended",
        (SM + "test_stream_is_framed_and_starts_with_metadata[values]",),
        "STREAM-FRAMING",
        on_response=run_stream(lambda n, d: [(n, d)], hang_at_end=True),
        options=("--run-timeout", "4"),
    ),
    Fault(
        "stream-final-values-lost",
        "the values event of the last step is not sent",
        (SM + "test_values_are_the_state_after_each_step[values]",),
        "STREAM-VALUES",
        on_response=run_stream(_final_values_dropped),
    ),
    Fault(
        "stream-custom-lost",
        "the second custom event the graph wrote is not sent",
        (SM + "test_custom_is_exactly_what_the_graph_wrote[custom]",),
        "STREAM-CUSTOM",
        on_response=run_stream(_drop_last_custom),
    ),
    Fault(
        "stream-messages-tuple-flat",
        "messages-tuple events carry the message without its metadata",
        (SM + "test_messages_tuple_is_message_and_metadata",),
        "STREAM-MESSAGES",
        on_response=run_stream(_message_only),
    ),
    Fault(
        "stream-event-fields-dropped",
        "debug, tasks, checkpoints and events events each lack a documented field",
        (
            SM + "test_debug_events_have_their_shape",
            SM + "test_tasks_events_have_their_shape",
            SM + "test_checkpoints_events_have_their_shape",
            SM + "test_events_are_callback_events",
        ),
        "STREAM-DEBUG",
        on_response=run_stream(_fields_dropped),
    ),
    Fault(
        "stream-error-swallowed",
        "the stream of a failing run has no error event",
        (SM + "test_failing_graph_streams_an_error_event",),
        "STREAM-ERROR",
        on_response=run_stream(_drop("error")),
    ),
    Fault(
        "stream-subgraphs-ignored",
        "stream_subgraphs is ignored",
        (SM + "test_subgraph_events_are_namespaced",),
        "STREAM-SUBGRAPHS",
        on_request=_drop_body_field("POST", "/threads/*/runs/stream", "stream_subgraphs"),
    ),
    Fault(
        "stream-join-cut",
        "joining a run's stream loses its final values",
        (SM + "test_join_stream_delivers_the_rest_of_the_run",),
        "STREAM-JOIN",
        on_response=stream_events("GET", "/threads/*/runs/*/stream", _join_cut),
    ),
    Fault(
        "stream-resume-ignored",
        "Last-Event-ID is ignored (the whole stream is replayed)",
        (SM + "test_resumable_stream_resumes_after_last_event_id",),
        "STREAM-RESUME",
        on_request=_drop_last_event_id,
    ),
)

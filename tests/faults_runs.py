"""Faults of the runs areas (thread-runs wait, runs-stream, runs-control, runs-interrupt, runs-options,
stateless-runs): each one wrong behaviour of a run, with the tests that must catch it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.faultkit import HANG, Fault, json_response, set_key
from tests.faultproxy import Req, Resp, ResponseHook

W = "test_runs_wait.py::"
SM = "test_runs_stream.py::"
C = "test_runs_control.py::"
I = "test_runs_interrupt.py::"  # noqa: E741
O = "test_runs_options.py::"  # noqa: E741
SL = "test_stateless_runs.py::"
WH = "test_webhooks.py::"


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


def _error_after_metadata(n: str, d: Any) -> list:
    """Every run stream carries an error event right after its metadata, the run failing or not."""
    if n == "metadata":
        return [(n, d), ("error", {"error": "Warning", "message": "checkpoint write was slow"})]
    return [(n, d)]


def _resumed_values_stale(req: Req, resp: Resp) -> None:
    """A stream rejoined with Last-Event-ID resends the right event ids, but its values events carry no state."""
    if "last-event-id" in req.headers:
        stream_events("GET", "/threads/*/runs/*/stream", lambda n, d: [(n, {} if n == "values" else d)])(req, resp)


def _join_cut(n: str, d: Any) -> list:
    return [] if n == "values" and isinstance(d, dict) and len(d.get("messages") or []) > 1 else [(n, d)]


def _drop_body_field(method: str, pattern: str, name: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern) and isinstance(req.body, dict):
            req.body.pop(name, None)

    return hook


def _drop_last_event_id(req: Req) -> None:
    req.headers.pop("last-event-id", None)


def _strategy_as(old: str, new: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if (
            req.is_("POST", "/threads/*/runs")
            and isinstance(req.body, dict)
            and req.body.get("multitask_strategy") == old
        ):
            req.body["multitask_strategy"] = new

    return hook


def _default_strategy_reject(req: Req) -> None:
    if req.is_("POST", "/threads/*/runs") and isinstance(req.body, dict) and "input" in req.body:
        req.body.setdefault("multitask_strategy", "reject")


def _cancel_param(name: str, value: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_("POST", "/threads/*/runs/*/cancel"):
            req.query[name] = value

    return hook


def _cancel_noop(req: Req) -> Resp | None:
    if req.is_("POST", "/runs/cancel"):
        return Resp(204, {}, b"")
    return None


def _cancel_whole_thread(req: Req) -> None:
    """POST /runs/cancel with a thread and run ids cancels every run of that thread still pending or running."""
    body = req.body if req.is_("POST", "/runs/cancel") and isinstance(req.body, dict) else {}
    if not (isinstance(body.get("thread_id"), str) and isinstance(body.get("run_ids"), list)):
        return
    with contextlib.suppress(httpx.HTTPError, ValueError):
        runs = httpx.get(f"{req.base}/threads/{body['thread_id']}/runs", timeout=10).json()
        live = [r["run_id"] for r in runs if isinstance(r, dict) and r.get("status") in ("pending", "running")]
        body["run_ids"] = sorted(set(body["run_ids"]) | set(live))


def _cancel_finished_422(req: Req, resp: Resp) -> None:
    """Cancelling a run that is no longer in progress is refused as a validation error (422)."""
    if req.is_("POST", "/threads/*/runs/*/cancel") and resp.status == 404:
        run = httpx.get(f"{req.base}{req.path.removesuffix('/cancel')}", timeout=10)
        if run.status_code == 200:
            resp.status = 422
            resp.json = {"detail": "run is not cancellable"}


def _delete_noop(req: Req) -> Resp | None:
    if req.is_("DELETE", "/threads/*/runs/*"):
        return Resp(204, {}, b"")
    return None


def _if_not_exists_dropped(req: Req) -> None:
    if req.is_("POST", "/threads/*/runs") and isinstance(req.body, dict):
        req.body.pop("if_not_exists", None)


def _missing_thread_created(req: Req) -> None:
    if req.is_("POST", "/threads/*/runs") and isinstance(req.body, dict) and "if_not_exists" not in req.body:
        req.body["if_not_exists"] = "create"


def _bad_body_accepted_on(*paths: str) -> ResponseHook:
    """A body the server refused (422) on one of ``paths`` is answered as if a run had been created."""

    def hook(req: Req, resp: Resp) -> None:
        if any(req.is_("POST", p) for p in paths) and resp.status == 422:
            resp.status = 200
            resp.json = {"run_id": "00000000-0000-4000-8000-000000000000", "status": "pending"}

    return hook


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


def _configurable_dropped(req: Req) -> None:
    if (
        req.is_("POST", "/threads/*/runs/wait")
        and isinstance(req.body, dict)
        and isinstance(req.body.get("config"), dict)
    ):
        req.body["config"].pop("configurable", None)


def _thread_not_deleted(req: Req, resp: Resp) -> None:
    if req.is_("GET", "/threads/*") and resp.status == 404:
        resp.json = {
            "thread_id": req.path.rsplit("/", 1)[-1],
            "status": "idle",
            "metadata": {},
            "values": None,
            "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": "2026-01-01T00:00:00+00:00",
            "config": {},
            "interrupts": {},
        }
        resp.status = 200


def _keep_ignored(req: Req) -> None:
    if (req.is_("POST", "/runs/wait") or req.is_("POST", "/runs")) and isinstance(req.body, dict):
        req.body.pop("on_completion", None)


def _batch_first_only(req: Req) -> None:
    if req.is_("POST", "/runs/batch") and isinstance(req.body, list) and len(req.body) > 1:
        req.body[:] = req.body[:1]


def _cancel_marks_finished_interrupted() -> Callable[[Req, Resp], None]:
    """Cancel of a run rewrites it interrupted, even when it had already finished."""
    cancelled: set[str] = set()

    def hook(req: Req, resp: Resp) -> None:
        if req.is_("POST", "/threads/*/runs/*/cancel"):
            cancelled.add(req.path.strip("/").split("/")[3])
        elif (
            req.is_("GET", "/threads/*/runs/*")
            and isinstance(resp.json, dict)
            and req.path.strip("/").split("/")[3] in cancelled
            and resp.json.get("status") == "success"
        ):
            resp.json = {**resp.json, "status": "interrupted"}

    return hook


def _stream_ends_early() -> Callable[[Req, Resp], None]:
    """The stream closes before the run is final: a GET of the streamed run right after shows it running."""
    streamed: set[str] = set()

    def remember(n: str, d: Any) -> list:
        if n == "metadata" and isinstance(d, dict) and isinstance(d.get("run_id"), str):
            streamed.add(d["run_id"])
        return [(n, d)]

    relay = run_stream(remember)

    def hook(req: Req, resp: Resp) -> None:
        relay(req, resp)
        if (
            req.is_("GET", "/threads/*/runs/*")
            and isinstance(resp.json, dict)
            and resp.json.get("run_id") in streamed
            and resp.json.get("status") == "success"
        ):
            resp.json = {**resp.json, "status": "running"}

    return hook


def _messages_emptied(n: str, d: Any) -> list:
    if n in ("messages/partial", "messages/complete") and isinstance(d, list):
        d = [{**m, "content": ""} if isinstance(m, dict) else m for m in d]
    return [(n, d)]


STATELESS_CREATION = ("/runs", "/runs/wait", "/runs/stream", "/runs/batch")


def _error_as(new: str) -> Callable[[Any], Any]:
    return set_key("status", new, lambda r: r.get("status") == "error")


# --- webhooks: the target calls the suite's receiver directly, so these faults change the run bodies, or
# route the target's webhook calls through the proxy and change them there ---------------------------
RUN_CREATION = (
    "/threads/*/runs",
    "/threads/*/runs/wait",
    "/threads/*/runs/stream",
    "/runs",
    "/runs/wait",
    "/runs/stream",
)
RELAY = "/__fault-relay/webhook"


def _run_bodies(req: Req) -> list[dict]:
    if req.is_("POST", "/runs/batch") and isinstance(req.body, list):
        return [b for b in req.body if isinstance(b, dict)]
    if any(req.is_("POST", p) for p in RUN_CREATION) and isinstance(req.body, dict):
        return [req.body]
    return []


def _webhook_dropped(req: Req) -> None:
    for body in _run_bodies(req):
        body.pop("webhook", None)


def _webhook_relayed(change: Callable[[Any], Any]) -> Callable[[Req], Resp | None]:
    """Give the target the proxy's relay as every run's webhook; the relay passes the call on, changed."""

    def hook(req: Req) -> Resp | None:
        if req.is_("POST", RELAY):
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(req.query.get("to", ""), json=change(req.body), timeout=10)
            return Resp(200, {"content-type": "application/json"}, b"{}")
        for body in _run_bodies(req):
            if isinstance(body.get("webhook"), str):
                body["webhook"] = f"{req.base}{RELAY}?{urlencode({'to': body['webhook']})}"
        return None

    return hook


def _reported_running(payload: Any) -> Any:
    return {**payload, "status": "running"} if isinstance(payload, dict) else payload


WEBHOOK_CASES = tuple(
    f"{WH}test_{kind}_run_calls_its_webhook_when_it_finishes[{case}]"
    for kind, case in (
        ("thread", "thread-success"),
        ("thread", "thread-error"),
        ("stateless", "stateless-background"),
        ("stateless", "stateless-wait"),
    )
)
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
        "stream-error-in-success",
        "the stream of a run that succeeds carries an error event too",
        (
            SM + "test_stream_carries_only_the_asked_modes[values]",
            SM + "test_stream_carries_only_the_asked_modes[updates]",
        ),
        "STREAM-MODES",
        on_response=run_stream(_error_after_metadata),
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
    Fault(
        "stream-resume-data-stale",
        "a stream rejoined with Last-Event-ID resends the right ids, but its values events carry no state",
        (SM + "test_resumable_stream_resumes_after_last_event_id",),
        "STREAM-RESUME",
        on_response=_resumed_values_stale,
    ),
    Fault(
        "stream-ends-before-run",
        "the stream closes while the run is still running",
        (SM + "test_run_is_final_when_the_stream_ends[values]", SM + "test_run_is_final_when_the_stream_ends[debug]"),
        "STREAM-END",
        on_response=_stream_ends_early(),
    ),
    Fault(
        "stream-messages-empty",
        "messages/partial and messages/complete events carry the message without its content",
        (SM + "test_messages_carry_the_echo",),
        "STREAM-MESSAGES",
        on_response=run_stream(_messages_emptied),
    ),
    # --- control ------------------------------------------------------------------------------------
    Fault(
        "multitask-reject-ignored",
        "reject is treated as enqueue",
        (C + "test_reject_answers_409_and_leaves_the_first_run",),
        "RUNS-MULTITASK-REJECT",
        on_request=_strategy_as("reject", "enqueue"),
    ),
    Fault(
        "multitask-enqueue-interrupts",
        "enqueue interrupts the run in progress",
        (C + "test_enqueue_runs_the_second_after_the_first[enqueue]",),
        "RUNS-MULTITASK-ENQUEUE",
        on_request=_strategy_as("enqueue", "interrupt"),
    ),
    Fault(
        "multitask-default-reject",
        "a run without multitask_strategy is rejected on a busy thread (default reject)",
        (C + "test_enqueue_runs_the_second_after_the_first[default]",),
        "RUNS-MULTITASK-DEFAULT",
        on_request=_default_strategy_reject,
    ),
    Fault(
        "multitask-interrupt-as-rollback",
        "interrupt rolls the run in progress back",
        (C + "test_interrupt_ends_the_first_interrupted",),
        "RUNS-MULTITASK-INTERRUPT",
        on_request=_strategy_as("interrupt", "rollback"),
    ),
    Fault(
        "multitask-rollback-as-interrupt",
        "rollback keeps the run in progress (interrupted) and its state",
        (C + "test_rollback_deletes_the_first_run",),
        "RUNS-MULTITASK-ROLLBACK",
        on_request=_strategy_as("rollback", "interrupt"),
    ),
    Fault(
        "cancel-action-ignored",
        "cancel always rolls back, whatever the action",
        (C + "test_cancel_interrupt_ends_the_run_interrupted[true]",),
        "RUNS-CANCEL",
        on_request=_cancel_param("action", "rollback"),
    ),
    Fault(
        "cancel-rollback-keeps-run",
        "cancel with action rollback only interrupts",
        (C + "test_cancel_rollback_deletes_the_run[true]",),
        "RUNS-CANCEL-ROLLBACK",
        on_request=_cancel_param("action", "interrupt"),
    ),
    Fault(
        "runs-cancel-noop",
        "POST /runs/cancel answers 204 and cancels nothing",
        (C + "test_runs_cancel_by_ids_cancels_that_run",),
        "RUNS-CANCEL-MANY",
        on_request=_cancel_noop,
    ),
    Fault(
        "runs-cancel-whole-thread",
        "POST /runs/cancel by run ids cancels every run of the thread, not only the listed ones",
        (C + "test_runs_cancel_by_ids_cancels_that_run",),
        "RUNS-CANCEL-MANY",
        on_request=_cancel_whole_thread,
    ),
    Fault(
        "run-delete-noop",
        "DELETE of a run answers 204 and deletes nothing",
        (C + "test_delete_run_then_404_and_unlisted",),
        "RUNS-DELETE",
        on_request=_delete_noop,
    ),
    Fault(
        "missing-thread-created",
        "a run on a missing thread creates it although if_not_exists is absent",
        (C + "test_run_on_a_missing_thread_is_404[absent]",),
        "RUNS-MISSING-THREAD",
        on_request=_missing_thread_created,
    ),
    Fault(
        "if-not-exists-ignored",
        "if_not_exists=create is ignored (404)",
        (C + "test_if_not_exists_create_creates_the_thread",),
        "RUNS-IF-NOT-EXISTS-CREATE",
        on_request=_if_not_exists_dropped,
    ),
    Fault(
        "unknown-run-delete-204",
        "DELETE of an unknown run answers 204",
        (C + "test_unknown_run_id_is_404[delete]",),
        "RUNS-UNKNOWN-ID",
        on_response=lambda req, resp: (
            setattr(resp, "status", 204) if req.is_("DELETE", "/threads/*/runs/*") and resp.status == 404 else None
        ),
    ),
    Fault(
        "bad-run-body-accepted",
        "run bodies the document rejects are accepted",
        (C + "test_bad_run_body_is_422[multitask-strategy]", C + "test_bad_run_body_is_422[durability]"),
        "RUNS-BAD-BODY",
        on_response=_bad_body_accepted_on("/threads/*/runs"),
    ),
    Fault(
        "cancel-finished-422",
        "cancelling a finished run answers 422 (a documented status, but not what a finished run gets)",
        (C + "test_cancel_of_a_finished_run_changes_nothing",),
        "RUNS-CANCEL-FINISHED",
        on_response=_cancel_finished_422,
    ),
    Fault(
        "cancel-rewrites-finished",
        "cancelling a finished run rewrites it interrupted",
        (C + "test_cancel_of_a_finished_run_changes_nothing",),
        "RUNS-CANCEL-FINISHED",
        on_response=_cancel_marks_finished_interrupted(),
    ),
    # --- interrupts ---------------------------------------------------------------------------------
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
        on_request=_drop_body_field("POST", "/threads/*/runs/wait", "interrupt_before"),
    ),
    Fault(
        "interrupt-after-ignored",
        "interrupt_after is ignored",
        (I + "test_breakpoint_stops_at_the_node[after]",),
        "RUNS-INTERRUPT-AFTER",
        on_request=_drop_body_field("POST", "/threads/*/runs/wait", "interrupt_after"),
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
    # --- options --------------------------------------------------------------------------------------
    Fault(
        "configurable-dropped",
        "config.configurable does not reach the graph",
        (O + "test_configurable_reaches_the_graph",),
        "RUNS-CONFIGURABLE",
        on_request=_configurable_dropped,
    ),
    Fault(
        "context-dropped",
        "context does not reach the graph",
        (O + "test_context_reaches_the_graph",),
        "RUNS-CONTEXT",
        on_request=_drop_body_field("POST", "/threads/*/runs/wait", "context"),
    ),
    Fault(
        "run-metadata-dropped",
        "the run's metadata is not kept",
        (O + "test_metadata_is_kept_on_the_run",),
        "RUNS-METADATA",
        on_request=_drop_body_field("POST", "/threads/*/runs/wait", "metadata"),
    ),
    Fault(
        "checkpoint-ignored",
        "checkpoint is ignored (the run starts from the latest state)",
        (O + "test_checkpoint_forks_the_state",),
        "RUNS-CHECKPOINT",
        on_request=_drop_body_field("POST", "/threads/*/runs/wait", "checkpoint"),
    ),
    Fault(
        "after-seconds-ignored",
        "after_seconds is ignored (the run starts at once)",
        (O + "test_after_seconds_keeps_the_run_pending",),
        "RUNS-AFTER-SECONDS",
        on_request=_drop_body_field("POST", "/threads/*/runs", "after_seconds"),
    ),
    Fault(
        "durability-exit-rejected",
        "durability exit is rejected with 422",
        (O + "test_durability_is_accepted_and_the_run_succeeds[exit]",),
        "RUNS-DURABILITY",
        on_request=lambda req: (
            Resp(422, {"content-type": "application/json"}, b'{"detail": "durability"}')
            if req.is_("POST", "/threads/*/runs/wait")
            and isinstance(req.body, dict)
            and req.body.get("durability") == "exit"
            else None
        ),
    ),
    # --- stateless ------------------------------------------------------------------------------------
    Fault(
        "stateless-keep-ignored",
        "on_completion keep is ignored (the temporary thread is deleted)",
        (SL + "test_on_completion_keep_leaves_the_thread", SL + "test_background_run_reaches_success"),
        "STATELESS-ON-COMPLETION",
        on_request=_keep_ignored,
    ),
    Fault(
        "stateless-thread-kept",
        "temporary threads are never deleted (on_completion delete ignored)",
        (SL + "test_on_completion_delete_removes_the_thread[wait-default]",),
        "STATELESS-ON-COMPLETION",
        on_response=_thread_not_deleted,
    ),
    Fault(
        "stateless-wait-not-final",
        "POST /runs/wait answers before the last message",
        (SL + "test_wait_answers_the_final_values",),
        "STATELESS-WAIT",
        on_response=json_response("POST", "/runs/wait", _drop_last_message),
    ),
    Fault(
        "stateless-stream-no-metadata",
        "POST /runs/stream does not start with metadata",
        (SL + "test_stream_starts_with_metadata_and_ends_with_the_run",),
        "STREAM-METADATA-ORDER",
        on_response=stream_events("POST", "/runs/stream", _drop("metadata")),
    ),
    Fault(
        "stateless-batch-first-only",
        "POST /runs/batch runs only the first item",
        (SL + "test_batch_runs_each_reach_their_final_status",),
        "STATELESS-BATCH",
        on_request=_batch_first_only,
    ),
    Fault(
        "stateless-wait-error-as-values",
        "POST /runs/wait on a failing graph answers empty values instead of the error",
        (SL + "test_wait_on_failing_graph_answers_the_error",),
        "STATELESS-WAIT",
        on_response=json_response("POST", "/runs/wait", _error_as_values),
    ),
    Fault(
        "stateless-bad-body-accepted",
        "stateless run bodies the document rejects are accepted",
        (
            SL + "test_bad_stateless_body_is_422[runs-on-completion]",
            SL + "test_bad_stateless_body_is_422[wait-stream-mode]",
        ),
        "RUNS-BAD-BODY",
        on_response=_bad_body_accepted_on(*STATELESS_CREATION),
    ),
    # --- webhooks -------------------------------------------------------------------------------------
    Fault(
        "webhook-dropped",
        "run creation accepts `webhook` and ignores it: the webhook is never called",
        WEBHOOK_CASES,
        "WEBHOOK-CALLED",
        on_request=_webhook_dropped,
        options=("--run-timeout=10",),  # how long the suite waits for a call that never comes
    ),
    Fault(
        "webhook-reports-running",
        "the webhook is called with the run still shown running, not its final status",
        WEBHOOK_CASES,
        "WEBHOOK-RUN",
        on_request=_webhook_relayed(_reported_running),
    ),
)

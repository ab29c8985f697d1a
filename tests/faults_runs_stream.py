"""Faults of a run's event stream (POST /threads/{id}/runs/stream, join and resume a stream), with the
tests of conformance/tests/test_runs_stream.py that must catch each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.faultkit import Fault, drop_body_field, drop_event, run_stream, stream_events
from tests.faultproxy import Req, Resp

SM = "test_runs_stream.py::"


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


def _drop_last_event_id(req: Req) -> None:
    req.headers.pop("last-event-id", None)


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


FAULTS: tuple[Fault, ...] = (
    Fault(
        "stream-no-metadata",
        "run streams do not start with the metadata event",
        (SM + "test_stream_is_framed_and_starts_with_metadata[values]",),
        "STREAM-METADATA-FIRST",
        on_response=run_stream(drop_event("metadata")),
    ),
    Fault(
        "stream-mode-ignored",
        "stream_mode is ignored (values are always streamed)",
        (SM + "test_stream_carries_only_the_asked_modes[updates]", SM + "test_updates_are_each_node_update"),
        "STREAM-MODES",
        on_request=drop_body_field("POST", "/threads/*/runs/stream", "stream_mode"),
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
        on_response=run_stream(drop_event("error")),
    ),
    Fault(
        "stream-subgraphs-ignored",
        "stream_subgraphs is ignored",
        (SM + "test_subgraph_events_are_namespaced",),
        "STREAM-SUBGRAPHS",
        on_request=drop_body_field("POST", "/threads/*/runs/stream", "stream_subgraphs"),
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
)

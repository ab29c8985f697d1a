"""Faults of stateless runs (POST /runs, /runs/wait, /runs/stream, /runs/batch), with the tests of
conformance/tests/test_stateless_runs.py that must catch each."""

from __future__ import annotations

from tests.faultkit import (
    Fault,
    bad_body_accepted_on,
    drop_event,
    drop_last_message,
    error_as_values,
    json_response,
    stream_events,
)
from tests.faultproxy import Req, Resp

SL = "test_stateless_runs.py::"


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


STATELESS_CREATION = ("/runs", "/runs/wait", "/runs/stream", "/runs/batch")


FAULTS: tuple[Fault, ...] = (
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
        on_response=json_response("POST", "/runs/wait", drop_last_message),
    ),
    Fault(
        "stateless-stream-no-metadata",
        "POST /runs/stream does not start with metadata",
        (SL + "test_stream_starts_with_metadata_and_ends_with_the_run",),
        "STREAM-METADATA-ORDER",
        on_response=stream_events("POST", "/runs/stream", drop_event("metadata")),
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
        on_response=json_response("POST", "/runs/wait", error_as_values),
    ),
    Fault(
        "stateless-bad-body-accepted",
        "stateless run bodies the document rejects are accepted",
        (
            SL + "test_bad_stateless_body_is_422[runs-on-completion]",
            SL + "test_bad_stateless_body_is_422[wait-stream-mode]",
        ),
        "RUNS-BAD-BODY",
        on_response=bad_body_accepted_on(*STATELESS_CREATION),
    ),
)

"""Faults of the threads area (create, get, patch, delete, copy, count, prune, stream, storage), with the
tests of conformance/tests/test_threads.py (and, for the fields every thread has, test_thread_runs.py and
test_thread_status.py) that must catch each."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx

from tests.faultkit import (
    Fault,
    answer_with,
    change_body,
    do_nothing_raises,
    each,
    json_response,
    pop_keys,
    segment,
    set_key,
    swap_status,
    swaps,
)
from tests.faultproxy import Req, Resp
from tests.faults_thread_history import HI
from tests.faults_thread_runs import R
from tests.faults_thread_status import T

TH = "test_threads.py::"


def _patch_replaces_metadata(req: Req, resp: Resp) -> None:
    sent = req.body.get("metadata") if isinstance(req.body, dict) else None
    if req.is_("PATCH", "/threads/*") and resp.status == 200 and isinstance(resp.json, dict) and isinstance(sent, dict):
        resp.json = {**resp.json, "metadata": req.body["metadata"]}


def _updated_at_is_created_at(thread):
    if isinstance(thread, dict) and "created_at" in thread:
        thread["updated_at"] = thread["created_at"]
    return thread


def _copy_returns_the_source(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/threads/*/copy") and resp.status == 200 and isinstance(resp.json, dict):
        resp.json = {**resp.json, "thread_id": segment(req, 1)}


def _count_plus_one(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/threads/count") and resp.status == 200 and isinstance(resp.json, int):
        resp.json = resp.json + 1


def _pruned_all(req: Req) -> dict:
    ids = req.body.get("thread_ids") if isinstance(req.body, dict) else None
    return {"pruned_count": len(ids) if isinstance(ids, list) else 0}


def _history_outlives_delete() -> tuple[Callable[[Req], None], Callable[[Req, Resp], None]]:
    """A thread's checkpoints outlive it: DELETE removes the thread, but its history still answers them."""
    kept: dict[str, Any] = {}

    def on_request(req: Req) -> None:
        if req.is_("DELETE", "/threads/*"):
            thread_id = segment(req, 1)
            with contextlib.suppress(httpx.HTTPError, ValueError):
                answer = httpx.post(f"{req.base}/threads/{thread_id}/history", json={"limit": 100}, timeout=10)
                if answer.status_code == 200:
                    kept[thread_id] = answer.json()

    def on_response(req: Req, resp: Resp) -> None:
        history = req.is_("GET", "/threads/*/history") or req.is_("POST", "/threads/*/history")
        if history and resp.status == 404 and segment(req, 1) in kept:
            resp.status = 200
            resp.json = kept[segment(req, 1)]

    return on_request, on_response


HISTORY_OUTLIVES_DELETE = _history_outlives_delete()


def _write_then_refuse(req: Req) -> Resp | None:
    """Validate after writing: an invalid thread body is applied as far as it goes, then answered 422."""
    body = req.body if isinstance(req.body, dict) else {}
    applied = None
    if req.is_("POST", "/threads") and isinstance(body.get("thread_id"), str):
        bad = not isinstance(body.get("metadata", {}), dict) or body.get("if_exists", "raise") not in (
            "raise",
            "do_nothing",
        )
        applied = ("POST", "/threads", {"thread_id": body["thread_id"]}) if bad else None
    elif req.is_("PATCH", "/threads/*") and "metadata" in body and not isinstance(body["metadata"], dict):
        applied = ("PATCH", req.path, {"metadata": {"written": "before validation"}})
    elif req.is_("POST", "/threads/prune") and body.get("strategy") not in (None, "delete", "keep_latest"):
        applied = ("POST", "/threads/prune", {"thread_ids": body.get("thread_ids") or [], "strategy": "delete"})
    if applied is None:
        return None
    method, path, valid = applied
    with contextlib.suppress(httpx.HTTPError):
        httpx.request(method, f"{req.base}{path}", json=valid, timeout=10)
    return Resp(422, {"content-type": "application/json"}, b'{"detail": "validation failed"}')


SILENT_STREAM = b": heartbeat\n\n"


# ------------------------------------------------------------------------------------------ storage
STORAGE_EMPTY = {
    "total_bytes": 0,
    "checkpoints": {"count": 0, "bytes": 0},
    "channel_values": {"count": 0, "bytes": 0, "by_channel": {}},
    "pending_writes": {"count": 0, "bytes": 0},
}


def _storage_total_plus_pending(storage: Any) -> Any:
    """total_bytes leaves out the pending writes."""
    if isinstance(storage, dict) and isinstance(storage.get("pending_writes"), dict):
        storage["total_bytes"] = storage.get("total_bytes", 0) - storage["pending_writes"].get("bytes", 0) + 1
    return storage


def _storage_one_checkpoint_more(storage: Any) -> Any:
    """checkpoints.count counts one more checkpoint than the thread has."""
    if isinstance(storage, dict) and isinstance(storage.get("checkpoints"), dict):
        storage["checkpoints"]["count"] = storage["checkpoints"].get("count", 0) + 1
    return storage


def _storage_channels_undercounted(storage: Any) -> Any:
    """channel_values counts each channel once, not once per version."""
    values = storage.get("channel_values") if isinstance(storage, dict) else None
    if isinstance(values, dict) and values.get("by_channel"):
        values["count"] = len(values["by_channel"])
    return storage


def _unknown_thread_storage(req: Req) -> dict:
    return {"thread_id": req.path.split("/")[2], **STORAGE_EMPTY}


# The fields every thread answer has: written with the first faults, so tests/faults.py lists them near the top.
FIELD_FAULTS: tuple[Fault, ...] = (
    Fault(
        "thread-id-missing",
        "POST /threads answers without thread_id",
        (R + "test_new_thread_has_the_documented_fields",),
        "CONTRACT-SCHEMA",
        on_response=json_response("POST", "/threads", each(lambda t: t.pop("thread_id", None))),
    ),
    Fault(
        "thread-created-at-mistyped",
        "GET /threads/{id} answers created_at that is not a date-time",
        (T + "test_find_thread_by_id",),
        "CONTRACT-SCHEMA",
        on_response=json_response("GET", "/threads/*", set_key("created_at", "yesterday")),
    ),
    Fault(
        "thread-id-not-uuid",
        "GET /threads/{id} answers a thread_id that is not a UUID",
        (T + "test_find_thread_by_id",),
        "CONTRACT-SCHEMA",
        on_response=json_response("GET", "/threads/*", set_key("thread_id", "thread-1")),
    ),
    Fault(
        "thread-metadata-dropped",
        "POST /threads does not return the metadata it stored",
        (R + "test_new_thread_has_the_documented_fields",),
        "THREADS-CREATE-FIELDS",
        on_response=json_response("POST", "/threads", set_key("metadata", {})),
    ),
)


THREAD_FAULTS: tuple[Fault, ...] = (
    # --- threads: create ---------------------------------------------------------------------------
    Fault(
        "thread-id-ignored",
        "POST /threads ignores the thread_id asked for (a new id is made)",
        (TH + "test_create_uses_the_thread_id_asked_for",),
        "THREADS-CREATE",
        on_request=pop_keys("POST", "/threads", "thread_id"),
    ),
    Fault(
        "thread-duplicate-accepted",
        "a second create with an existing thread_id answers 200 instead of 409",
        (TH + "test_create_an_existing_id_is_409[absent]", TH + "test_create_an_existing_id_is_409[raise]"),
        "THREADS-CREATE-CONFLICT",
        on_response=swap_status("POST", "/threads", 409, 200, {}),
    ),
    Fault(
        "thread-do-nothing-raises",
        "if_exists=do_nothing is treated as raise (409)",
        (TH + "test_create_an_existing_id_with_do_nothing_returns_the_existing_thread",),
        "THREADS-CREATE-DO-NOTHING",
        on_request=change_body("POST", "/threads", do_nothing_raises),
    ),
    Fault(
        "thread-supersteps-ignored",
        "POST /threads ignores supersteps (the thread starts empty)",
        (
            TH + "test_create_with_supersteps_sets_the_initial_state",
            # The default-limit tests run on a thread made with supersteps: an empty history cannot be
            # cut, so they are blocked by the deviation, never passed on nothing.
            HI + "test_get_without_limit_returns_up_to_10",
            HI + "test_post_without_limit_returns_1",
        ),
        "THREADS-CREATE-SUPERSTEPS",
        on_request=pop_keys("POST", "/threads", "supersteps"),
    ),
    Fault(
        "thread-ttl-refused",
        "a thread with a ttl is refused with 422",
        (TH + "test_create_with_ttl_is_accepted",),
        "THREADS-TTL",
        on_request=lambda req: (
            Resp(422, {"content-type": "application/json"}, b'{"detail": "ttl not supported"}')
            if req.is_("POST", "/threads") and isinstance(req.body, dict) and "ttl" in req.body
            else None
        ),
    ),
    # --- threads: patch, delete, copy ----------------------------------------------------------------
    Fault(
        "thread-patch-replaces-metadata",
        "PATCH /threads/{id} answers the metadata sent instead of the merged metadata",
        (TH + "test_patch_merges_metadata_and_moves_updated_at",),
        "THREADS-PATCH",
        on_response=_patch_replaces_metadata,
    ),
    Fault(
        "thread-updated-at-frozen",
        "GET /threads/{id} reports updated_at equal to created_at after a PATCH",
        (TH + "test_patch_merges_metadata_and_moves_updated_at",),
        "THREADS-PATCH-TIMESTAMPS",
        on_response=json_response("GET", "/threads/*", _updated_at_is_created_at),
    ),
    Fault(
        "thread-delete-keeps-it",
        "DELETE /threads/{id} answers 204 and keeps the thread",
        (TH + "test_delete_removes_the_thread_everywhere", TH + "test_delete_an_unknown_thread_is_404"),
        "THREADS-DELETE",
        on_request=answer_with("DELETE", "/threads/*", 204, b""),
    ),
    Fault(
        "thread-history-outlives-delete",
        "DELETE /threads/{id} removes the thread but its history still answers its checkpoints",
        (TH + "test_delete_removes_the_thread_everywhere",),
        "THREADS-DELETE",
        on_request=HISTORY_OUTLIVES_DELETE[0],
        on_response=HISTORY_OUTLIVES_DELETE[1],
    ),
    Fault(
        "thread-copy-returns-source",
        "POST /threads/{id}/copy answers the source thread's id",
        (TH + "test_copy_has_the_same_state_and_history",),
        "THREADS-COPY",
        on_response=_copy_returns_the_source,
    ),
    Fault(
        "thread-copy-unknown-404",
        "copying an unknown thread answers an undocumented 404 instead of 409",
        (TH + "test_copy_of_an_unknown_thread_is_409",),
        "THREADS-COPY-UNKNOWN",
        on_response=swap_status("POST", "/threads/*/copy", 409, 404),
    ),
    # --- threads: count, prune, stream ---------------------------------------------------------------
    Fault(
        "thread-count-ignores-status",
        "POST /threads/count ignores the status filter",
        (TH + "test_count_equals_search[status-interrupted]", TH + "test_count_equals_search[status-busy]"),
        "THREADS-COUNT",
        on_request=pop_keys("POST", "/threads/count", "status"),
    ),
    Fault(
        "thread-count-off-by-one",
        "POST /threads/count answers one more than search finds",
        (TH + "test_count_equals_search[metadata]", TH + "test_count_equals_search[metadata-role]"),
        "THREADS-COUNT",
        on_response=_count_plus_one,
    ),
    Fault(
        "thread-prune-does-nothing",
        "POST /threads/prune answers every id as pruned and removes nothing",
        (
            TH + "test_prune_delete_removes_exactly_the_listed_threads",
            TH + "test_prune_an_unknown_thread_prunes_nothing",
        ),
        "THREADS-PRUNE",
        on_request=answer_with("POST", "/threads/prune", 200, _pruned_all),
    ),
    Fault(
        "thread-stream-silent",
        "GET /threads/{id}/stream sends only a heartbeat, never the run's events",
        (TH + "test_thread_stream_delivers_a_run_started_while_listening",),
        "THREADS-STREAM",
        on_request=answer_with("GET", "/threads/*/stream", 200, SILENT_STREAM, "text/event-stream"),
    ),
    Fault(
        "thread-unknown-200",
        "PATCH and DELETE of an unknown thread answer 200 {}",
        (TH + "test_unknown_thread_is_404[patch]", TH + "test_unknown_thread_is_404[delete]"),
        "THREADS-NOT-FOUND",
        on_response=swaps(404, 200, "PATCH /threads/*", "DELETE /threads/*", body={}),
    ),
    Fault(
        "thread-malformed-id-400",
        "a malformed thread id answers 400 instead of 422 (patch, delete, stream)",
        (
            TH + "test_malformed_thread_id_is_422[patch]",
            TH + "test_malformed_thread_id_is_422[delete]",
            TH + "test_malformed_thread_id_is_422[stream]",
        ),
        "THREADS-MALFORMED-ID",
        on_response=swaps(422, 400, "PATCH /threads/*", "DELETE /threads/*", "GET /threads/*/stream"),
    ),
    Fault(
        "thread-validation-missing",
        "invalid thread bodies are accepted (200) instead of 422",
        (
            TH + "test_invalid_body_is_422[create-metadata]",
            TH + "test_invalid_body_is_422[patch-metadata]",
            TH + "test_invalid_body_is_422[count-status]",
            TH + "test_invalid_body_is_422[prune-no-ids]",
        ),
        "THREADS-VALIDATION",
        on_response=swaps(
            422, 200, "POST /threads", "PATCH /threads/*", "POST /threads/count", "POST /threads/prune", body={}
        ),
    ),
    Fault(
        "thread-rejected-write-applied",
        "invalid thread bodies are applied as far as they go (create, patch, prune) and then answered 422",
        (
            TH + "test_invalid_body_is_422[create-metadata]",
            TH + "test_invalid_body_is_422[patch-metadata]",
            TH + "test_invalid_body_is_422[prune-strategy]",
        ),
        "THREADS-VALIDATION",
        on_request=_write_then_refuse,
    ),
)


STORAGE_FAULTS: tuple[Fault, ...] = (
    Fault(
        "storage-total-not-the-sum",
        "GET /threads/{id}/storage answers a total_bytes that is not the sum of its sections",
        (TH + "test_storage_of_a_new_thread_is_empty", TH + "test_storage_counts_the_checkpoints_of_each_run"),
        "STORAGE-TOTAL",
        on_response=json_response("GET", "/threads/*/storage", _storage_total_plus_pending),
    ),
    Fault(
        "storage-checkpoint-miscounted",
        "GET /threads/{id}/storage counts one checkpoint more than the thread's history holds",
        (TH + "test_storage_of_a_new_thread_is_empty", TH + "test_storage_counts_the_checkpoints_of_each_run"),
        "STORAGE-CHECKPOINTS",
        on_response=json_response("GET", "/threads/*/storage", _storage_one_checkpoint_more),
    ),
    Fault(
        "storage-channels-undercounted",
        "GET /threads/{id}/storage counts each channel once, not each of its versions",
        (TH + "test_storage_counts_the_checkpoints_of_each_run",),
        "STORAGE-CHANNELS",
        on_response=json_response("GET", "/threads/*/storage", _storage_channels_undercounted),
    ),
    Fault(
        "storage-unknown-thread-empty",
        "GET /threads/{id}/storage of a thread that does not exist answers 200, an empty storage",
        (TH + "test_unknown_thread_is_404[storage]",),
        "THREADS-NOT-FOUND",
        on_response=lambda req, resp: (
            setattr(resp, "json", _unknown_thread_storage(req)) or setattr(resp, "status", 200)
            if req.is_("GET", "/threads/*/storage") and resp.status == 404
            else None
        ),
    ),
)


FAULTS: tuple[Fault, ...] = FIELD_FAULTS + THREAD_FAULTS + STORAGE_FAULTS

"""Faults of the threads, thread-state (updates, at a checkpoint), thread-history and assistants areas.

Each names the tests of conformance/tests/test_threads.py, test_thread_state_updates.py,
test_thread_history.py and test_assistants.py that must catch it, with the rule. Scenarios that are an
expected failure of the reference (listed in its expected-failures file) fail on the reference itself
and have no fault here: no fault could make them fail "more".
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.faultkit import Fault, json_response, set_key, swap_status
from tests.faultproxy import Req, Resp

TH = "test_threads.py::"
SU = "test_thread_state_updates.py::"
HI = "test_thread_history.py::"
AS = "test_assistants.py::"


# ------------------------------------------------------------------------------------------- helpers
def _all(*hooks: Callable) -> Callable:
    """One hook that runs several (request hooks stop at the first that answers)."""

    def hook(*args):
        for h in hooks:
            answer = h(*args)
            if answer is not None:
                return answer
        return None

    return hook


def _body(method: str, pattern: str, change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern) and isinstance(req.body, dict):
            change(req.body)

    return hook


def _pop(method: str, pattern: str, *keys: str) -> Callable[[Req], None]:
    return _body(method, pattern, lambda body: [body.pop(k, None) for k in keys])


def _pop_query(method: str, pattern: str, key: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern):
            req.query.pop(key, None)

    return hook


def _answer(method: str, pattern: str, status: int, body, content_type: str = "application/json"):
    """Answer the request without forwarding it (the server ignores it)."""

    def hook(req: Req) -> Resp | None:
        if req.is_(method, pattern):
            payload = body(req) if callable(body) else body
            content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            return Resp(status, {"content-type": content_type}, content)
        return None

    return hook


def _swaps(old: int, new: int, *where: str, body=None) -> Callable:
    return _all(*(swap_status(*w.split(" ", 1), old, new, body) for w in where))


def _reroute(method: str, pattern: str, new_method: str, new_path: Callable[[Req], str]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern):
            req.method, req.path = new_method, new_path(req)
            if new_method == "GET":
                req.body, req.raw = None, b""

    return hook


def _segment(req: Req, index: int) -> str:
    return req.path.strip("/").split("/")[index]


def _history_limit_plus_one(req: Req) -> None:
    limit = req.query.get("limit", "")
    if req.is_("GET", "/threads/*/history") and limit.isdigit() and int(limit) < 100:
        req.query["limit"] = str(int(limit) + 1)
    body = req.body if req.is_("POST", "/threads/*/history") and isinstance(req.body, dict) else {}
    if isinstance(body.get("limit"), int) and body["limit"] < 100:
        body["limit"] += 1


def _post_history_default_10(req: Req) -> None:
    if req.is_("POST", "/threads/*/history") and isinstance(req.body, dict):
        req.body.setdefault("limit", 10)


def _drop_input_checkpoints(history):
    if isinstance(history, list):
        return [e for e in history if not (isinstance(e, dict) and (e.get("metadata") or {}).get("source") == "input")]
    return history


def _namespace_filter_empty(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/threads/*/history") and isinstance(req.body, dict) and resp.status == 200:
        checkpoint = req.body.get("checkpoint")
        if isinstance(checkpoint, dict) and "checkpoint_id" not in checkpoint:
            resp.json = []


def _reverse(value):
    return list(reversed(value)) if isinstance(value, list) else value


def _patch_replaces_metadata(req: Req, resp: Resp) -> None:
    sent = req.body.get("metadata") if isinstance(req.body, dict) else None
    if req.is_("PATCH", "/threads/*") and resp.status == 200 and isinstance(resp.json, dict) and isinstance(sent, dict):
        resp.json = {**resp.json, "metadata": req.body["metadata"]}


def _updated_at_is_created_at(thread):
    if isinstance(thread, dict) and "created_at" in thread:
        thread["updated_at"] = thread["created_at"]
    return thread


def _do_nothing_raises(body: dict) -> None:
    if body.get("if_exists") == "do_nothing":
        body["if_exists"] = "raise"


def _copy_returns_the_source(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/threads/*/copy") and resp.status == 200 and isinstance(resp.json, dict):
        resp.json = {**resp.json, "thread_id": _segment(req, 1)}


def _count_plus_one(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/threads/count") and resp.status == 200 and isinstance(resp.json, int):
        resp.json = resp.json + 1


def _pruned_all(req: Req) -> dict:
    ids = req.body.get("thread_ids") if isinstance(req.body, dict) else None
    return {"pruned_count": len(ids) if isinstance(ids, list) else 0}


def _fake_update(req: Req) -> dict:
    checkpoint = {"thread_id": _segment(req, 1), "checkpoint_ns": "", "checkpoint_id": str(uuid.uuid4())}
    return {"checkpoint": checkpoint}


def _graph_id_ignored(body: dict) -> None:
    if body.get("limit") != 10:  # the suite's preflight (limit 10) still finds the fixture graphs
        body.pop("graph_id", None)


def _assistant_version_minus_one(assistant):
    if isinstance(assistant, dict) and isinstance(assistant.get("version"), int):
        assistant["version"] -= 1
    return assistant


def _swap_order(body: dict) -> None:
    if body.get("sort_order") in ("asc", "desc"):
        body["sort_order"] = {"asc": "desc", "desc": "asc"}[body["sort_order"]]


def _assistant_count_plus_one(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/assistants/count") and resp.status == 200 and isinstance(resp.json, int):
        resp.json = resp.json + 1


def _configs_unique() -> tuple[Callable[[Req], Resp | None], Callable[[Req, Resp], None]]:
    """Assistants unique by config, as a database index on (graph, config) would make them: a second create
    with a config an assistant already has answers 409, a PATCH onto such a config answers 500."""
    held: set[str] = set()

    def key(body: dict) -> str:
        return json.dumps(body.get("config") or {}, sort_keys=True)

    def on_request(req: Req) -> Resp | None:
        if not isinstance(req.body, dict) or "config" not in req.body or key(req.body) not in held:
            return None
        if req.is_("POST", "/assistants"):
            return Resp(409, {"content-type": "application/json"}, b'{"detail": "Assistant already exists"}')
        if req.is_("PATCH", "/assistants/*"):
            return Resp(500, {"content-type": "application/json"}, b'{"detail": "unique violation"}')
        return None

    def on_response(req: Req, resp: Resp) -> None:
        if req.is_("POST", "/assistants") and resp.status == 200 and isinstance(req.body, dict):
            held.add(key(req.body))

    return on_request, on_response


CONFIGS_UNIQUE = _configs_unique()


def _patch_resets_the_rest(body: dict) -> None:
    """A PATCH of metadata alone also resets graph_id and config to their defaults (Aegra 0.6.0)."""
    if set(body) == {"metadata"}:
        body.update(graph_id="agent", config={})


def _defaults_listed_as_copies(req: Req, resp: Resp) -> None:
    """The search lists each graph's server-made assistant under another id than the one runs by graph name use
    (a stale copy: the server made its defaults again and lists the new ones)."""
    if req.is_("POST", "/assistants/search") and resp.status == 200 and isinstance(resp.json, list):
        listed = []
        for assistant in resp.json:
            if isinstance(assistant, dict) and (assistant.get("metadata") or {}).get("created_by") == "system":
                copy = str(uuid.uuid5(uuid.NAMESPACE_URL, f"copy:{assistant.get('assistant_id')}"))
                assistant = {**assistant, "assistant_id": copy}
            listed.append(assistant)
        resp.json = listed


def _assistants_404_as_500(req: Req, resp: Resp) -> None:
    if req.path.startswith("/assistants") and resp.status == 404:
        resp.status = 500
        resp.json = {"detail": "boom"}


def _assistants_422_as_400(req: Req, resp: Resp) -> None:
    if req.path.startswith("/assistants") and resp.status == 422:
        resp.status = 400


def _history_outlives_delete() -> tuple[Callable[[Req], None], Callable[[Req, Resp], None]]:
    """A thread's checkpoints outlive it: DELETE removes the thread, but its history still answers them."""
    kept: dict[str, Any] = {}

    def on_request(req: Req) -> None:
        if req.is_("DELETE", "/threads/*"):
            thread_id = _segment(req, 1)
            with contextlib.suppress(httpx.HTTPError, ValueError):
                answer = httpx.post(f"{req.base}/threads/{thread_id}/history", json={"limit": 100}, timeout=10)
                if answer.status_code == 200:
                    kept[thread_id] = answer.json()

    def on_response(req: Req, resp: Resp) -> None:
        history = req.is_("GET", "/threads/*/history") or req.is_("POST", "/threads/*/history")
        if history and resp.status == 404 and _segment(req, 1) in kept:
            resp.status = 200
            resp.json = kept[_segment(req, 1)]

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


FAULTS: tuple[Fault, ...] = (
    # --- threads: create ---------------------------------------------------------------------------
    Fault(
        "thread-id-ignored",
        "POST /threads ignores the thread_id asked for (a new id is made)",
        (TH + "test_create_uses_the_thread_id_asked_for",),
        "THREADS-CREATE",
        on_request=_pop("POST", "/threads", "thread_id"),
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
        on_request=_body("POST", "/threads", _do_nothing_raises),
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
        on_request=_pop("POST", "/threads", "supersteps"),
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
        on_request=_answer("DELETE", "/threads/*", 204, b""),
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
        on_request=_pop("POST", "/threads/count", "status"),
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
        on_request=_answer("POST", "/threads/prune", 200, _pruned_all),
    ),
    Fault(
        "thread-stream-silent",
        "GET /threads/{id}/stream sends only a heartbeat, never the run's events",
        (TH + "test_thread_stream_delivers_a_run_started_while_listening",),
        "THREADS-STREAM",
        on_request=_answer("GET", "/threads/*/stream", 200, SILENT_STREAM, "text/event-stream"),
    ),
    Fault(
        "thread-unknown-200",
        "PATCH and DELETE of an unknown thread answer 200 {}",
        (TH + "test_unknown_thread_is_404[patch]", TH + "test_unknown_thread_is_404[delete]"),
        "THREADS-NOT-FOUND",
        on_response=_swaps(404, 200, "PATCH /threads/*", "DELETE /threads/*", body={}),
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
        on_response=_swaps(422, 400, "PATCH /threads/*", "DELETE /threads/*", "GET /threads/*/stream"),
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
        on_response=_swaps(
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
    # --- thread state: updates, at a checkpoint --------------------------------------------------------
    Fault(
        "state-update-ignored",
        "POST /threads/{id}/state answers a checkpoint but stores nothing",
        (SU + "test_update_values_makes_a_new_checkpoint",),
        "STATE-UPDATE",
        on_request=_answer("POST", "/threads/*/state", 200, _fake_update),
    ),
    Fault(
        "state-update-as-node-ignored",
        "POST /threads/{id}/state ignores as_node",
        (SU + "test_update_as_node_continues_after_that_node[first]",),
        "STATE-UPDATE-AS-NODE",
        on_request=_pop("POST", "/threads/*/state", "as_node"),
    ),
    Fault(
        "state-update-checkpoint-ignored",
        "POST /threads/{id}/state ignores checkpoint (updates the latest state)",
        (SU + "test_update_at_a_checkpoint_forks_from_it",),
        "STATE-UPDATE-CHECKPOINT",
        on_request=_pop("POST", "/threads/*/state", "checkpoint"),
    ),
    Fault(
        "state-at-checkpoint-is-latest",
        "GET /threads/{id}/state/{checkpoint_id} answers the latest state",
        (SU + "test_state_at_a_checkpoint_by_id", SU + "test_state_at_an_unknown_checkpoint_is_not_the_latest"),
        "STATE-AT-CHECKPOINT",
        on_request=_reroute("GET", "/threads/*/state/*", "GET", lambda r: f"/threads/{_segment(r, 1)}/state"),
    ),
    Fault(
        "state-checkpoint-post-is-latest",
        "POST /threads/{id}/state/checkpoint answers the latest state",
        (
            SU + "test_state_at_a_checkpoint_by_post[full]",
            SU + "test_state_at_a_checkpoint_by_post[checkpoint_id-only]",
        ),
        "STATE-AT-CHECKPOINT",
        on_request=_reroute("POST", "/threads/*/state/checkpoint", "GET", lambda r: f"/threads/{_segment(r, 1)}/state"),
    ),
    Fault(
        "state-unknown-thread-200",
        "state operations on an unknown thread answer 200",
        (
            SU + "test_unknown_thread_is_404[update]",
            SU + "test_unknown_thread_is_404[at-checkpoint]",
            SU + "test_unknown_thread_is_404[checkpoint-post]",
        ),
        "STATE-NOT-FOUND-ALL",
        on_response=_swaps(
            404, 200, "POST /threads/*/state", "GET /threads/*/state/*", "POST /threads/*/state/checkpoint", body={}
        ),
    ),
    Fault(
        "state-validation-400",
        "invalid state requests answer 400 instead of 422",
        (
            SU + "test_invalid_request_is_422[update-values-type]",
            SU + "test_invalid_request_is_422[checkpoint-post-missing]",
        ),
        "STATE-VALIDATION",
        on_response=_swaps(422, 400, "POST /threads/*/state", "POST /threads/*/state/checkpoint"),
    ),
    # --- history ---------------------------------------------------------------------------------------
    Fault(
        "history-oldest-first",
        "history is answered oldest first",
        (
            HI + "test_history_is_newest_first_and_parents_chain[GET]",
            HI + "test_history_is_newest_first_and_parents_chain[POST]",
        ),
        "HISTORY-ORDER",
        on_response=_all(
            json_response("GET", "/threads/*/history", _reverse), json_response("POST", "/threads/*/history", _reverse)
        ),
    ),
    Fault(
        "history-drops-input-checkpoints",
        "history leaves out the input checkpoint of each run",
        (HI + "test_history_grows_by_the_steps_each_run_took", HI + "test_history_of_a_run_names_each_node"),
        "HISTORY-GROWS",
        on_response=_all(
            json_response("GET", "/threads/*/history", _drop_input_checkpoints),
            json_response("POST", "/threads/*/history", _drop_input_checkpoints),
        ),
    ),
    Fault(
        "history-limit-off-by-one",
        "history returns one entry more than the limit",
        (HI + "test_limit_returns_the_newest_entries[GET-1]", HI + "test_limit_returns_the_newest_entries[POST-2]"),
        "HISTORY-LIMIT",
        on_request=_history_limit_plus_one,
    ),
    Fault(
        "history-post-default-limit-10",
        "POST history without limit returns 10 entries, not the documented 1",
        (HI + "test_post_without_limit_returns_1",),
        "HISTORY-LIMIT",
        on_request=_post_history_default_10,
    ),
    Fault(
        "history-before-ignored",
        "GET history ignores before",
        (HI + "test_get_before_returns_the_older_checkpoints",),
        "HISTORY-BEFORE",
        on_request=_pop_query("GET", "/threads/*/history", "before"),
    ),
    Fault(
        "history-metadata-filter-ignored",
        "POST history ignores the metadata filter",
        (HI + "test_metadata_filter_returns_exactly_the_matching_checkpoints[source-input]",),
        "HISTORY-FILTER",
        on_request=_pop("POST", "/threads/*/history", "metadata"),
    ),
    Fault(
        "history-checkpoint-filter-ignored",
        "POST history ignores the checkpoint filter",
        (HI + "test_checkpoint_filter_returns_that_checkpoint",),
        "HISTORY-CHECKPOINT-ID",
        on_request=_pop("POST", "/threads/*/history", "checkpoint"),
    ),
    Fault(
        "history-namespace-filter-empty",
        "POST history with a checkpoint_ns filter and no checkpoint_id answers []",
        (HI + "test_checkpoint_namespace_filter_of_the_root_graph_is_the_whole_history",),
        "HISTORY-FILTER",
        on_response=_namespace_filter_empty,
    ),
    Fault(
        "history-unknown-thread-200",
        "the history of an unknown thread answers 200 []",
        (HI + "test_unknown_thread_history_is_404[GET]", HI + "test_unknown_thread_history_is_404[POST]"),
        "STATE-NOT-FOUND-ALL",
        on_response=_swaps(404, 200, "GET /threads/*/history", "POST /threads/*/history", body=[]),
    ),
    Fault(
        "history-validation-400",
        "invalid history requests answer 400 instead of 422",
        (
            HI + "test_invalid_history_request_is_422[get-limit-text]",
            HI + "test_invalid_history_request_is_422[post-limit-0]",
        ),
        "STATE-VALIDATION",
        on_response=_swaps(422, 400, "GET /threads/*/history", "POST /threads/*/history"),
    ),
    # --- assistants ------------------------------------------------------------------------------------
    Fault(
        "assistant-search-graph-id-ignored",
        "POST /assistants/search ignores graph_id",
        (
            AS + "test_each_graph_has_a_default_assistant[steps]",
            AS + "test_search_filter_applies_and_count_agrees[graph_id]",
        ),
        "ASSISTANTS-DEFAULTS",
        on_request=_body("POST", "/assistants/search", _graph_id_ignored),
    ),
    Fault(
        "assistant-defaults-listed-as-copies",
        "POST /assistants/search lists each graph's default under an id no run uses (runs by graph name use another)",
        (AS + "test_each_graph_has_a_default_assistant[agent]", AS + "test_each_graph_has_a_default_assistant[steps]"),
        "ASSISTANTS-DEFAULTS",
        on_response=_defaults_listed_as_copies,
    ),
    Fault(
        "assistant-fields-dropped",
        "POST /assistants drops name and description",
        (AS + "test_create_keeps_every_field_and_get_shows_them",),
        "ASSISTANTS-CREATE",
        on_request=_pop("POST", "/assistants", "name", "description"),
    ),
    Fault(
        "assistant-configs-unique",
        "two assistants of one graph cannot share a config (409 on create, 500 on PATCH)",
        (
            AS + "test_assistants_of_one_graph_may_share_a_config",
            AS + "test_patch_to_a_config_another_assistant_has_succeeds",
        ),
        "ASSISTANTS-SAME-CONFIG",
        on_request=CONFIGS_UNIQUE[0],
        on_response=CONFIGS_UNIQUE[1],
    ),
    Fault(
        "assistant-patch-resets-the-rest",
        "a PATCH of metadata alone resets the assistant's graph_id and config",
        (AS + "test_patch_of_metadata_alone_keeps_the_rest",),
        "ASSISTANTS-PATCH",
        on_request=_body("PATCH", "/assistants/*", _patch_resets_the_rest),
    ),
    Fault(
        "assistant-context-dropped",
        "POST /assistants drops context",
        (AS + "test_create_with_context_keeps_it",),
        "ASSISTANTS-CREATE",
        on_request=_pop("POST", "/assistants", "context"),
    ),
    Fault(
        "assistant-duplicate-accepted",
        "a second create with an existing assistant_id answers 200 instead of 409",
        (AS + "test_create_an_existing_id_is_409[absent]", AS + "test_create_an_existing_id_is_409[raise]"),
        "ASSISTANTS-CREATE-CONFLICT",
        on_response=swap_status("POST", "/assistants", 409, 200, {}),
    ),
    Fault(
        "assistant-do-nothing-raises",
        "if_exists=do_nothing is treated as raise (409)",
        (AS + "test_create_an_existing_id_with_do_nothing_returns_it_unchanged",),
        "ASSISTANTS-CREATE-CONFLICT",
        on_request=_body("POST", "/assistants", _do_nothing_raises),
    ),
    Fault(
        "assistant-patch-same-version",
        "PATCH /assistants/{id} answers the version it replaced",
        (AS + "test_patch_makes_the_next_version_with_the_new_config",),
        "ASSISTANTS-PATCH",
        on_response=json_response("PATCH", "/assistants/*", _assistant_version_minus_one),
    ),
    Fault(
        "assistant-versions-oldest-first",
        "POST /assistants/{id}/versions lists the oldest version first",
        (AS + "test_versions_list_newest_first[all]", AS + "test_versions_list_newest_first[offset-1]"),
        "ASSISTANTS-VERSIONS-ORDER",
        on_response=json_response("POST", "/assistants/*/versions", _reverse),
    ),
    Fault(
        "assistant-latest-ignored",
        "POST /assistants/{id}/latest answers the assistant as it is, switching nothing",
        (AS + "test_latest_switches_back_to_version_1", AS + "test_latest_with_an_unknown_version_is_404"),
        "ASSISTANTS-LATEST",
        on_request=_reroute("POST", "/assistants/*/latest", "GET", lambda r: f"/assistants/{_segment(r, 1)}"),
    ),
    Fault(
        "assistant-delete-keeps-it",
        "DELETE /assistants/{id} answers 204 and keeps the assistant",
        (AS + "test_delete_then_404_and_its_threads[keep-threads]",),
        "ASSISTANTS-DELETE",
        on_request=_answer("DELETE", "/assistants/*", 204, b""),
    ),
    Fault(
        "assistant-delete-threads-ignored",
        "DELETE /assistants/{id}?delete_threads=true keeps the assistant's threads",
        (AS + "test_delete_then_404_and_its_threads[delete-threads]",),
        "ASSISTANTS-DELETE",
        on_request=_pop_query("DELETE", "/assistants/*", "delete_threads"),
    ),
    Fault(
        "assistant-search-name-ignored",
        "POST /assistants/search and count ignore name",
        (AS + "test_search_filter_applies_and_count_agrees[name]",),
        "ASSISTANTS-SEARCH",
        on_request=_all(_pop("POST", "/assistants/search", "name"), _pop("POST", "/assistants/count", "name")),
    ),
    Fault(
        "assistant-count-off-by-one",
        "POST /assistants/count answers one more than search finds",
        (AS + "test_search_filter_applies_and_count_agrees[metadata]",),
        "ASSISTANTS-COUNT",
        on_response=_assistant_count_plus_one,
    ),
    Fault(
        "assistant-sort-order-inverted",
        "assistant search swaps asc and desc",
        (AS + "test_sort_orders_by_the_field[name-asc]", AS + "test_sort_orders_by_the_field[updated_at-desc]"),
        "ASSISTANTS-SEARCH",
        on_request=_body("POST", "/assistants/search", _swap_order),
    ),
    Fault(
        "assistant-offset-ignored",
        "assistant search ignores offset",
        (AS + "test_limit_and_offset_page_through[2-1]",),
        "ASSISTANTS-SEARCH",
        on_request=_pop("POST", "/assistants/search", "offset"),
    ),
    Fault(
        "assistant-select-ignored",
        "assistant search ignores select",
        (AS + "test_select_returns_exactly_the_selected_fields[assistant_id]",),
        "ASSISTANTS-SEARCH",
        on_request=_pop("POST", "/assistants/search", "select"),
    ),
    Fault(
        "assistant-graph-edges-missing",
        "GET /assistants/{id}/graph answers no edges",
        (AS + "test_graph_lists_nodes_and_edges",),
        "ASSISTANTS-GRAPH",
        on_response=json_response("GET", "/assistants/*/graph", set_key("edges", [])),
    ),
    Fault(
        "assistant-graph-xray-ignored",
        "GET /assistants/{id}/graph ignores xray",
        (AS + "test_graph_xray_shows_the_subgraph[xray]",),
        "ASSISTANTS-GRAPH",
        on_request=_pop_query("GET", "/assistants/*/graph", "xray"),
    ),
    Fault(
        "assistant-state-schema-empty",
        "GET /assistants/{id}/schemas answers an empty state schema",
        (AS + "test_schemas_describe_the_state[agent]",),
        "ASSISTANTS-SCHEMAS",
        on_response=json_response("GET", "/assistants/*/schemas", set_key("state_schema", {})),
    ),
    Fault(
        "assistant-subgraphs-empty",
        "GET /assistants/{id}/subgraphs answers no subgraphs",
        (AS + "test_subgraphs_are_named_by_namespace[interrupt]",),
        "ASSISTANTS-SUBGRAPHS",
        on_response=json_response("GET", "/assistants/*/subgraphs", lambda value: {}),
    ),
    Fault(
        "assistant-subgraph-namespace-ignored",
        "GET /assistants/{id}/subgraphs/{namespace} answers every subgraph",
        (AS + "test_subgraphs_are_named_by_namespace[unknown-namespace]",),
        "ASSISTANTS-SUBGRAPHS",
        on_request=_reroute(
            "GET", "/assistants/*/subgraphs/*", "GET", lambda r: f"/assistants/{_segment(r, 1)}/subgraphs"
        ),
    ),
    Fault(
        "run-config-ignored",
        "a run's own config and context are ignored (the assistant's always win)",
        (
            AS + "test_assistant_configuration_reaches_the_run[configurable-overridden]",
            AS + "test_assistant_configuration_reaches_the_run[context-overridden]",
        ),
        "ASSISTANTS-CONFIG-USED",
        on_request=_pop("POST", "/threads/*/runs", "config", "context"),
    ),
    Fault(
        "assistant-config-dropped",
        "POST /assistants drops config (its runs never see the assistant's configurable)",
        (AS + "test_assistant_configuration_reaches_the_run[configurable]",),
        "ASSISTANTS-CONFIG-USED",
        on_request=_pop("POST", "/assistants", "config"),
    ),
    Fault(
        "assistant-unknown-500",
        "operations on an unknown assistant (or graph) answer 500 instead of 404",
        (
            AS + "test_unknown_assistant_is_404[get]",
            AS + "test_unknown_assistant_is_404[latest]",
            AS + "test_create_on_an_unknown_graph_is_404",
        ),
        "ASSISTANTS-NOT-FOUND",
        on_response=_assistants_404_as_500,
    ),
    Fault(
        "assistant-validation-400",
        "invalid assistant requests answer 400 instead of 422",
        (AS + "test_invalid_request_is_422[get-malformed-id]", AS + "test_invalid_request_is_422[search-limit-0]"),
        "ASSISTANTS-VALIDATION",
        on_response=_assistants_422_as_400,
    ),
    # --- thread storage ---------------------------------------------------------------------------------
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

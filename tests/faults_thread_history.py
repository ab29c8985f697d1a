"""Faults of a thread's history (GET and POST /threads/{id}/history), with the tests of
conformance/tests/test_thread_history.py that must catch each."""

from __future__ import annotations

from tests.faultkit import Fault, all_of, json_response, pop_keys, pop_query, reversed_value, swaps
from tests.faultproxy import Req, Resp

HI = "test_thread_history.py::"


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


FAULTS: tuple[Fault, ...] = (
    Fault(
        "history-oldest-first",
        "history is answered oldest first",
        (
            HI + "test_history_is_newest_first_and_parents_chain[GET]",
            HI + "test_history_is_newest_first_and_parents_chain[POST]",
        ),
        "HISTORY-ORDER",
        on_response=all_of(
            json_response("GET", "/threads/*/history", reversed_value),
            json_response("POST", "/threads/*/history", reversed_value),
        ),
    ),
    Fault(
        "history-drops-input-checkpoints",
        "history leaves out the input checkpoint of each run",
        (HI + "test_history_grows_by_the_steps_each_run_took", HI + "test_history_of_a_run_names_each_node"),
        "HISTORY-GROWS",
        on_response=all_of(
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
        on_request=pop_query("GET", "/threads/*/history", "before"),
    ),
    Fault(
        "history-metadata-filter-ignored",
        "POST history ignores the metadata filter",
        (HI + "test_metadata_filter_returns_exactly_the_matching_checkpoints[source-input]",),
        "HISTORY-FILTER",
        on_request=pop_keys("POST", "/threads/*/history", "metadata"),
    ),
    Fault(
        "history-checkpoint-filter-ignored",
        "POST history ignores the checkpoint filter",
        (HI + "test_checkpoint_filter_returns_that_checkpoint",),
        "HISTORY-CHECKPOINT-ID",
        on_request=pop_keys("POST", "/threads/*/history", "checkpoint"),
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
        on_response=swaps(404, 200, "GET /threads/*/history", "POST /threads/*/history", body=[]),
    ),
    Fault(
        "history-validation-400",
        "invalid history requests answer 400 instead of 422",
        (
            HI + "test_invalid_history_request_is_422[get-limit-text]",
            HI + "test_invalid_history_request_is_422[post-limit-0]",
        ),
        "STATE-VALIDATION",
        on_response=swaps(422, 400, "GET /threads/*/history", "POST /threads/*/history"),
    ),
)

"""Faults the sdk-js area (conformance/tests/test_sdk_js.py, the official JS client) must catch."""

from __future__ import annotations

from tests.faultkit import Fault, drop, join_early, json_response, set_key, swap_status

J = "test_sdk_js.py::"


def _drop_last_state_message(state: dict) -> dict:
    values = state.get("values")
    if isinstance(values, dict) and isinstance(values.get("messages"), list) and values["messages"]:
        values["messages"] = values["messages"][:-1]
    return state


def _keep_one_metadata_key(req) -> None:
    """Search by the tag alone: the metadata filter's other keys are ignored."""
    if req.is_("POST", "/threads/search") and isinstance(req.body, dict):
        metadata = req.body.get("metadata")
        if isinstance(metadata, dict) and "size" in metadata:
            metadata.pop("size")


FAULTS: tuple[Fault, ...] = (
    Fault(
        "sdkjs-thread-created-busy",
        "a new thread created through the JS client says busy",
        (J + "test_sdk_js_threads_create_and_get",),
        "SDK-JS-THREADS",
        on_response=json_response("POST", "/threads", set_key("status", "busy")),
    ),
    Fault(
        "sdkjs-join-early",
        "runs.join answers at once with empty values instead of the run's final values",
        (J + "test_sdk_js_background_run_guide",),
        "SDK-JS-RUNS",
        on_request=join_early,
    ),
    Fault(
        "sdkjs-run-create-500",
        "POST /threads/{thread_id}/runs answers 500: the JS client's runs.create throws",
        (J + "test_sdk_js_background_run_guide",),
        "SDK-JS-CALL",
        on_response=swap_status("POST", "/threads/*/runs", 200, 500, {"detail": "boom"}),
    ),
    Fault(
        "sdkjs-state-stale",
        "threads.getState lacks the last message of the finished run",
        (J + "test_sdk_js_get_state_holds_the_conversation",),
        "SDK-JS-STATE",
        on_response=json_response("GET", "/threads/*/state", _drop_last_state_message),
    ),
    Fault(
        "sdkjs-search-status-ignored",
        "threads.search ignores its status filter",
        (
            J + "test_sdk_js_search_by_status[idle]",
            J + "test_sdk_js_search_by_status[interrupted]",
            J + "test_sdk_js_search_by_status[error]",
        ),
        "SDK-JS-SEARCH",
        on_request=drop("status"),
    ),
    Fault(
        "sdkjs-search-metadata-partial",
        "threads.search matches only part of its metadata filter",
        (J + "test_sdk_js_search_by_metadata",),
        "SDK-JS-SEARCH",
        on_request=_keep_one_metadata_key,
    ),
)

"""The catalogue of deliberate faults, and which conformance tests must catch each.

Each fault is one wrong behaviour a real server could have, injected by the proxy in front of the
reference. ``catches`` names the tests that must fail (matched against the end of the node id) and
``rule`` the rule id at least one of those failures must name. docs/FAULTS.md is generated from this
table (``python -m tests.faults``) and the self-tests prove every row.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from tests.faultkit import (
    Fault,
    _search,
    drop,
    each,
    hang,
    join_early,
    json_response,
    limit_from_the_end,
    search_request,
    set_key,
    status_shown,
    swap_status,
)
from tests.faultproxy import Req, Resp


def _swap_order(body: dict) -> None:
    if body.get("sort_order") in ("asc", "desc"):
        body["sort_order"] = {"asc": "desc", "desc": "asc"}[body["sort_order"]]


def _first_metadata_key_only(body: dict) -> None:
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and len(metadata) > 1:
        first = next(iter(metadata))
        body["metadata"] = {first: metadata[first]}


def _drop_null_metadata(body: dict) -> None:
    if isinstance(body.get("metadata"), dict):
        body["metadata"] = {k: v for k, v in body["metadata"].items() if v is not None}


def _drop_nested_metadata(body: dict) -> None:
    if isinstance(body.get("metadata"), dict):
        body["metadata"] = {k: v for k, v in body["metadata"].items() if not isinstance(v, dict | list)}


def _status_interrupted_means_error(body: dict) -> None:
    if body.get("status") == "interrupted":
        body["status"] = "error"


def _default_limit_20(body: dict) -> None:
    body.setdefault("limit", 20)


def _limit_plus_one(body: dict) -> None:
    if isinstance(body.get("limit"), int) and body["limit"] < 1000:
        body["limit"] += 1


def _offset_minus_one(body: dict) -> None:
    if isinstance(body.get("offset"), int) and body["offset"] > 0:
        body["offset"] -= 1


def _updated_means_created(body: dict) -> None:
    if body.get("sort_by") == "updated_at":
        body["sort_by"] = "created_at"


def _select_always_thread_id(body: dict) -> None:
    if isinstance(body.get("select"), list) and "thread_id" not in body["select"]:
        body["select"].append("thread_id")


def _drop_subgraphs(req: Req) -> None:
    if req.is_("GET", "/threads/*/state"):
        req.query.pop("subgraphs", None)


def _always_subgraphs(req: Req) -> None:
    if req.is_("GET", "/threads/*/state"):
        req.query.setdefault("subgraphs", "true")


def _fresh_state_starts(state: dict) -> dict:
    """A state with nothing in it names the start node as next, as if the thread had a pending step."""
    if isinstance(state, dict) and state.get("values") in ({}, [], None) and state.get("next") == []:
        state["next"] = ["__start__"]
    return state


SEARCH_LIMIT_FROM_THE_END = limit_from_the_end("POST", "/threads/search", default=10, fetch=1000)

PHANTOM_RUN = {
    "run_id": "00000000-0000-4000-8000-0000000000aa",
    "thread_id": "00000000-0000-4000-8000-0000000000bb",
    "assistant_id": "00000000-0000-4000-8000-0000000000cc",
    "created_at": "2026-01-01T00:00:00+00:00",
    "updated_at": "2026-01-01T00:00:00+00:00",
    "status": "success",
    "metadata": {},
    "kwargs": {},
    "multitask_strategy": "reject",
}


def _first_poll_error() -> Callable[[Req, Resp], None]:
    """The first GET of each run reports error (a status the server gives a run its worker has not seen)."""
    seen: set[str] = set()

    def hook(req: Req, resp: Resp) -> None:
        if req.is_("GET", "/threads/*/runs/*") and resp.status == 200 and isinstance(resp.json, dict):
            run_id = req.path.rstrip("/").rsplit("/", 1)[-1]
            if run_id not in seen:
                seen.add(run_id)
                resp.json = {**resp.json, "status": "error"}

    return hook


def _runs_list_query(change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_("GET", "/threads/*/runs"):
            change(req.query)

    return hook


def _drop_last_message(state: dict) -> dict:
    values = state.get("values")
    if isinstance(values, dict) and isinstance(values.get("messages"), list) and values["messages"]:
        values["messages"] = values["messages"][:-1]
    return state


def _tasks(change: Callable[[dict], None]) -> Callable[[dict], dict]:
    def apply(state: dict) -> dict:
        for task in state.get("tasks") or []:
            change(task)
        return state

    return apply


def _clear_interrupts(task: dict) -> None:
    task["interrupts"] = []


def _clear_error(task: dict) -> None:
    task["error"] = None


def _clear_kwargs_input(run: dict) -> None:
    if isinstance(run.get("kwargs"), dict):
        run["kwargs"]["input"] = {}


def _no_graphs(req: Req) -> Resp | None:
    if req.is_("POST", "/assistants/search"):
        return Resp(200, {"content-type": "application/json"}, b"[]")
    return None


S = "test_thread_search.py::"
T = "test_thread_status.py::"
R = "test_thread_runs.py::"
ST = "test_thread_state.py::"
QUICK_RUNS = ("--run-timeout", "4")

FAULTS: tuple[Fault, ...] = (
    # --- thread status -------------------------------------------------------------------------
    Fault(
        "idle-shown-as-busy",
        "GET /threads/{id} reports an idle thread as busy",
        (T + "test_new_thread_is_idle_and_found_by_idle_search", T + "test_thread_shows_its_status[idle]"),
        "THREAD-STATUS-IDLE",
        on_response=status_shown("idle", "busy"),
    ),
    Fault(
        "busy-shown-as-idle",
        "GET /threads/{id} never reports busy while a run is in progress",
        (T + "test_busy_thread_shows_busy_and_is_found_by_busy_search",),
        "THREAD-STATUS-BUSY",
        on_response=status_shown("busy", "idle"),
        options=QUICK_RUNS,
    ),
    Fault(
        "interrupted-shown-as-idle",
        "an interrupted thread is reported idle",
        (T + "test_thread_shows_its_status[interrupted]",),
        "THREAD-STATUS-INTERRUPTED",
        on_response=status_shown("interrupted", "idle"),
    ),
    Fault(
        "error-shown-as-idle",
        "an errored thread is reported idle",
        (T + "test_thread_shows_its_status[error]",),
        "THREAD-STATUS-ERROR",
        on_response=status_shown("error", "idle"),
    ),
    Fault(
        "new-thread-busy",
        "POST /threads answers a new thread with status busy",
        (R + "test_new_thread_has_the_documented_fields",),
        "THREADS-CREATE-FIELDS",
        on_response=json_response("POST", "/threads", set_key("status", "busy")),
    ),
    # --- search: status ------------------------------------------------------------------------
    Fault(
        "search-status-ignored",
        "the search status filter is accepted and ignored",
        (
            T + "test_search_by_status_returns_exactly_that_status[error]",
            T + "test_search_by_status_returns_exactly_that_status[busy]",
            "test_sdk.py::test_sdk_search_by_status[idle]",
        ),
        "SEARCH-STATUS",
        on_request=drop("status"),
    ),
    Fault(
        "search-status-misapplied",
        "status=interrupted searches for error threads",
        (T + "test_search_by_status_returns_exactly_that_status[interrupted]",),
        "SEARCH-STATUS",
        on_request=search_request(_status_interrupted_means_error),
    ),
    # --- search: ids, metadata, values -----------------------------------------------------------
    Fault(
        "search-extract-ignored",
        "the extract field is accepted and ignored (no extracted values, a bad path answers 200)",
        (S + "test_extract_returns_each_alias_with_its_value", S + "test_invalid_search_is_422[extract-bad-path]"),
        "SEARCH-EXTRACT",
        on_request=drop("extract"),
    ),
    Fault(
        "search-ids-ignored",
        "the ids filter is ignored",
        (S + "test_ids_filter_returns_exactly_those_threads", S + "test_ids_filter_with_an_unknown_id_returns_nothing"),
        "SEARCH-IDS",
        on_request=drop("ids"),
    ),
    Fault(
        "search-metadata-ignored",
        "the metadata filter is ignored",
        (
            S + "test_metadata_filter_returns_exactly_the_tagged_threads",
            T + "test_find_threads_by_metadata[string]",
            "test_sdk.py::test_sdk_search_by_metadata",
        ),
        "SEARCH-METADATA",
        on_request=drop("metadata"),
    ),
    Fault(
        "search-metadata-first-key-only",
        "only the first metadata key is applied",
        (T + "test_find_threads_by_metadata[integer]", T + "test_find_threads_by_metadata[true]"),
        "SEARCH-METADATA",
        on_request=search_request(_first_metadata_key_only),
    ),
    Fault(
        "search-metadata-null-ignored",
        "metadata keys with null values are not applied",
        (T + "test_find_threads_by_metadata[null]",),
        "SEARCH-METADATA",
        on_request=search_request(_drop_null_metadata),
    ),
    Fault(
        "search-metadata-nested-ignored",
        "metadata keys with object or list values are not applied",
        (T + "test_find_threads_by_metadata[nested]", T + "test_find_threads_by_metadata[list]"),
        "SEARCH-METADATA",
        on_request=search_request(_drop_nested_metadata),
    ),
    Fault(
        "search-values-ignored",
        "the values filter is ignored",
        (S + "test_values_filter_returns_the_thread_with_that_state",),
        "SEARCH-VALUES",
        on_request=drop("values"),
    ),
    # --- search: paging, sorting, select ------------------------------------------------------------
    Fault(
        "search-limit-ignored",
        "limit is ignored (the default applies)",
        (S + "test_limit_caps_the_results[1]", S + "test_limit_1000_returns_all_matches"),
        "SEARCH-LIMIT",
        on_request=drop("limit"),
    ),
    Fault(
        "search-limit-off-by-one",
        "limit returns one thread more than asked",
        (S + "test_limit_caps_the_results[1]", S + "test_limit_caps_the_results[5]"),
        "SEARCH-LIMIT",
        on_request=search_request(_limit_plus_one),
    ),
    Fault(
        "search-limit-from-the-end",
        "a limited search answers as many threads as asked, but the last ones of its listing, not the first",
        (S + "test_limit_caps_the_results[1]", S + "test_limit_caps_the_results[5]", S + "test_default_limit_is_10"),
        "SEARCH-LIMIT",
        on_request=SEARCH_LIMIT_FROM_THE_END[0],
        on_response=SEARCH_LIMIT_FROM_THE_END[1],
    ),
    Fault(
        "search-default-limit-20",
        "the default limit is 20, not 10",
        (S + "test_default_limit_is_10",),
        "SEARCH-LIMIT",
        on_request=search_request(_default_limit_20),
    ),
    Fault(
        "search-offset-ignored",
        "offset is ignored",
        (S + "test_offset_skips_that_many[3]", S + "test_offset_skips_that_many[12]"),
        "SEARCH-OFFSET",
        on_request=drop("offset"),
    ),
    Fault(
        "search-offset-off-by-one",
        "offset skips one thread fewer than asked",
        (S + "test_offset_skips_that_many[3]",),
        "SEARCH-OFFSET",
        on_request=search_request(_offset_minus_one),
    ),
    Fault(
        "search-sort-by-ignored",
        "sort_by is ignored",
        (S + "test_sort_orders_by_the_field[thread_id-asc]", S + "test_sort_by_status[asc]"),
        "SEARCH-SORT",
        on_request=drop("sort_by"),
    ),
    Fault(
        "search-sort-order-ignored",
        "sort_order is ignored",
        (S + "test_sort_orders_by_the_field[created_at-asc]",),
        "SEARCH-SORT",
        on_request=drop("sort_order"),
    ),
    Fault(
        "search-sort-order-inverted",
        "asc and desc are swapped",
        (S + "test_sort_orders_by_the_field[thread_id-asc]", S + "test_sort_orders_by_the_field[updated_at-desc]"),
        "SEARCH-SORT",
        on_request=search_request(_swap_order),
    ),
    Fault(
        "search-sort-updated-as-created",
        "sort_by=updated_at sorts by created_at",
        (S + "test_sort_orders_by_the_field[updated_at-asc]",),
        "SEARCH-SORT",
        on_request=search_request(_updated_means_created),
    ),
    Fault(
        "search-select-ignored",
        "select is ignored (whole threads come back)",
        (S + "test_select_returns_exactly_the_selected_fields[thread_id]",),
        "SEARCH-SELECT",
        on_request=drop("select"),
    ),
    Fault(
        "search-select-extra-field",
        "select always adds thread_id",
        (S + "test_select_returns_exactly_the_selected_fields[metadata+created_at+updated_at]",),
        "SEARCH-SELECT",
        on_request=search_request(_select_always_thread_id),
    ),
    Fault(
        "search-validation-missing",
        "invalid search input answers 200 [] instead of 422",
        (S + "test_invalid_search_is_422[limit-0]", S + "test_invalid_search_is_422[unknown-status]"),
        "SEARCH-VALIDATION",
        on_response=swap_status("POST", "/threads/search", 422, 200, []),
    ),
    # --- required fields and types ------------------------------------------------------------------
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
    # --- run lifecycle ------------------------------------------------------------------------------------
    Fault(
        "run-stuck-pending",
        "GET .../runs/{id} always says pending",
        (R + "test_polling_reaches_success",),
        "RUNS-LIFECYCLE",
        on_response=json_response("GET", "/threads/*/runs/*", set_key("status", "pending")),
        options=QUICK_RUNS,
    ),
    Fault(
        "run-status-renamed",
        "run status success is spelled 'completed'",
        (R + "test_run_after_join_is_success_with_its_inputs", R + "test_polling_reaches_success"),
        "CONTRACT-SCHEMA",
        on_response=json_response(
            "GET", "/threads/*/runs/*", set_key("status", "completed", lambda r: r.get("status") == "success")
        ),
        options=QUICK_RUNS,  # the polls wait for a "success" that never comes: 4 s, not a minute
    ),
    Fault(
        "join-returns-early",
        "join answers at once, before the run has finished",
        (R + "test_join_returns_the_final_values",),
        "RUNS-JOIN",
        on_request=join_early,
    ),
    Fault(
        "join-hangs",
        "join never answers",
        (R + "test_join_returns_the_final_values", R + "test_runs_list_holds_exactly_that_run"),
        "HTTP-TIMEOUT",
        on_request=hang("GET", "/threads/*/runs/*/join"),
        options=("--request-timeout", "2"),
    ),
    Fault(
        "runs-list-empty",
        "GET /threads/{id}/runs always answers []",
        (R + "test_runs_list_holds_exactly_that_run",),
        "RUNS-LIST",
        on_response=json_response("GET", "/threads/*/runs", lambda runs: []),
    ),
    Fault(
        "run-input-lost",
        "the run's kwargs.input is not kept",
        (R + "test_run_after_join_is_success_with_its_inputs", "test_sdk.py::test_sdk_background_run_guide"),
        "RUNS-GET",
        on_response=json_response("GET", "/threads/*/runs/*", each(_clear_kwargs_input)),
    ),
    Fault(
        "run-wrong-thread",
        "a created run names another thread",
        (R + "test_created_run_belongs_to_the_thread",),
        "RUNS-CREATE",
        on_response=json_response(
            "POST", "/threads/*/runs", set_key("thread_id", "00000000-0000-4000-8000-000000000000")
        ),
    ),
    Fault(
        "runs-list-other-thread",
        "GET /threads/{id}/runs of a thread without runs lists another thread's run",
        (R + "test_new_thread_has_no_runs",),
        "RUNS-LIST",
        on_response=json_response("GET", "/threads/*/runs", lambda runs: runs or [dict(PHANTOM_RUN)]),
    ),
    Fault(
        "runs-list-limit-ignored",
        "GET /threads/{id}/runs ignores limit",
        (R + "test_runs_list_limit_and_offset_page_through[limit-2]",),
        "RUNS-LIST-PAGING",
        on_request=_runs_list_query(lambda q: q.pop("limit", None)),
    ),
    Fault(
        "runs-list-offset-ignored",
        "GET /threads/{id}/runs ignores offset",
        (R + "test_runs_list_limit_and_offset_page_through[limit-3-offset-9]",),
        "RUNS-LIST-PAGING",
        on_request=_runs_list_query(lambda q: q.pop("offset", None)),
    ),
    Fault(
        "runs-list-no-default-limit",
        "GET /threads/{id}/runs without limit answers every run, not 10",
        (R + "test_runs_list_default_is_the_newest_10",),
        "RUNS-LIST-PAGING",
        on_request=_runs_list_query(lambda q: q.setdefault("limit", "100")),
    ),
    Fault(
        "runs-list-oldest-first",
        "GET /threads/{id}/runs lists the oldest run first",
        (R + "test_runs_list_default_is_the_newest_10",),
        "RUNS-LIST-ORDER",
        on_response=json_response(
            "GET", "/threads/*/runs", lambda runs: runs[::-1] if isinstance(runs, list) else runs
        ),
    ),
    Fault(
        "runs-list-status-ignored",
        "GET /threads/{id}/runs ignores status",
        (R + "test_runs_list_status_filter_applies[error]",),
        "RUNS-LIST-STATUS",
        on_request=_runs_list_query(lambda q: q.pop("status", None)),
    ),
    Fault(
        "runs-list-select-ignored",
        "GET /threads/{id}/runs ignores select",
        (R + "test_runs_list_select_returns_exactly_those_fields",),
        "RUNS-LIST-SELECT",
        on_request=_runs_list_query(lambda q: q.pop("select", None)),
    ),
    Fault(
        "run-first-poll-error",
        "the first GET of a run reports error before the run has started",
        (R + "test_first_poll_shows_a_legal_status",),
        "RUNS-STATUS-VALUES",
        on_response=_first_poll_error(),
    ),
    # --- state -------------------------------------------------------------------------------------------------
    Fault(
        "state-stale",
        "the state lacks the last message of the finished run",
        (
            ST + "test_state_after_run_holds_the_conversation_and_checkpoint",
            R + "test_state_after_run_ends_with_the_echo",
        ),
        "STATE-AFTER-RUN",
        on_response=json_response("GET", "/threads/*/state", _drop_last_message),
    ),
    Fault(
        "state-next-missing",
        "an interrupted state has no next nodes",
        (ST + "test_interrupted_state_names_next_node_and_interrupt",),
        "STATE-INTERRUPTED",
        on_response=json_response("GET", "/threads/*/state", set_key("next", [])),
    ),
    Fault(
        "state-task-interrupts-missing",
        "tasks[].interrupts is always empty",
        (ST + "test_interrupted_state_names_next_node_and_interrupt",),
        "STATE-INTERRUPTED",
        on_response=json_response("GET", "/threads/*/state", _tasks(_clear_interrupts)),
    ),
    Fault(
        "state-task-error-missing",
        "tasks[].error is always null",
        (ST + "test_errored_state_shows_the_task_error",),
        "STATE-ERROR",
        on_response=json_response("GET", "/threads/*/state", _tasks(_clear_error)),
    ),
    Fault(
        "state-checkpoint-missing",
        "the state after a run has no checkpoint",
        (ST + "test_state_after_run_holds_the_conversation_and_checkpoint",),
        "STATE-AFTER-RUN",
        on_response=json_response("GET", "/threads/*/state", set_key("checkpoint", None)),
    ),
    Fault(
        "state-subgraphs-ignored",
        "?subgraphs=true is ignored",
        (ST + "test_subgraphs_true_includes_the_subgraph_state",),
        "STATE-SUBGRAPHS",
        on_request=_drop_subgraphs,
    ),
    Fault(
        "state-subgraphs-always",
        "the subgraph's full state is returned although subgraphs was not asked for",
        (ST + "test_subgraphs_false_omits_the_subgraph_state",),
        "STATE-SUBGRAPHS",
        on_request=_always_subgraphs,
    ),
    Fault(
        "state-fresh-names-start",
        "a thread without runs shows __start__ as its next node",
        (ST + "test_fresh_thread_state_is_empty",),
        "STATE-FRESH",
        on_response=json_response("GET", "/threads/*/state", _fresh_state_starts),
    ),
    # --- status codes, content types, error bodies --------------------------------------------------------
    Fault(
        "unknown-thread-500",
        "an unknown thread answers 500 instead of 404",
        (T + "test_unknown_thread_is_404",),
        "THREADS-NOT-FOUND",
        on_response=swap_status("GET", "/threads/*", 404, 500, {"detail": "boom"}),
    ),
    Fault(
        "unknown-thread-state-200",
        "the state of an unknown thread answers 200 with an empty state",
        (ST + "test_unknown_thread_state_is_404",),
        "STATE-NOT-FOUND",
        on_response=swap_status("GET", "/threads/*/state", 404, 200, {"values": {}, "next": []}),
    ),
    Fault(
        "malformed-id-404",
        "a malformed thread id answers 404 instead of 422",
        (T + "test_malformed_thread_id_is_422", ST + "test_malformed_thread_id_state_is_422"),
        "MALFORMED-ID-422",
        on_response=lambda req, resp: (
            swap_status("GET", "/threads/*", 422, 404)(req, resp)
            or swap_status("GET", "/threads/*/state", 422, 404)(req, resp)
        ),
    ),
    Fault(
        "unknown-run-200",
        "an unknown run answers 200 with an empty object",
        (R + "test_unknown_run_is_404",),
        "RUNS-NOT-FOUND",
        on_response=swap_status("GET", "/threads/*/runs/*", 404, 200, {}),
    ),
    Fault(
        "wrong-content-type",
        "GET /threads/{id} answers JSON labelled text/html",
        (T + "test_find_thread_by_id",),
        "CONTRACT-CONTENT-TYPE",
        on_response=lambda req, resp: (
            resp.headers.__setitem__("content-type", "text/html") if req.is_("GET", "/threads/*") else None
        ),
    ),
    Fault(
        "error-body-wrong",
        "404 bodies are {'error': ...} instead of ErrorResponse",
        (T + "test_unknown_thread_is_404", ST + "test_unknown_thread_state_is_404"),
        "CONTRACT-SCHEMA",
        on_response=lambda req, resp: setattr(resp, "json", {"error": "not found"}) if resp.status == 404 else None,
    ),
    Fault(
        "search-not-json",
        "POST /threads/search answers an HTML page with status 200",
        (S + "test_limit_caps_the_results[1]",),
        "CONTRACT-CONTENT-TYPE",
        on_response=lambda req, resp: (
            (setattr(resp, "content", b"<html>oops</html>"), resp.headers.__setitem__("content-type", "text/html"))
            if _search(req) and resp.status == 200
            else None
        ),
    ),
)

P = "test_properties.py::test_operation"

# Faults outside the seed flows, which only the property layer (every operation of the spec) can see.
PROPERTY_FAULTS: tuple[Fault, ...] = (
    Fault(
        "assistant-graph-id-missing",
        "GET /assistants/{id} answers without graph_id",
        (P + "[GET /assistants/{assistant_id}]",),
        "CONTRACT-SCHEMA",
        on_response=json_response("GET", "/assistants/*", each(lambda a: a.pop("graph_id", None))),
    ),
    Fault(
        "cron-search-500",
        "POST /runs/crons/search crashes with 500 (its canonical request too: not available)",
        (P + "[POST /runs/crons/search]",),
        "OPERATION-AVAILABLE",
        on_response=lambda req, resp: setattr(resp, "status", 500) if req.is_("POST", "/runs/crons/search") else None,
    ),
    Fault(
        "store-item-text-plain",
        "GET /store/items answers its JSON as text/plain",
        (P + "[GET /store/items]",),
        "CONTRACT-CONTENT-TYPE",
        on_response=lambda req, resp: (
            resp.headers.__setitem__("content-type", "text/plain")
            if req.is_("GET", "/store/items") and resp.status == 200
            else None
        ),
    ),
)


def _area_faults() -> tuple[Fault, ...]:
    """The faults of every area module tests/faults_<area>.py, in file-name order."""
    found: list[Fault] = []
    for path in sorted(Path(__file__).resolve().parent.glob("faults_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        found += module.FAULTS
    return tuple(found)


FAULTS = FAULTS + PROPERTY_FAULTS + _area_faults()
BY_NAME = {fault.name: fault for fault in FAULTS}


def render_table() -> str:
    lines = [
        "# Faults the self-tests inject, and the conformance tests that catch them",
        "",
        "Generated from `tests/faults.py` by `python -m tests.faults`; `tests/test_faults.py` proves every "
        "row against the reference behind a fault-injecting proxy.",
        "",
        f"{len(FAULTS)} faults.",
        "",
        "| fault | what is wrong | caught by | rule |",
        "| --- | --- | --- | --- |",
    ]
    for fault in FAULTS:
        caught = "<br>".join(f"`{c}`" for c in fault.catches)
        lines.append(f"| `{fault.name}` | {fault.description} | {caught} | {fault.rule} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "FAULTS.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(render_table(), encoding="utf-8")
    print(f"wrote {target}")

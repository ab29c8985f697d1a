"""Faults of a thread's runs (create, poll, join, list), with the tests of
conformance/tests/test_thread_runs.py that must catch each."""

from __future__ import annotations

from collections.abc import Callable

from tests.faultkit import Fault, each, hang, join_early, json_response, set_key
from tests.faultproxy import Req, Resp

R = "test_thread_runs.py::"


QUICK_RUNS = ("--run-timeout", "4")


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


def _clear_kwargs_input(run: dict) -> None:
    if isinstance(run.get("kwargs"), dict):
        run["kwargs"]["input"] = {}


FAULTS: tuple[Fault, ...] = (
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
)

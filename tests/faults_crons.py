"""Faults of the crons area (create, get, search, count, patch, delete, firing), with the tests of
conformance/tests/test_crons.py that must catch each."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from tests.faultkit import Fault, json_response
from tests.faultproxy import Req, Resp
from tests.faults_store import first_metadata_key, pop_field

CR = "test_crons.py::"


def _cron_created(req: Req) -> bool:
    return req.is_("POST", "/runs/crons") or req.is_("POST", "/threads/*/runs/crons")


def _on_created_cron(change: Callable[[dict], None]) -> Callable[[Req, Resp], None]:
    def hook(req: Req, resp: Resp) -> None:
        if _cron_created(req) and resp.status == 200 and isinstance(resp.json, dict):
            cron = dict(resp.json)
            change(cron)
            resp.json = cron

    return hook


def _drop_payload_input(cron: dict) -> None:
    cron["payload"] = {k: v for k, v in (cron.get("payload") or {}).items() if k != "input"}


def _cron_search(change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_("POST", "/runs/crons/search") and isinstance(req.body, dict):
            change(req.body)

    return hook


def _limit_plus_one(body: dict) -> None:
    if isinstance(body.get("limit"), int):
        body["limit"] += 1


def _oldest_first_by_default(body: dict) -> None:
    if "sort_by" not in body and "sort_order" not in body:
        body.update(sort_by="created_at", sort_order="asc")


def _patch_ignored(req: Req) -> None:
    if req.is_("PATCH", "/runs/crons/*"):
        req.body = {"metadata": {}}


def _patch_clears_end_time(req: Req) -> None:
    """A PATCH that does not send end_time clears it (the document: "omit this field to leave it unchanged")."""
    if req.is_("PATCH", "/runs/crons/*") and isinstance(req.body, dict):
        req.body.setdefault("end_time", None)


def _search_and_count(change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if (req.is_("POST", "/runs/crons/search") or req.is_("POST", "/runs/crons/count")) and isinstance(
            req.body, dict
        ):
            change(req.body)

    return hook


def _cron_delete_ignored(req: Req) -> Resp | None:
    return Resp(204, {}, b"") if req.is_("DELETE", "/runs/crons/*") else None


def _every_minute_never_fires(req: Req) -> None:
    body = req.body if isinstance(req.body, dict) else {}
    if req.is_("POST", "/threads/*/runs/crons") and body.get("schedule") == "* * * * *":
        body["enabled"] = False


def _every_minute_lost(req: Req, resp: Resp) -> None:
    """The server loses the enabled every-minute cron just after answering its creation (the suite deletes
    nothing); the disabled one beside it stays, so the server does read crons by id."""
    body = req.body if isinstance(req.body, dict) else {}
    made = resp.json if resp.status == 200 and isinstance(resp.json, dict) else {}
    every_minute = body.get("schedule") == "* * * * *" and body.get("enabled") is not False
    if req.is_("POST", "/threads/*/runs/crons") and every_minute and made.get("cron_id"):
        assert req.replay is not None, "the fault proxy sets Req.replay"
        req.replay(dataclasses.replace(req, method="DELETE", path=f"/runs/crons/{made['cron_id']}", body=None, raw=b""))


def _disabled_fires_anyway(req: Req) -> None:
    if req.is_("POST", "/threads/*/runs/crons") and isinstance(req.body, dict) and req.body.get("enabled") is False:
        req.body["enabled"] = True


def _runs_input_replaced(req: Req, resp: Resp) -> None:
    if req.is_("GET", "/threads/*/runs") and isinstance(resp.json, list):
        resp.json = [
            {**run, "kwargs": {**(run.get("kwargs") or {}), "input": {"messages": []}}}
            if isinstance(run, dict)
            else run
            for run in resp.json
        ]


FAULTS: tuple[Fault, ...] = (
    Fault(
        "cron-payload-input-dropped",
        "a created Cron's payload lacks the input sent",
        (CR + "test_created_crons_answer_what_was_sent",),
        "CRONS-CREATE",
        on_response=_on_created_cron(_drop_payload_input),
    ),
    Fault(
        "cron-thread-id-dropped",
        "a thread cron is answered with thread_id null",
        (CR + "test_created_crons_answer_what_was_sent", CR + "test_firing_crons_are_made_first"),
        "CRONS-CREATE",
        on_response=_on_created_cron(lambda cron: cron.__setitem__("thread_id", None)),
    ),
    Fault(
        "cron-get-schedule-stale",
        "GET /runs/crons/{id} answers another schedule",
        (CR + "test_get_returns_the_cron",),
        "CRONS-GET",
        on_response=json_response("GET", "/runs/crons/*", lambda c: {**c, "schedule": "0 0 * * *"}),
    ),
    Fault(
        "cron-get-payload-end-time-lost",
        "GET /runs/crons/{id} answers an empty payload and no end_time",
        (CR + "test_get_returns_the_cron",),
        "CRONS-GET",
        on_response=json_response("GET", "/runs/crons/*", lambda c: {**c, "payload": {}, "end_time": None}),
    ),
    Fault(
        "cron-search-metadata-ignored",
        "the cron search metadata filter is ignored",
        (CR + "test_search_by_metadata_returns_exactly_the_tagged_crons",),
        "CRONS-SEARCH-METADATA",
        on_request=_cron_search(pop_field("metadata")),
    ),
    Fault(
        "cron-search-metadata-first-key-only",
        "only the first metadata key of a cron search is applied",
        (CR + "test_search_by_metadata_returns_exactly_the_tagged_crons",),
        "CRONS-SEARCH-METADATA",
        on_request=_cron_search(first_metadata_key),
    ),
    Fault(
        "cron-search-assistant-ignored",
        "the cron search assistant_id filter is ignored",
        (CR + "test_search_by_assistant_id_returns_that_assistants_crons",),
        "CRONS-SEARCH-ASSISTANT",
        on_request=_cron_search(pop_field("assistant_id")),
    ),
    Fault(
        "cron-search-thread-ignored",
        "the cron search thread_id filter is ignored",
        (CR + "test_search_by_thread_id_returns_that_threads_cron",),
        "CRONS-SEARCH-THREAD",
        on_request=_cron_search(pop_field("thread_id")),
    ),
    Fault(
        "cron-search-enabled-ignored",
        "the cron search enabled filter is ignored",
        (CR + "test_search_by_enabled[True]", CR + "test_search_by_enabled[False]"),
        "CRONS-SEARCH-ENABLED",
        on_request=_cron_search(pop_field("enabled")),
    ),
    Fault(
        "cron-search-sort-by-ignored",
        "the cron search sort_by is ignored",
        (
            CR + "test_search_sorts_by_the_field[next_run_date-asc]",
            CR + "test_search_sorts_by_the_field[next_run_date-desc]",
        ),
        "CRONS-SEARCH-SORT",
        on_request=_cron_search(pop_field("sort_by")),
    ),
    Fault(
        "cron-search-sort-order-inverted",
        "asc and desc are swapped in cron searches",
        (CR + "test_search_sorts_by_the_field[created_at-asc]", CR + "test_search_sorts_by_the_field[created_at-desc]"),
        "CRONS-SEARCH-SORT",
        on_request=_cron_search(
            lambda b: (
                b.__setitem__("sort_order", {"asc": "desc", "desc": "asc"}[b["sort_order"]])
                if b.get("sort_order") in ("asc", "desc")
                else None
            )
        ),
    ),
    Fault(
        "cron-search-default-oldest-first",
        "cron searches default to oldest first",
        (CR + "test_search_default_order_is_newest_first",),
        "CRONS-SEARCH-SORT",
        on_request=_cron_search(_oldest_first_by_default),
    ),
    Fault(
        "cron-search-sort-order-alone-ignored",
        "sort_order without sort_by is ignored (newest first always)",
        (CR + "test_search_sort_order_alone_applies_to_created_at",),
        "CRONS-SEARCH-SORT",
        on_request=_cron_search(lambda b: b.pop("sort_order", None) if "sort_by" not in b else None),
    ),
    Fault(
        "cron-search-offset-ignored",
        "the cron search offset is ignored",
        (
            CR + "test_search_limit_and_offset_page_the_results[1-2]",
            CR + "test_search_limit_and_offset_page_the_results[4-10]",
        ),
        "CRONS-SEARCH-PAGING",
        on_request=_cron_search(pop_field("offset")),
    ),
    Fault(
        "cron-search-limit-off-by-one",
        "the cron search returns one cron more than the limit",
        (
            CR + "test_search_limit_and_offset_page_the_results[0-1]",
            CR + "test_search_limit_and_offset_page_the_results[1-2]",
        ),
        "CRONS-SEARCH-PAGING",
        on_request=_cron_search(_limit_plus_one),
    ),
    Fault(
        "cron-search-select-ignored",
        "the cron search select is ignored",
        (CR + "test_search_select_returns_exactly_the_selected_fields[cron_id]",),
        "CRONS-SEARCH-SELECT",
        on_request=_cron_search(pop_field("select")),
    ),
    Fault(
        "cron-count-off-by-one",
        "POST /runs/crons/count answers one more than the search finds",
        (CR + "test_count_equals_the_search[tag]", CR + "test_count_equals_the_search[tag+thread]"),
        "CRONS-COUNT",
        on_response=json_response("POST", "/runs/crons/count", lambda n: n + 1 if isinstance(n, int) else n),
    ),
    Fault(
        "cron-search-and-count-ignore-assistant",
        "cron search and count both ignore assistant_id (so they agree, on the wrong crons)",
        (CR + "test_count_equals_the_search[tag+assistant]",),
        "CRONS-COUNT",
        on_request=_search_and_count(pop_field("assistant_id")),
    ),
    Fault(
        "cron-patch-ignored",
        "PATCH /runs/crons/{id} answers 200 and changes nothing",
        (
            CR + "test_patch_is_reflected[schedule]",
            CR + "test_patch_is_reflected[disable]",
            CR + "test_patch_is_reflected[end_time]",
            CR + "test_patch_is_reflected[clear-end_time]",
        ),
        "CRONS-PATCH",
        on_request=_patch_ignored,
    ),
    Fault(
        "cron-patch-clears-end-time",
        "a PATCH that does not send end_time clears it",
        (CR + "test_patch_is_reflected[schedule]", CR + "test_patch_is_reflected[disable]"),
        "CRONS-PATCH-KEEPS",
        on_request=_patch_clears_end_time,
    ),
    Fault(
        "cron-next-run-date-stale",
        "a new schedule leaves next_run_date where it was",
        (CR + "test_patch_is_reflected[schedule]",),
        "CRONS-PATCH",
        on_response=json_response(
            "GET", "/runs/crons/*", lambda c: {**c, "next_run_date": "2027-01-01T00:00:00+00:00"}
        ),
    ),
    Fault(
        "cron-delete-ignored",
        "DELETE /runs/crons/{id} answers 204 and deletes nothing",
        (CR + "test_delete_then_get_is_404",),
        "CRONS-DELETE",
        on_request=_cron_delete_ignored,
    ),
    Fault(
        "cron-never-fires",
        "an every-minute thread cron is stored but never runs",
        (CR + "test_every_minute_cron_fires_and_a_disabled_one_does_not",),
        "CRONS-FIRE",
        on_request=_every_minute_never_fires,
    ),
    Fault(
        "cron-lost",
        "the every-minute cron is gone (404) before its minute, though nobody deleted it",
        (CR + "test_every_minute_cron_fires_and_a_disabled_one_does_not",),
        "CRONS-GET",
        on_response=_every_minute_lost,
    ),
    Fault(
        "cron-runs-other-input",
        "the runs a cron makes do not carry the cron's input",
        (CR + "test_every_minute_cron_fires_and_a_disabled_one_does_not",),
        "CRONS-FIRE",
        on_response=_runs_input_replaced,
    ),
    Fault(
        "cron-disabled-fires",
        "a cron created disabled runs anyway",
        (CR + "test_every_minute_cron_fires_and_a_disabled_one_does_not",),
        "CRONS-DISABLED",
        on_request=_disabled_fires_anyway,
    ),
)

"""Faults of the thread search (POST /threads/search: status, ids, metadata, values, extract, paging,
sorting, select, validation), with the tests of conformance/tests/test_thread_search.py (and
test_thread_status.py, test_sdk.py) that must catch each."""

from __future__ import annotations

from tests.faultkit import Fault, drop, limit_from_the_end, search_request, swap_status
from tests.faults_thread_status import T

S = "test_thread_search.py::"


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


SEARCH_LIMIT_FROM_THE_END = limit_from_the_end("POST", "/threads/search", default=10, fetch=1000)


FAULTS: tuple[Fault, ...] = (
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
)

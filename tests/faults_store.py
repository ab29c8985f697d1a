"""Faults of the store, crons, system, MCP and A2A areas, and the tests that must catch each.

Store faults that need memory (first write wins, a frozen updated_at) keep it in a closure: each fault
runs in one proxy for one suite run, so the memory starts empty every time.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from tests.faultkit import Fault, json_response, limit_from_the_end
from tests.faultproxy import Req, Resp

ST = "test_store.py::"


def _null() -> Resp:
    return Resp(200, {"content-type": "application/json"}, b"null")


# ------------------------------------------------------------------------------------------ store
def _is_item(req: Req, method: str) -> bool:
    return req.is_(method, "/store/items")


def _body_namespace(req: Req) -> list | None:
    return req.body.get("namespace") if isinstance(req.body, dict) else None


def _item_key(req: Req) -> tuple[str, str] | None:
    if req.method == "GET":
        return req.query.get("namespace", ""), req.query.get("key", "")
    if isinstance(req.body, dict):
        return ".".join(map(str, req.body.get("namespace") or [])), str(req.body.get("key"))
    return None


def _first_write_wins() -> Callable[[Req], Resp | None]:
    seen: set[tuple[str, str]] = set()

    def hook(req: Req) -> Resp | None:
        if _is_item(req, "PUT") and isinstance(req.body, dict) and isinstance(req.body.get("value"), dict):
            key = _item_key(req)
            if key in seen:
                return Resp(204, {}, b"")
            seen.add(key)
        return None

    return hook


def _frozen_updated_at() -> Callable[[Req, Resp], None]:
    first: dict[tuple[str, str], str] = {}

    def hook(req: Req, resp: Resp) -> None:
        if _is_item(req, "GET") and resp.status == 200 and isinstance(resp.json, dict):
            item = dict(resp.json)
            item["updated_at"] = first.setdefault(_item_key(req), item.get("updated_at"))
            resp.json = item

    return hook


def _ascii_only(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("ascii", "replace").decode()
    if isinstance(value, dict):
        return {k: _ascii_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ascii_only(v) for v in value]
    return value


def _mangle_unicode(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("value"), dict):
        item["value"] = _ascii_only(item["value"])
    return item


def _delete_ignored(req: Req) -> Resp | None:
    return Resp(204, {}, b"") if _is_item(req, "DELETE") else None


def _drop_last_label(req: Req) -> None:
    """The server keys items by all labels but the last, so sibling namespaces share their keys."""
    if _is_item(req, "GET") and "." in req.query.get("namespace", ""):
        req.query["namespace"] = req.query["namespace"].rsplit(".", 1)[0]
    elif req.method in ("PUT", "DELETE") and req.path == "/store/items" and len(_body_namespace(req) or []) > 1:
        req.body["namespace"] = req.body["namespace"][:-1]


def _ttl_item_dropped(req: Req) -> Resp | None:
    if _is_item(req, "PUT") and isinstance(req.body, dict) and req.body.get("ttl") is not None:
        return Resp(204, {}, b"")
    return None


def _refresh_get_null(req: Req) -> Resp | None:
    return _null() if _is_item(req, "GET") and "refresh_ttl" in req.query else None


def _refresh_search_empty(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/store/items/search") and isinstance(req.body, dict) and req.body.get("refresh_ttl"):
        resp.json = {"items": []}


def _bad_label(namespace: Any) -> bool:
    return isinstance(namespace, list) and any(isinstance(x, str) and (not x or "." in x) for x in namespace)


def _bad_labels_accepted(req: Req) -> Resp | None:
    if _is_item(req, "PUT") and _bad_label(_body_namespace(req)):
        return Resp(204, {}, b"")
    if (
        req.is_("POST", "/store/items/search")
        and isinstance(req.body, dict)
        and _bad_label(req.body.get("namespace_prefix"))
    ):
        return Resp(200, {"content-type": "application/json"}, b'{"items": []}')
    return None


def _missing_key_accepted(req: Req) -> Resp | None:
    if (
        req.method in ("PUT", "DELETE")
        and req.path == "/store/items"
        and isinstance(req.body, dict)
        and "key" not in req.body
    ):
        return Resp(204, {}, b"")
    return None


def _get_without_key_null(req: Req) -> Resp | None:
    return _null() if _is_item(req, "GET") and "key" not in req.query else None


def _non_object_value_wrapped(req: Req) -> None:
    if _is_item(req, "PUT") and isinstance(req.body, dict) and not isinstance(req.body.get("value", {}), dict):
        req.body["value"] = {"value": req.body["value"]}


def _store_search(change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_("POST", "/store/items/search") and isinstance(req.body, dict):
            change(req.body)

    return hook


STORE_LIMIT_FROM_THE_END = limit_from_the_end(
    "POST",
    "/store/items/search",
    default=10,
    fetch=100,
    items=lambda body: body.get("items") if isinstance(body, dict) else None,
    rewrap=lambda body, kept: {**body, "items": kept},
)


def _store_namespaces(change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_("POST", "/store/namespaces") and isinstance(req.body, dict):
            change(req.body)

    return hook


def _pop(field: str) -> Callable[[dict], None]:
    return lambda body: body.pop(field, None)


def _parent_prefix(field: str) -> Callable[[dict], None]:
    def change(body: dict) -> None:
        if isinstance(body.get(field), list) and len(body[field]) > 1:
            body[field] = body[field][:-1]

    return change


def _first_filter_key(body: dict) -> None:
    if isinstance(body.get("filter"), dict) and len(body["filter"]) > 1:
        first = next(iter(body["filter"]))
        body["filter"] = {first: body["filter"][first]}


def _first_metadata_key(body: dict) -> None:
    if isinstance(body.get("metadata"), dict) and len(body["metadata"]) > 1:
        first = next(iter(body["metadata"]))
        body["metadata"] = {first: body["metadata"][first]}


def _default(field: str, value: Any) -> Callable[[dict], None]:
    return lambda body: body.setdefault(field, value)


def _offset_minus_one(body: dict) -> None:
    if isinstance(body.get("offset"), int) and body["offset"] > 0:
        body["offset"] -= 1


def _items_by_namespace(found: dict) -> dict:
    if isinstance(found, dict) and isinstance(found.get("items"), list):
        found["items"] = sorted(found["items"], key=lambda i: (i.get("namespace") or [], str(i.get("key"))))
    return found


def _query_answers_nothing(req: Req) -> Resp | None:
    if req.is_("POST", "/store/items/search") and isinstance(req.body, dict) and req.body.get("query"):
        return Resp(200, {"content-type": "application/json"}, json.dumps({"items": []}).encode())
    return None


STORE_FAULTS: tuple[Fault, ...] = (
    Fault(
        "store-value-unicode-mangled",
        "GET /store/items answers non-ASCII characters of the value as '?'",
        (ST + "test_put_then_get_round_trips_the_value",),
        "STORE-ROUNDTRIP",
        on_response=json_response("GET", "/store/items", _mangle_unicode),
    ),
    Fault(
        "store-first-write-wins",
        "a PUT of an existing key is answered 204 and ignored",
        (ST + "test_overwrite_replaces_the_value", ST + "test_overwrite_moves_updated_at_and_keeps_created_at"),
        "STORE-OVERWRITE",
        on_request=_first_write_wins(),
    ),
    Fault(
        "store-updated-at-frozen",
        "updated_at stays at its first value after an overwrite",
        (ST + "test_overwrite_moves_updated_at_and_keeps_created_at",),
        "STORE-UPDATED-AT",
        on_response=_frozen_updated_at(),
    ),
    Fault(
        "store-delete-ignored",
        "DELETE /store/items answers 204 and deletes nothing",
        (ST + "test_delete_removes_the_item",),
        "STORE-DELETE",
        on_request=_delete_ignored,
    ),
    Fault(
        "store-namespace-last-label-ignored",
        "items are keyed by every namespace label but the last, so sibling namespaces collide",
        (ST + "test_namespaces_isolate_the_same_key",),
        "STORE-NAMESPACE-ISOLATION",
        on_request=_drop_last_label,
    ),
    Fault(
        "store-ttl-item-dropped",
        "an item written with a ttl is answered 204 and never stored",
        (ST + "test_item_with_ttl_is_stored_and_readable",),
        "STORE-TTL",
        on_request=_ttl_item_dropped,
    ),
    Fault(
        "store-refresh-ttl-get-null",
        "GET /store/items with refresh_ttl answers null",
        (
            ST + "test_get_with_refresh_ttl_returns_the_item_unchanged[true]",
            ST + "test_get_with_refresh_ttl_returns_the_item_unchanged[false]",
        ),
        "STORE-REFRESH-TTL",
        on_request=_refresh_get_null,
    ),
    Fault(
        "store-refresh-ttl-search-empty",
        "a store search with refresh_ttl answers no items",
        (ST + "test_search_with_refresh_ttl_returns_the_items",),
        "STORE-REFRESH-TTL",
        on_response=_refresh_search_empty,
    ),
    Fault(
        "store-bad-label-accepted",
        "empty or dotted namespace labels are accepted (PUT 204, search 200)",
        (
            ST + "test_put_with_a_bad_namespace_label_is_422[empty-label]",
            ST + "test_put_with_a_bad_namespace_label_is_422[dotted-label]",
            ST + "test_search_with_a_bad_namespace_label_is_422",
        ),
        "STORE-BAD-NAMESPACE",
        on_request=_bad_labels_accepted,
    ),
    Fault(
        "store-missing-key-accepted",
        "PUT and DELETE without a key answer 204",
        (ST + "test_missing_key_is_422[PUT]", ST + "test_missing_key_is_422[DELETE]"),
        "STORE-MISSING-KEY",
        on_request=_missing_key_accepted,
    ),
    Fault(
        "store-get-without-key-null",
        "GET /store/items without a key answers 200 null",
        (ST + "test_get_without_key_is_rejected",),
        "STORE-MISSING-KEY",
        on_request=_get_without_key_null,
    ),
    Fault(
        "store-non-object-value-stored",
        "a value that is not an object is wrapped and stored instead of rejected",
        (ST + "test_value_that_is_not_an_object_is_422",),
        "STORE-BAD-VALUE",
        on_request=_non_object_value_wrapped,
    ),
    Fault(
        "store-search-prefix-parent",
        "a store search searches the parent of namespace_prefix",
        (ST + "test_search_namespace_prefix_returns_exactly_the_items_under_it",),
        "STORE-SEARCH-PREFIX",
        on_request=_store_search(_parent_prefix("namespace_prefix")),
    ),
    Fault(
        "store-search-filter-ignored",
        "the store search filter is ignored",
        (
            ST + "test_search_filter_returns_exactly_the_matching_items[one-field]",
            ST + "test_search_filter_returns_exactly_the_matching_items[no-match]",
            ST + "test_search_filter_returns_exactly_the_matching_items[false]",
            ST + "test_search_filter_returns_exactly_the_matching_items[number]",
        ),
        "STORE-SEARCH-FILTER",
        on_request=_store_search(_pop("filter")),
    ),
    Fault(
        "store-search-filter-first-key-only",
        "only the first key of a store search filter is applied",
        (ST + "test_search_filter_returns_exactly_the_matching_items[two-fields]",),
        "STORE-SEARCH-FILTER",
        on_request=_store_search(_first_filter_key),
    ),
    Fault(
        "store-search-limit-ignored",
        "the store search limit is ignored (10 items always)",
        (ST + "test_search_limit_caps_the_items[1]", ST + "test_search_limit_caps_the_items[12]"),
        "STORE-SEARCH-LIMIT",
        on_request=_store_search(_pop("limit")),
    ),
    Fault(
        "store-search-limit-from-the-end",
        "the store search answers as many items as its limit asks, but the last ones of its listing",
        (
            ST + "test_search_limit_caps_the_items[1]",
            ST + "test_search_limit_caps_the_items[5]",
            ST + "test_search_default_limit_is_10",
        ),
        "STORE-SEARCH-LIMIT",
        on_request=STORE_LIMIT_FROM_THE_END[0],
        on_response=STORE_LIMIT_FROM_THE_END[1],
    ),
    Fault(
        "store-search-default-limit-20",
        "the store search default limit is 20",
        (ST + "test_search_default_limit_is_10",),
        "STORE-SEARCH-LIMIT",
        on_request=_store_search(_default("limit", 20)),
    ),
    Fault(
        "store-search-offset-ignored",
        "the store search offset is ignored",
        (ST + "test_search_offset_skips_that_many[4-100]", ST + "test_search_offset_skips_that_many[12-5]"),
        "STORE-SEARCH-OFFSET",
        on_request=_store_search(_pop("offset")),
    ),
    Fault(
        "store-search-offset-off-by-one",
        "the store search skips one item fewer than asked",
        (ST + "test_search_offset_skips_that_many[2-3]", ST + "test_search_offset_skips_that_many[11-5]"),
        "STORE-SEARCH-OFFSET",
        on_request=_store_search(_offset_minus_one),
    ),
    Fault(
        "store-search-grouped-by-namespace",
        "the store listing comes grouped by namespace, not in last-updated order",
        (ST + "test_search_lists_items_by_last_update",),
        "STORE-SEARCH-ORDER",
        on_response=json_response("POST", "/store/items/search", _items_by_namespace),
    ),
    Fault(
        "store-search-query-empty",
        "a store search with a query answers nothing when no index is configured",
        (ST + "test_search_with_a_query_and_no_index_lists_the_prefix",),
        "STORE-SEARCH-QUERY",
        on_request=_query_answers_nothing,
    ),
    Fault(
        "store-namespaces-prefix-parent",
        "POST /store/namespaces lists under the parent of the prefix",
        (ST + "test_namespaces_prefix_lists_exactly_those_below_it",),
        "STORE-NS-PREFIX",
        on_request=_store_namespaces(_parent_prefix("prefix")),
    ),
    Fault(
        "store-namespaces-suffix-ignored",
        "POST /store/namespaces ignores suffix",
        (ST + "test_namespaces_suffix_lists_only_those_ending_so",),
        "STORE-NS-SUFFIX",
        on_request=_store_namespaces(_pop("suffix")),
    ),
    Fault(
        "store-namespaces-max-depth-ignored",
        "POST /store/namespaces ignores max_depth",
        (ST + "test_namespaces_max_depth_truncates_and_deduplicates",),
        "STORE-NS-MAX-DEPTH",
        on_request=_store_namespaces(_pop("max_depth")),
    ),
    Fault(
        "store-namespaces-offset-ignored",
        "POST /store/namespaces ignores offset",
        (
            ST + "test_namespaces_limit_and_offset_page_the_list[1-2]",
            ST + "test_namespaces_limit_and_offset_page_the_list[3-100]",
        ),
        "STORE-NS-PAGING",
        on_request=_store_namespaces(_pop("offset")),
    ),
    Fault(
        "store-namespaces-limit-ignored",
        "POST /store/namespaces ignores limit",
        (
            ST + "test_namespaces_limit_and_offset_page_the_list[0-2]",
            ST + "test_namespaces_limit_and_offset_page_the_list[2-1]",
        ),
        "STORE-NS-PAGING",
        on_request=_store_namespaces(_pop("limit")),
    ),
)

# ----------------------------------------------------------------------------------------- system
SY = "test_system.py::"


def _metrics_format_ignored(req: Req) -> None:
    if req.is_("GET", "/metrics"):
        req.query.pop("format", None)


def _prometheus_as_html(req: Req, resp: Resp) -> None:
    if req.is_("GET", "/metrics") and req.query.get("format", "prometheus") == "prometheus":
        resp.content = b"<html><body>metrics: 12 requests</body></html>"


def _crons_flag_but_no_crons(req: Req) -> Resp | None:
    if req.path.startswith("/runs/crons"):
        return Resp(404, {"content-type": "application/json"}, b'{"detail": "Not Found"}')
    return None


SYSTEM_FAULTS: tuple[Fault, ...] = (
    Fault(
        "ok-false",
        'GET /ok answers {"ok": false}',
        (SY + "test_ok_answers_ok_true[plain]",),
        "CONTRACT-SCHEMA",
        on_response=json_response("GET", "/ok", lambda body: {**body, "ok": False}),
    ),
    Fault(
        "ok-check-db-500",
        "GET /ok?check_db=1 answers 500",
        (SY + "test_ok_answers_ok_true[check_db]",),
        "SYSTEM-OK",
        on_response=lambda req, resp: (
            setattr(resp, "status", 500) if req.is_("GET", "/ok") and req.query.get("check_db") == "1" else None
        ),
    ),
    Fault(
        "info-version-missing",
        "GET /info answers without version",
        (SY + "test_info_carries_the_version_fields_and_flags",),
        "SYSTEM-INFO",
        on_response=json_response("GET", "/info", lambda body: {k: v for k, v in body.items() if k != "version"}),
    ),
    Fault(
        "info-crons-flag-without-crons",
        "GET /info flags crons true but the cron endpoints answer 404",
        (SY + "test_info_flags_agree_with_the_endpoints[crons]",),
        "SYSTEM-INFO-FLAGS",
        on_request=_crons_flag_but_no_crons,
    ),
    Fault(
        "info-crons-flag-false-with-crons",
        "GET /info flags crons false although the cron endpoints are served",
        (SY + "test_info_flags_agree_with_the_endpoints[crons]",),
        "SYSTEM-INFO-FLAGS-OFF",
        on_response=json_response("GET", "/info", lambda body: {**body, "flags": {**body["flags"], "crons": False}}),
    ),
    Fault(
        "metrics-format-ignored",
        "GET /metrics ignores format=json and answers Prometheus text",
        (SY + "test_metrics_json_is_an_object",),
        "SYSTEM-METRICS-JSON",
        on_request=_metrics_format_ignored,
    ),
    Fault(
        "metrics-not-prometheus",
        "GET /metrics answers an HTML page labelled text/plain",
        (
            SY + "test_metrics_prometheus_is_the_text_exposition_format[default]",
            SY + "test_metrics_prometheus_is_the_text_exposition_format[prometheus]",
        ),
        "SYSTEM-METRICS",
        on_response=_prometheus_as_html,
    ),
)

# ------------------------------------------------------------------------------------------ crons
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
    """The server loses the every-minute cron just after answering its creation (the suite deletes nothing)."""
    body = req.body if isinstance(req.body, dict) else {}
    made = resp.json if resp.status == 200 and isinstance(resp.json, dict) else {}
    if req.is_("POST", "/threads/*/runs/crons") and body.get("schedule") == "* * * * *" and made.get("cron_id"):
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


CRON_FAULTS: tuple[Fault, ...] = (
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
        on_request=_cron_search(_pop("metadata")),
    ),
    Fault(
        "cron-search-metadata-first-key-only",
        "only the first metadata key of a cron search is applied",
        (CR + "test_search_by_metadata_returns_exactly_the_tagged_crons",),
        "CRONS-SEARCH-METADATA",
        on_request=_cron_search(_first_metadata_key),
    ),
    Fault(
        "cron-search-assistant-ignored",
        "the cron search assistant_id filter is ignored",
        (CR + "test_search_by_assistant_id_returns_that_assistants_crons",),
        "CRONS-SEARCH-ASSISTANT",
        on_request=_cron_search(_pop("assistant_id")),
    ),
    Fault(
        "cron-search-thread-ignored",
        "the cron search thread_id filter is ignored",
        (CR + "test_search_by_thread_id_returns_that_threads_cron",),
        "CRONS-SEARCH-THREAD",
        on_request=_cron_search(_pop("thread_id")),
    ),
    Fault(
        "cron-search-enabled-ignored",
        "the cron search enabled filter is ignored",
        (CR + "test_search_by_enabled[True]", CR + "test_search_by_enabled[False]"),
        "CRONS-SEARCH-ENABLED",
        on_request=_cron_search(_pop("enabled")),
    ),
    Fault(
        "cron-search-sort-by-ignored",
        "the cron search sort_by is ignored",
        (
            CR + "test_search_sorts_by_the_field[next_run_date-asc]",
            CR + "test_search_sorts_by_the_field[next_run_date-desc]",
        ),
        "CRONS-SEARCH-SORT",
        on_request=_cron_search(_pop("sort_by")),
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
        on_request=_cron_search(_pop("offset")),
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
        on_request=_cron_search(_pop("select")),
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
        on_request=_search_and_count(_pop("assistant_id")),
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

# ------------------------------------------------------------------------------------------ A2A, MCP
A2 = "test_a2a.py::"
MC = "test_mcp.py::"


def _rpc_result(change: Callable[[dict], Any], method: str | None = None, path: str = "/a2a/*"):
    def hook(req: Req, resp: Resp) -> None:
        body = req.body if isinstance(req.body, dict) else {}
        if req.is_("POST", path) and (method is None or body.get("method") == method) and isinstance(resp.json, dict):
            answer = dict(resp.json)
            if isinstance(answer.get("result"), dict):
                answer["result"] = change(dict(answer["result"]))
                resp.json = answer

    return hook


def _replace_texts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("" if k == "text" else _replace_texts(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_texts(v) for v in value]
    return value


def _a2a_unknown_assistant_answers_task(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/a2a/*") and isinstance(resp.json, dict) and "error" in resp.json:
        resp.json = {
            "jsonrpc": "2.0",
            "id": resp.json.get("id"),
            "result": {"kind": "task", "status": {"state": "completed"}},
        }


def _a2a_id_lost(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/a2a/*") and isinstance(resp.json, dict):
        resp.json = {**resp.json, "id": "1"}


def _without_agent_tool(tools_result: dict) -> dict:
    tools = [t for t in tools_result.get("tools") or [] if not (isinstance(t, dict) and t.get("name") == "agent")]
    return {**tools_result, "tools": tools}


def _tools_without_fields(tools_result: dict) -> dict:
    tools = [
        {**t, "inputSchema": {"type": "object"}} if isinstance(t, dict) else t for t in tools_result.get("tools") or []
    ]
    return {**tools_result, "tools": tools}


def _mcp_arguments_dropped(req: Req) -> None:
    body = req.body if isinstance(req.body, dict) else {}
    if req.is_("POST", "/mcp") and body.get("method") == "tools/call" and isinstance(body.get("params"), dict):
        body["params"]["arguments"] = {}


def _mcp_notification_as_result(req: Req) -> Resp | None:
    body = req.body if isinstance(req.body, dict) else {}
    if req.is_("POST", "/mcp") and body.get("method", "").startswith("notifications/"):
        return Resp(200, {"content-type": "application/json"}, b'{"jsonrpc": "2.0", "id": null, "result": {}}')
    return None


def _mcp_unknown_tool_empty_result(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/mcp") and isinstance(resp.json, dict) and "error" in resp.json:
        resp.json = {"jsonrpc": "2.0", "id": resp.json.get("id"), "result": {"content": []}}


PROTOCOL_FAULTS: tuple[Fault, ...] = (
    Fault(
        "a2a-answer-lost",
        "message/send answers a completed task whose artifacts hold no text",
        (A2 + "test_message_send_answers_the_echo_as_a_result",),
        "A2A-SEND",
        on_response=_rpc_result(lambda r: {**r, "artifacts": _replace_texts(r.get("artifacts"))}, "message/send"),
    ),
    Fault(
        "a2a-id-not-echoed",
        "A2A answers do not carry the request's id",
        (A2 + "test_message_send_answers_the_echo_as_a_result", A2 + "test_unknown_method_is_method_not_found"),
        "A2A-SEND",
        on_response=_a2a_id_lost,
    ),
    Fault(
        "a2a-task-get-other-state",
        "tasks/get reports a completed task as working",
        (A2 + "test_the_sent_task_can_be_fetched",),
        "A2A-TASK-GET",
        on_response=_rpc_result(lambda r: {**r, "status": {"state": "working"}}, "tasks/get"),
    ),
    Fault(
        "a2a-errors-as-results",
        "A2A answers an error (unknown assistant, unknown method) with a made-up completed task",
        (A2 + "test_unknown_assistant_is_a_jsonrpc_error", A2 + "test_unknown_method_is_method_not_found"),
        "A2A-UNKNOWN-ASSISTANT",
        on_response=_a2a_unknown_assistant_answers_task,
    ),
    Fault(
        "mcp-protocol-version-ignored",
        "initialize always answers protocol version 2024-11-05",
        (MC + "test_initialize_answers_the_protocol_version_and_capabilities",),
        "MCP-INITIALIZE",
        on_response=_rpc_result(lambda r: {**r, "protocolVersion": "2024-11-05"}, "initialize", "/mcp"),
    ),
    Fault(
        "mcp-no-tools-capability",
        "initialize announces no tools capability",
        (MC + "test_initialize_answers_the_protocol_version_and_capabilities",),
        "MCP-INITIALIZE",
        on_response=_rpc_result(lambda r: {**r, "capabilities": {}}, "initialize", "/mcp"),
    ),
    Fault(
        "mcp-notification-answered",
        "a notification is answered 200 with a JSON-RPC result",
        (MC + "test_initialized_notification_is_accepted",),
        "MCP-NOTIFICATION",
        on_request=_mcp_notification_as_result,
    ),
    Fault(
        "mcp-tools-list-wrong",
        "tools/list leaves the agent assistant's tool out",
        (MC + "test_tools_list_offers_the_assistants_that_have_an_input_schema",),
        "MCP-TOOLS-LIST",
        on_response=_rpc_result(_without_agent_tool, "tools/list", "/mcp"),
    ),
    Fault(
        "mcp-tool-input-fields-lost",
        "tools/list gives every tool an inputSchema without the assistant's input fields",
        (MC + "test_tools_list_offers_the_assistants_that_have_an_input_schema",),
        "MCP-TOOLS-LIST",
        on_response=_rpc_result(_tools_without_fields, "tools/list", "/mcp"),
    ),
    Fault(
        "mcp-tool-arguments-ignored",
        "tools/call runs the assistant without the arguments it was called with",
        (MC + "test_calling_the_agent_tool_answers_the_echo",),
        "MCP-TOOLS-CALL",
        on_request=_mcp_arguments_dropped,
    ),
    Fault(
        "mcp-tool-call-empty",
        "tools/call answers no content",
        (MC + "test_calling_the_agent_tool_answers_the_echo",),
        "MCP-TOOLS-CALL",
        on_response=_rpc_result(lambda r: {**r, "content": []}, "tools/call", "/mcp"),
    ),
    Fault(
        "mcp-unknown-tool-succeeds",
        "tools/call of an unknown tool answers an empty result",
        (MC + "test_calling_an_unknown_tool_is_a_jsonrpc_error",),
        "MCP-TOOLS-CALL-UNKNOWN",
        on_response=_mcp_unknown_tool_empty_result,
    ),
)

ENDPOINT_FAULTS: tuple[Fault, ...] = (
    Fault(
        "mcp-get-opens-a-stream",
        "GET on the MCP endpoint answers 200 with an (empty) event stream instead of 405",
        (MC + "test_get_opens_no_stream",),
        "MCP-GET",
        on_request=lambda req: (
            Resp(200, {"content-type": "text/event-stream"}, b": no events\n\n")
            if req.method == "GET" and req.path.rstrip("/") == "/mcp"
            else None
        ),
    ),
    Fault(
        "mcp-delete-answers-200",
        "DELETE on the MCP endpoint answers 200 as if it had ended a session",
        (MC + "test_delete_terminates_no_session_and_changes_nothing",),
        "MCP-DELETE",
        on_response=lambda req, resp: (
            setattr(resp, "status", 200) if req.method == "DELETE" and req.path == "/mcp" else None
        ),
    ),
    Fault(
        "docs-page-documents-nothing",
        "GET /docs answers an HTML page that neither holds the API's operations nor loads /openapi.json",
        (SY + "test_docs_is_a_page_that_documents_the_api",),
        "SYSTEM-DOCS-DOCUMENT",
        on_request=lambda req: (
            Resp(200, {"content-type": "text/html"}, b"<!doctype html><html><body>API docs</body></html>")
            if req.is_("GET", "/docs")
            else None
        ),
    ),
    Fault(
        "docs-not-html",
        "GET /docs answers the OpenAPI document as JSON instead of an HTML page",
        (SY + "test_docs_is_a_page_that_documents_the_api",),
        "CONTRACT-CONTENT-TYPE",
        on_request=lambda req: (
            Resp(200, {"content-type": "application/json"}, b'{"openapi": "3.1.0", "paths": {}}')
            if req.is_("GET", "/docs")
            else None
        ),
    ),
)

FAULTS: tuple[Fault, ...] = STORE_FAULTS + SYSTEM_FAULTS + CRON_FAULTS + PROTOCOL_FAULTS + ENDPOINT_FAULTS

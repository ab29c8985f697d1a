"""Faults of the store (items, search, namespaces), with the tests of conformance/tests/test_store.py
that must catch each.

Store faults that need memory (first write wins, a frozen updated_at) keep it in a closure: each fault
runs in one proxy for one suite run, so the memory starts empty every time.
"""

from __future__ import annotations

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


def pop_field(field: str) -> Callable[[dict], None]:
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


def first_metadata_key(body: dict) -> None:
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


FAULTS: tuple[Fault, ...] = (
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
        on_request=_store_search(pop_field("filter")),
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
        on_request=_store_search(pop_field("limit")),
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
        on_request=_store_search(pop_field("offset")),
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
        on_request=_store_namespaces(pop_field("suffix")),
    ),
    Fault(
        "store-namespaces-max-depth-ignored",
        "POST /store/namespaces ignores max_depth",
        (ST + "test_namespaces_max_depth_truncates_and_deduplicates",),
        "STORE-NS-MAX-DEPTH",
        on_request=_store_namespaces(pop_field("max_depth")),
    ),
    Fault(
        "store-namespaces-offset-ignored",
        "POST /store/namespaces ignores offset",
        (
            ST + "test_namespaces_limit_and_offset_page_the_list[1-2]",
            ST + "test_namespaces_limit_and_offset_page_the_list[3-100]",
        ),
        "STORE-NS-PAGING",
        on_request=_store_namespaces(pop_field("offset")),
    ),
    Fault(
        "store-namespaces-limit-ignored",
        "POST /store/namespaces ignores limit",
        (
            ST + "test_namespaces_limit_and_offset_page_the_list[0-2]",
            ST + "test_namespaces_limit_and_offset_page_the_list[2-1]",
        ),
        "STORE-NS-PAGING",
        on_request=_store_namespaces(pop_field("limit")),
    ),
)

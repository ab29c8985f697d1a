"""The long-term memory store (/store/...): what is written is what is read, and every option is applied.

Everything lives under ``["conformance", <session id>, ...]``; each fixture deletes exactly the items it
wrote. GET /store/items takes the namespace as one query value with the labels joined by "." (erratum
E-STORE-2: the document's array parameter is what neither the official client sends nor the reference
reads), which is why a label may not hold a period.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from conformance.contract.checks import expect_equal, expect_in, expect_later, expect_status, expect_subset, expect_type
from conformance.contract.client import ApiClient, Exchange
from conformance.contract.document import Contract

pytestmark = pytest.mark.area("store")

VALUE = {  # nested JSON, unicode (accents, CJK, emoji), numbers, booleans, null, lists, empty containers
    "title": "Grüße, 世界 🌍",
    "nested": {"list": [1, 2.5, -3, {"deep": ["x", None, True]}], "empty": {}, "none": []},
    "flag": False,
    "nothing": None,
    "quote": 'a "quoted" \\ backslash\nnewline',
}


class Store:
    """The store operations one test needs, each validated against the contract, and what it wrote."""

    def __init__(self, client: ApiClient, contract: Contract, root: list[str]) -> None:
        self.client, self.contract, self.root = client, contract, root
        self.written: set[tuple[tuple[str, ...], str]] = set()

    def ns(self, *labels: str) -> list[str]:
        return [*self.root, *labels]

    def put(self, namespace: list[str], key: str, value: dict, rule: str = "STORE-PUT", **extra: Any) -> Exchange:
        self.written.add((tuple(namespace), key))
        exchange = self.client.request(
            "PUT", "/store/items", json_body={"namespace": namespace, "key": key, "value": value, **extra}
        )
        self.contract.validate(exchange, "PUT /store/items", status=204, rule=rule)
        return exchange

    def get_raw(self, namespace: list[str], key: str, **params: Any) -> Exchange:
        return self.client.get("/store/items", params={"namespace": ".".join(namespace), "key": key, **params})

    def get(self, namespace: list[str], key: str, rule: str = "STORE-GET", **params: Any) -> tuple[Any, Exchange]:
        exchange = self.get_raw(namespace, key, **params)
        return self.contract.validate(exchange, "GET /store/items", status=200, rule=rule), exchange

    def delete(self, namespace: list[str], key: str, rule: str = "STORE-DELETE") -> Exchange:
        exchange = self.client.request("DELETE", "/store/items", json_body={"namespace": namespace, "key": key})
        self.contract.validate(exchange, "DELETE /store/items", status=204, rule=rule)
        return exchange

    def search(self, body: dict[str, Any], rule: str) -> tuple[list[dict], Exchange]:
        exchange = self.client.post("/store/items/search", json=body)
        found = self.contract.validate(exchange, "POST /store/items/search", status=200, rule=rule)
        return found["items"], exchange

    def namespaces(self, body: dict[str, Any], rule: str) -> tuple[list[list[str]], Exchange]:
        exchange = self.client.post("/store/namespaces", json=body)
        found = self.contract.validate(exchange, "POST /store/namespaces", status=200, rule=rule)
        return found["namespaces"], exchange

    def cleanup(self) -> None:
        """Best effort, never asserted: delete every item this fixture wrote."""
        for namespace, key in sorted(self.written):
            with contextlib.suppress(Exception):
                self.client.request("DELETE", "/store/items", json_body={"namespace": list(namespace), "key": key})


def _root(certification, what: str) -> list[str]:
    return ["conformance", certification.id, f"{what}-{uuid.uuid4().hex[:12]}"]


@pytest.fixture
def store(certification, contract, client):
    space = Store(client, contract, _root(certification, "store"))
    yield space
    space.cleanup()


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _item_ids(items: list[dict]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(i.get("namespace") or ()), i.get("key")) for i in items]


def _value(item: Any) -> Any:
    """The value of an item read back (None when there is no item)."""
    return item.get("value") if isinstance(item, dict) else None


# ------------------------------------------------------------------------------------------ items
def test_put_then_get_round_trips_the_value(store):
    """PUT then GET: the value comes back exactly as written, under its namespace and key."""
    namespace = store.ns("profile")
    store.put(namespace, "k-1", VALUE)
    item, exchange = store.get(namespace, "k-1")
    missing = "GET /store/items: the item just written is missing"
    expect_type(item, dict, rule="STORE-ROUNDTRIP", message=missing, exchange=exchange, stop=True)
    expect_equal(item["value"], VALUE, rule="STORE-ROUNDTRIP", exchange=exchange)
    expect_equal((item["namespace"], item["key"]), (namespace, "k-1"), rule="STORE-ROUNDTRIP", exchange=exchange)


def test_overwrite_replaces_the_value(store):
    """A second PUT of the same key replaces the value (no merge, no first-write-wins)."""
    namespace = store.ns("overwrite")
    store.put(namespace, "k", {"version": 1, "only_in_first": True})
    store.put(namespace, "k", {"version": 2})
    item, exchange = store.get(namespace, "k")
    missing = "GET /store/items: the overwritten item is missing"
    expect_type(item, dict, rule="STORE-OVERWRITE", message=missing, exchange=exchange, stop=True)
    expect_equal(item["value"], {"version": 2}, rule="STORE-OVERWRITE", exchange=exchange)


def test_overwrite_moves_updated_at_and_keeps_created_at(store):
    """On overwrite updated_at moves forward and created_at stays what it was."""
    namespace = store.ns("timestamps")
    store.put(namespace, "k", {"version": 1})
    first, _ = store.get(namespace, "k")
    store.put(namespace, "k", {"version": 2})
    second, exchange = store.get(namespace, "k")
    both = [type(first), type(second)]
    message = "GET /store/items: the item is missing"
    expect_equal(both, [dict, dict], rule="STORE-UPDATED-AT", message=message, exchange=exchange, stop=True)
    message = "GET /store/items: updated_at did not move forward on overwrite"
    expect_later(second["updated_at"], first["updated_at"], rule="STORE-UPDATED-AT", message=message, exchange=exchange)
    message = "GET /store/items: created_at changed when the item was overwritten"
    expect_equal(second["created_at"], first["created_at"], rule="STORE-CREATED-AT", message=message, exchange=exchange)


def test_delete_removes_the_item(store):
    """DELETE then GET: the item is gone (the reference answers 200 null; erratum E-STORE-1)."""
    namespace = store.ns("deleted")
    store.put(namespace, "k", {"here": True})
    store.delete(namespace, "k")
    item, exchange = store.get(namespace, "k", rule="STORE-DELETE")
    message = "GET /store/items still returns a deleted item"
    expect_equal(item, None, rule="STORE-DELETE", message=message, exchange=exchange)


def test_namespaces_isolate_the_same_key(store):
    """The same key in two namespaces holds two values, and deleting one leaves the other."""
    first, second = store.ns("left"), store.ns("right")
    store.put(first, "same", {"side": "left"})
    store.put(second, "same", {"side": "right"})
    for namespace, side in ((first, "left"), (second, "right")):
        item, exchange = store.get(namespace, "same", rule="STORE-NAMESPACE-ISOLATION")
        shown = item and {"namespace": item.get("namespace"), "value": item.get("value")}
        wanted = {"namespace": namespace, "value": {"side": side}}
        message = "GET /store/items: a namespace holds another namespace's value"
        expect_equal(shown, wanted, rule="STORE-NAMESPACE-ISOLATION", message=message, exchange=exchange)
    store.delete(first, "same")
    item, exchange = store.get(second, "same", rule="STORE-NAMESPACE-ISOLATION")
    message = "GET /store/items: deleting a key in one namespace removed it from another"
    expect_equal(_value(item), {"side": "right"}, rule="STORE-NAMESPACE-ISOLATION", message=message, exchange=exchange)


# -------------------------------------------------------------------------------------------- TTL
def test_item_with_ttl_is_stored_and_readable(store):
    """An item written with a ttl (minutes) is stored and readable at once, through GET and search."""
    namespace = store.ns("ttl")
    store.put(namespace, "short-lived", {"ttl": "30 minutes"}, rule="STORE-TTL", ttl=30)
    store.put(namespace, "fractional", {"ttl": "1.5 minutes"}, rule="STORE-TTL", ttl=1.5)
    for key, value in (("short-lived", {"ttl": "30 minutes"}), ("fractional", {"ttl": "1.5 minutes"})):
        item, exchange = store.get(namespace, key, rule="STORE-TTL")
        message = "GET /store/items: an item written with a ttl is not readable at once"
        expect_equal(_value(item), value, rule="STORE-TTL", message=message, exchange=exchange)
    found, exchange = store.search({"namespace_prefix": namespace, "limit": 100}, rule="STORE-TTL")
    keys = sorted(k for _, k in _item_ids(found))
    message = "POST /store/items/search: items written with a ttl are not found at once"
    expect_equal(keys, ["fractional", "short-lived"], rule="STORE-TTL", message=message, exchange=exchange)


@pytest.mark.parametrize("refresh", ["true", "false"])
def test_get_with_refresh_ttl_returns_the_item_unchanged(store, refresh):
    """GET with refresh_ttl returns the item; refreshing its expiry changes neither value nor updated_at."""
    namespace = store.ns("refresh")
    store.put(namespace, "k", {"kept": refresh}, ttl=30)
    before, _ = store.get(namespace, "k")
    item, exchange = store.get(namespace, "k", rule="STORE-REFRESH-TTL", refresh_ttl=refresh)
    shown = (_value(item), (item or {}).get("updated_at"))
    wanted = ({"kept": refresh}, (before or {}).get("updated_at"))
    message = f"GET /store/items?refresh_ttl={refresh} did not return the item as it was"
    expect_equal(shown, wanted, rule="STORE-REFRESH-TTL", message=message, exchange=exchange)


def test_search_with_refresh_ttl_returns_the_items(store):
    """A search with refresh_ttl true returns the same items as one without."""
    namespace = store.ns("refresh-search")
    store.put(namespace, "a", {"n": 1}, ttl=30)
    store.put(namespace, "b", {"n": 2})
    plain, _ = store.search({"namespace_prefix": namespace, "limit": 100}, rule="STORE-REFRESH-TTL")
    found, exchange = store.search(
        {"namespace_prefix": namespace, "limit": 100, "refresh_ttl": True}, rule="STORE-REFRESH-TTL"
    )
    message = "POST /store/items/search with refresh_ttl returned other items"
    got, wanted = sorted(_item_ids(found)), sorted(_item_ids(plain))
    expect_equal(got, wanted, rule="STORE-REFRESH-TTL", message=message, exchange=exchange)
    expect_equal(len(found), 2, rule="STORE-REFRESH-TTL", message=message, exchange=exchange)


# ------------------------------------------------------------------------------------- bad input
BAD_LABELS = {"empty-label": "", "dotted-label": "a.b"}


@pytest.mark.parametrize("case", list(BAD_LABELS))
def test_put_with_a_bad_namespace_label_is_422(store, case):
    """PUT with an empty label or a label holding a period answers 422 with an ErrorResponse body."""
    namespace = store.ns(BAD_LABELS[case], "x")
    store.written.add((tuple(namespace), "k"))
    exchange = store.client.request(
        "PUT", "/store/items", json_body={"namespace": namespace, "key": "k", "value": {"bad": True}}
    )
    store.contract.validate(exchange, "PUT /store/items", status=422, rule="STORE-BAD-NAMESPACE")
    store.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


def test_search_with_a_bad_namespace_label_is_422(store):
    """A search whose namespace_prefix holds an empty label answers 422 with an ErrorResponse body."""
    exchange = store.client.post("/store/items/search", json={"namespace_prefix": store.ns("", "x")})
    store.contract.validate(exchange, "POST /store/items/search", status=422, rule="STORE-BAD-NAMESPACE")
    store.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_missing_key_is_422(store, method):
    """PUT or DELETE without a key answers 422 with an ErrorResponse body."""
    body: dict[str, Any] = {"namespace": store.ns("no-key")}
    if method == "PUT":
        body["value"] = {"a": 1}
    exchange = store.client.request(method, "/store/items", json_body=body)
    store.contract.validate(exchange, f"{method} /store/items", status=422, rule="STORE-MISSING-KEY")
    store.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


def test_get_without_key_is_rejected(store):
    """GET without a key answers 400 or 422 (both documented) with an ErrorResponse body."""
    exchange = store.client.get("/store/items", params={"namespace": ".".join(store.ns("no-key"))})
    expect_status(exchange, (400, 422), rule="STORE-MISSING-KEY")
    store.contract.validate(exchange, "GET /store/items", rule="STORE-MISSING-KEY")
    store.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


def test_value_that_is_not_an_object_is_422(store):
    """PUT whose value is not a JSON object answers 422, and nothing is stored."""
    namespace = store.ns("not-object")
    exchange = store.client.request(
        "PUT", "/store/items", json_body={"namespace": namespace, "key": "k", "value": "just a string"}
    )
    store.contract.validate(exchange, "PUT /store/items", status=422, rule="STORE-BAD-VALUE")
    item, got = store.get(namespace, "k", rule="STORE-BAD-VALUE")
    expect_equal(item, None, rule="STORE-BAD-VALUE", message="a rejected PUT stored the item anyway", exchange=got)


# --------------------------------------------------------------------------------- search corpus
@dataclass
class Corpus:
    """Twelve items in three namespaces under one root, written in an order that interleaves the
    namespaces (so namespace order and update order differ), plus one item outside the searched prefix."""

    root: list[str]
    order: list[tuple[tuple[str, ...], str]] = field(default_factory=list)  # write order
    values: dict[tuple[tuple[str, ...], str], dict] = field(default_factory=dict)

    @property
    def prefix(self) -> list[str]:
        return [*self.root, "corpus"]

    def under(self, *labels: str) -> list[tuple[tuple[str, ...], str]]:
        head = (*self.prefix, *labels)
        return [i for i in self.order if i[0][: len(head)] == head]

    def where(self, **wanted: Any) -> list[tuple[tuple[str, ...], str]]:
        return [i for i in self.under() if all(self.values[i].get(k) == v for k, v in wanted.items())]


SHELVES = ("red", "blue", "blue/deep")


@pytest.fixture(scope="module")
def corpus(certification, contract):
    space = Store(ApiClient(certification.http, certification.secret_headers), contract, _root(certification, "search"))
    corpus = Corpus(root=space.root)
    for n in range(12):
        shelf = SHELVES[n % 3]
        namespace = [*corpus.prefix, *shelf.split("/")]
        item = (tuple(namespace), f"item-{n:02d}")
        value = {"shelf": shelf, "size": n // 3, "even": n % 2 == 0, "meta": {"n": n}}
        space.put(namespace, item[1], value)
        corpus.order.append(item)
        corpus.values[item] = value
    outside = space.ns("elsewhere")
    space.put(outside, "item-outside", {"shelf": "red", "size": 0, "even": True})
    yield corpus
    space.cleanup()


def test_search_namespace_prefix_returns_exactly_the_items_under_it(store, corpus):
    """namespace_prefix: every item in that namespace or below it, and no other."""
    for labels in ((), ("blue",), ("blue", "deep"), ("red",)):
        prefix = [*corpus.prefix, *labels]
        found, exchange = store.search({"namespace_prefix": prefix, "limit": 100}, rule="STORE-SEARCH-PREFIX")
        message = f"POST /store/items/search: namespace_prefix {prefix[len(corpus.root) :]} not applied"
        got, wanted = sorted(_item_ids(found)), sorted(corpus.under(*labels))
        expect_equal(got, wanted, rule="STORE-SEARCH-PREFIX", message=message, exchange=exchange)


FILTERS = {
    "one-field": {"shelf": "red"},
    "two-fields": {"shelf": "blue", "even": True},
    "number": {"size": 2},
    "false": {"even": False},
    "no-match": {"shelf": "green"},
}


@pytest.mark.parametrize("case", list(FILTERS))
def test_search_filter_returns_exactly_the_matching_items(store, corpus, case):
    """filter: only items whose value holds every key of the filter with that value (equality)."""
    body = {"namespace_prefix": corpus.prefix, "filter": FILTERS[case], "limit": 100}
    found, exchange = store.search(body, rule="STORE-SEARCH-FILTER")
    got, wanted = sorted(_item_ids(found)), sorted(corpus.where(**FILTERS[case]))
    message = f"POST /store/items/search: filter {FILTERS[case]} not applied"
    expect_equal(got, wanted, rule="STORE-SEARCH-FILTER", message=message, exchange=exchange)


def _first_of_the_listing(store: Store, corpus: Corpus, limit: int | None) -> None:
    """A search with ``limit`` (None: not sent, the default 10) answers that many items of the corpus, the
    first ones of the listing the same search gives without a limit, in its order."""
    wanted = 10 if limit is None else limit
    full, _ = store.search({"namespace_prefix": corpus.prefix, "limit": 100}, rule="STORE-SEARCH-LIMIT")
    body = {"namespace_prefix": corpus.prefix, **({} if limit is None else {"limit": limit})}
    found, exchange = store.search(body, rule="STORE-SEARCH-LIMIT")
    rule, got = "STORE-SEARCH-LIMIT", _item_ids(found)
    count = f"limit {limit} not applied" if limit else "the default limit is not 10"
    expect_equal(len(found), wanted, rule=rule, message=f"POST /store/items/search: {count}", exchange=exchange)
    message = f"POST /store/items/search: limit {wanted} did not answer items under the prefix"
    expect_subset(got, corpus.under(), rule=rule, message=message, exchange=exchange)
    message = f"POST /store/items/search: limit {wanted} did not answer the first {wanted} items of the listing"
    expect_equal(got, _item_ids(full)[:wanted], rule=rule, message=message, exchange=exchange)


@pytest.mark.parametrize("limit", [1, 5, 12])
def test_search_limit_caps_the_items(store, corpus, limit):
    """limit: that many items (the corpus holds 12), the first ones of the listing, in its order."""
    _first_of_the_listing(store, corpus, limit)


def test_search_default_limit_is_10(store, corpus):
    """limit: without one, 10 items come back (the documented default), the first 10 of the listing."""
    _first_of_the_listing(store, corpus, None)


@pytest.mark.parametrize(("offset", "limit"), [(4, 100), (2, 3), (11, 5), (12, 5)])
def test_search_offset_skips_that_many(store, corpus, offset, limit):
    """offset: the first `offset` items of the listing are skipped, the rest come in the same order."""
    full, _ = store.search({"namespace_prefix": corpus.prefix, "limit": 100}, rule="STORE-SEARCH-OFFSET")
    body = {"namespace_prefix": corpus.prefix, "limit": limit, "offset": offset}
    found, exchange = store.search(body, rule="STORE-SEARCH-OFFSET")
    wanted = _item_ids(full)[offset : offset + limit]
    message = f"POST /store/items/search: offset {offset} (limit {limit}) not applied"
    expect_equal(_item_ids(found), wanted, rule="STORE-SEARCH-OFFSET", message=message, exchange=exchange)


def test_search_lists_items_by_last_update(store, corpus):
    """Without a query, items are listed ordered by last updated time (either direction)."""
    found, exchange = store.search({"namespace_prefix": corpus.prefix, "limit": 100}, rule="STORE-SEARCH-ORDER")
    message = "POST /store/items/search: the listing is not in last-updated order"
    orders = (corpus.order, corpus.order[::-1])  # oldest first or newest first
    expect_in(_item_ids(found), orders, rule="STORE-SEARCH-ORDER", message=message, exchange=exchange)


def test_search_with_a_query_and_no_index_lists_the_prefix(store, corpus):
    """query without a configured index: 200 with the items under the prefix, filter still applied."""
    body = {"namespace_prefix": corpus.prefix, "query": "a red item", "filter": {"shelf": "red"}, "limit": 100}
    found, exchange = store.search(body, rule="STORE-SEARCH-QUERY")
    message = "POST /store/items/search with a query did not answer the filtered items under the prefix"
    got, wanted = sorted(_item_ids(found)), sorted(corpus.where(shelf="red"))
    expect_equal(got, wanted, rule="STORE-SEARCH-QUERY", message=message, exchange=exchange)


# ------------------------------------------------------------------------------------ namespaces
def _corpus_namespaces(corpus: Corpus) -> list[list[str]]:
    return sorted({tuple(n) for n, _ in corpus.order} | {(*corpus.root, "elsewhere")})


def test_namespaces_prefix_lists_exactly_those_below_it(store, corpus):
    """prefix: every namespace that holds items under the prefix, and no other."""
    for labels, wanted in (((), _corpus_namespaces(corpus)), (("corpus", "blue"), None)):
        prefix = [*corpus.root, *labels]
        wanted = wanted or [n for n in _corpus_namespaces(corpus) if n[: len(prefix)] == tuple(prefix)]
        found, exchange = store.namespaces({"prefix": prefix}, rule="STORE-NS-PREFIX")
        got, message = sorted(map(tuple, found)), "POST /store/namespaces: prefix not applied"
        expect_equal(got, sorted(wanted), rule="STORE-NS-PREFIX", message=message, exchange=exchange)


def test_namespaces_suffix_lists_only_those_ending_so(store, corpus):
    """suffix: only namespaces whose last labels are the suffix."""
    found, exchange = store.namespaces({"prefix": corpus.root, "suffix": ["deep"]}, rule="STORE-NS-SUFFIX")
    wanted, message = [[*corpus.prefix, "blue", "deep"]], "POST /store/namespaces: suffix not applied"
    expect_equal(found, wanted, rule="STORE-NS-SUFFIX", message=message, exchange=exchange)


def test_namespaces_max_depth_truncates_and_deduplicates(store, corpus):
    """max_depth: namespaces are cut to that many labels, each listed once."""
    depth = len(corpus.root) + 1
    found, exchange = store.namespaces({"prefix": corpus.root, "max_depth": depth}, rule="STORE-NS-MAX-DEPTH")
    deeper = [ns for ns in found if not isinstance(ns, list) or len(ns) > depth]
    message = f"POST /store/namespaces: max_depth {depth} not applied (namespaces deeper than it listed)"
    expect_equal(deeper, [], rule="STORE-NS-MAX-DEPTH", message=message, exchange=exchange)
    wanted = sorted([[*corpus.root, "corpus"], [*corpus.root, "elsewhere"]])
    message = f"POST /store/namespaces: max_depth {depth} did not list each namespace cut to it, once"
    shown = sorted(ns for ns in found if isinstance(ns, list))
    expect_equal(shown, wanted, rule="STORE-NS-MAX-DEPTH-TRUNCATE", message=message, exchange=exchange)


@pytest.mark.parametrize(("offset", "limit"), [(0, 2), (1, 2), (3, 100), (2, 1)])
def test_namespaces_limit_and_offset_page_the_list(store, corpus, offset, limit):
    """limit and offset: a page of the full list, in the same order."""
    full, _ = store.namespaces({"prefix": corpus.root}, rule="STORE-NS-PAGING")
    body = {"prefix": corpus.root, "limit": limit, "offset": offset}
    found, exchange = store.namespaces(body, rule="STORE-NS-PAGING")
    message = f"POST /store/namespaces: limit {limit} offset {offset} not applied"
    expect_equal(found, full[offset : offset + limit], rule="STORE-NS-PAGING", message=message, exchange=exchange)

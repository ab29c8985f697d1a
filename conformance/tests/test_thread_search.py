"""POST /threads/search: every request field is proven applied, not only accepted.

The corpus is twelve threads with ids chosen so that id order, creation order and update order all
differ: a server that sorts by the wrong field, or not at all, cannot pass by accident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from conformance.contract.checks import expect_equal, expect_ids, expect_order, expect_subset
from conformance.tests.flows import Api

pytestmark = pytest.mark.area("thread-search")

CORPUS_SIZE = 12
CREATION_ORDER = (5, 2, 9, 0, 11, 7, 3, 10, 1, 8, 4, 6)  # index into the sorted ids
UPDATED_FIRST = 3  # the first three created are updated last, so updated_at order differs from created_at


@dataclass
class Corpus:
    tag: dict[str, str]
    created: list[str]  # thread ids in creation order
    updated: list[str]  # thread ids in updated_at order

    def expected_order(self, field: str) -> list[str]:
        if field == "thread_id":
            return sorted(self.created)
        if field in ("created_at", "state_updated_at"):
            return list(self.created)
        if field == "updated_at":
            return list(self.updated)
        raise ValueError(field)


@pytest.fixture(scope="module")
def corpus(certification, contract) -> Corpus:
    api = Api.for_session(certification, contract)
    ids = sorted(str(uuid.uuid4()) for _ in range(CORPUS_SIZE))
    created = [ids[i] for i in CREATION_ORDER]
    for position, thread_id in enumerate(created):
        api.create_thread({"position": position}, thread_id=thread_id)
    # A decoy of this session but another tag: a filter that is ignored returns it too.
    api.create_thread({"position": -1}, tag=certification.tag())
    for thread_id in created[:UPDATED_FIRST]:
        exchange = api.client.patch(f"/threads/{thread_id}", json={"metadata": {"touched": True}})
        contract.validate(exchange, "PATCH /threads/{thread_id}", status=200, rule="THREADS-GET")
    return Corpus(tag=api.tag, created=created, updated=created[UPDATED_FIRST:] + created[:UPDATED_FIRST])


def _ids(found: list[dict]) -> list[str]:
    return [t.get("thread_id") for t in found]


def test_ids_filter_returns_exactly_those_threads(api, corpus):
    """ids: only the threads listed come back."""
    wanted = [corpus.created[3], corpus.created[7]]
    found, exchange = api.search({"ids": wanted, "limit": 100}, rule="SEARCH-IDS")
    message = "POST /threads/search: ids filter not applied"
    expect_equal(sorted(_ids(found)), sorted(wanted), rule="SEARCH-IDS", message=message, exchange=exchange)


def test_ids_filter_with_an_unknown_id_returns_nothing(api):
    """ids: an id no thread has matches nothing."""
    found, exchange = api.search({"ids": [api.new_id()]}, rule="SEARCH-IDS")
    message = "POST /threads/search: ids filter of an unknown id returned threads"
    expect_equal(_ids(found)[:20], [], rule="SEARCH-IDS", message=message, exchange=exchange)


def test_metadata_filter_returns_exactly_the_tagged_threads(api, corpus):
    """metadata: every thread carrying the tag, and only those."""
    found, exchange = api.search({"metadata": corpus.tag, "limit": 100}, rule="SEARCH-METADATA")
    got, message = sorted(_ids(found)), "POST /threads/search: metadata filter not applied"
    expect_equal(got, sorted(corpus.created), rule="SEARCH-METADATA", message=message, exchange=exchange)


def test_values_filter_returns_the_thread_with_that_state(api, prepared):
    """values: only the thread whose state holds the value comes back."""
    found, exchange = api.search({"values": {"answer": prepared.marker}, "limit": 100}, rule="SEARCH-VALUES")
    message = "POST /threads/search: values filter not applied"
    expect_equal(_ids(found)[:20], [prepared.ids["done"]], rule="SEARCH-VALUES", message=message, exchange=exchange)


def test_extract_returns_each_alias_with_its_value(api, prepared):
    """extract: each thread found carries ``extracted``, every alias with the value at its path."""
    thread_id = prepared.ids["done"]
    body = {
        "metadata": {**prepared.tag, "role": "done"},
        "extract": {"answer": "values.answer", "role": "metadata.role"},
    }
    found, exchange = api.search(body, rule="SEARCH-EXTRACT")
    message = "POST /threads/search: the metadata filter beside extract did not find exactly the done thread"
    expect_ids(_ids(found), exactly=[thread_id], rule="SEARCH-METADATA", message=message, exchange=exchange)
    wanted = {"answer": prepared.marker, "role": "done"}
    message = "POST /threads/search: the thread found does not carry each alias with the value at its path"
    expect_equal(found[0].get("extracted"), wanted, rule="SEARCH-EXTRACT", message=message, exchange=exchange)


ORDERED = {"sort_by": "thread_id", "sort_order": "asc"}  # an order the document defines, for "the first N"


def _first_of_the_matches(api, corpus: Corpus, limit: int | None, count: str) -> None:
    """A search of the corpus in a requested order with ``limit`` (None: not sent, the default 10) answers that
    many threads, all of them matches, and the first ones of the same search's listing without a limit."""
    wanted = 10 if limit is None else limit
    body = {"metadata": corpus.tag, **ORDERED}
    full, _ = api.search({**body, "limit": 1000}, rule="SEARCH-LIMIT")
    found, exchange = api.search(body if limit is None else {**body, "limit": limit}, rule="SEARCH-LIMIT")
    expect_equal(len(found), wanted, rule="SEARCH-LIMIT", message=f"POST /threads/search: {count}", exchange=exchange)
    message = f"POST /threads/search: limit {wanted} answered threads the filter does not match"
    expect_subset(_ids(found), corpus.created, rule="SEARCH-LIMIT", message=message, exchange=exchange)
    message = f"POST /threads/search: limit {wanted} did not answer the first {wanted} matches in the requested order"
    expect_equal(_ids(found), _ids(full)[:wanted], rule="SEARCH-LIMIT", message=message, exchange=exchange)


@pytest.mark.parametrize("limit", [1, 5])
def test_limit_caps_the_results(api, corpus, limit):
    """limit: that many threads (the corpus holds 12): matches, the first ones in the requested order."""
    _first_of_the_matches(api, corpus, limit, f"limit {limit} not applied")


def test_limit_1000_returns_all_matches(api, corpus):
    """limit: the maximum, 1000, is accepted and not capped lower: every match comes back, and only those."""
    found, exchange = api.search({"metadata": corpus.tag, "limit": 1000}, rule="SEARCH-LIMIT")
    message = "POST /threads/search: limit 1000 did not return every match"
    expect_equal(len(found), CORPUS_SIZE, rule="SEARCH-LIMIT", message=message, exchange=exchange)
    expect_ids(_ids(found), exactly=corpus.created, rule="SEARCH-LIMIT", message=message, exchange=exchange)


def test_default_limit_is_10(api, corpus):
    """limit: without one, 10 threads come back, the first 10 matches in the requested order."""
    _first_of_the_matches(api, corpus, None, "the default limit is not 10")


@pytest.mark.parametrize("offset", [3, 11, 12])
def test_offset_skips_that_many(api, corpus, offset):
    """offset: the first `offset` matches, in the requested order, are skipped."""
    body = {"metadata": corpus.tag, "sort_by": "thread_id", "sort_order": "asc", "limit": 100, "offset": offset}
    found, exchange = api.search(body, rule="SEARCH-OFFSET")
    wanted, message = sorted(corpus.created)[offset:], f"POST /threads/search: offset {offset} not applied"
    expect_equal(_ids(found), wanted, rule="SEARCH-OFFSET", message=message, exchange=exchange)


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("field", ["thread_id", "created_at", "updated_at", "state_updated_at"])
def test_sort_orders_by_the_field(api, corpus, field, order):
    """sort_by x sort_order: results come in that field's order, ascending or descending."""
    body = {"metadata": corpus.tag, "sort_by": field, "sort_order": order, "limit": 100}
    found, exchange = api.search(body, rule="SEARCH-SORT")
    wanted = corpus.expected_order(field)
    if order == "desc":
        wanted.reverse()
    message = f"POST /threads/search: sort_by={field} sort_order={order} not applied"
    answered = {t.get("thread_id"): t.get(field) for t in found if isinstance(t, dict)}
    expect_order(_ids(found), wanted, sorted_on=answered, rule="SEARCH-SORT", message=message, exchange=exchange)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_by_status(api, prepared, order):
    """sort_by=status: the threads come grouped by status (the document names no order of the statuses;
    the official server's, alphabetical, is checked apart)."""
    body = {"metadata": prepared.tag, "sort_by": "status", "sort_order": order, "limit": 100}
    found, exchange = api.search(body, rule="SEARCH-SORT")
    statuses = [t.get("status") for t in found]
    every = "POST /threads/search: sort_by=status did not find exactly the corpus"
    expect_equal(
        sorted(statuses), sorted(prepared.statuses.values()), rule="SEARCH-SORT", message=every, exchange=exchange
    )
    runs = [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]
    message = f"POST /threads/search: sort_by=status sort_order={order} did not group the threads by status"
    expect_equal(len(runs), len(set(statuses)), rule="SEARCH-SORT", message=message, exchange=exchange)
    wanted = sorted(prepared.statuses.values(), reverse=order == "desc")
    message = f"POST /threads/search: sort_by=status sort_order={order} is not in alphabetical order"
    expect_equal(statuses, wanted, rule="SEARCH-SORT-STATUS", message=message, exchange=exchange)


SELECTIONS = [
    ["thread_id"],
    ["thread_id", "status"],
    ["metadata", "created_at", "updated_at"],
    ["thread_id", "values", "config", "state_updated_at"],
    ["thread_id", "interrupts"],
]


@pytest.mark.parametrize("select", SELECTIONS, ids=["+".join(s) for s in SELECTIONS])
def test_select_returns_exactly_the_selected_fields(api, corpus, select):
    """select: each thread has exactly the selected fields."""
    found, exchange = api.search({"metadata": corpus.tag, "select": select, "limit": 3}, rule="SEARCH-SELECT")
    message = "POST /threads/search with select returned the wrong number of threads"
    expect_equal(len(found), 3, rule="SEARCH-SELECT", message=message, exchange=exchange)
    for thread in found:
        message = "POST /threads/search: select not applied"
        expect_equal(sorted(thread), sorted(select), rule="SEARCH-SELECT", message=message, exchange=exchange)


INVALID = {
    "unknown-status": {"status": "sleeping"},
    "limit-0": {"limit": 0},
    "limit-1001": {"limit": 1001},
    "negative-offset": {"offset": -1},
    "unknown-sort-by": {"sort_by": "colour"},
    "unknown-sort-order": {"sort_order": "sideways"},
    "unknown-select-field": {"select": ["colour"]},
    "limit-not-integer": {"limit": "ten"},
    "extract-bad-path": {"extract": {"x": "nowhere.x"}},
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_search_is_422(api, case):
    """A search that violates the request schema answers 422 with an ErrorResponse body."""
    exchange = api.client.post("/threads/search", json=INVALID[case])
    api.contract.validate(exchange, "POST /threads/search", status=422, rule="SEARCH-VALIDATION")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)

"""Thread status, as the "Use threads" guide finds threads: by status, by id, and by metadata."""

from __future__ import annotations

import pytest

from conformance.contract.checks import expect_equal, expect_ids, expect_true
from conformance.tests.flows import human

pytestmark = pytest.mark.area("thread-status")

STATUS_RULES = {
    "idle": "THREAD-STATUS-IDLE",
    "interrupted": "THREAD-STATUS-INTERRUPTED",
    "error": "THREAD-STATUS-ERROR",
}


def test_new_thread_is_idle_and_found_by_idle_search(api):
    """A new thread shows status idle and a status=idle search finds it."""
    thread = api.create_thread()
    fetched, exchange = api.get_thread(thread["thread_id"])
    not_idle = "GET /threads/{thread_id}: a new thread is not idle"
    expect_equal(fetched["status"], "idle", rule="THREAD-STATUS-IDLE", message=not_idle, exchange=exchange)
    found, exchange = api.search({"status": "idle", "metadata": api.tag}, rule="SEARCH-STATUS")
    missed = "POST /threads/search: status=idle does not find the new idle thread"
    ids = [t.get("thread_id") for t in found]
    expect_equal(ids, [thread["thread_id"]], rule="SEARCH-STATUS", message=missed, exchange=exchange)


@pytest.mark.parametrize("status", ["idle", "interrupted", "error"])
def test_thread_shows_its_status(api, prepared, status):
    """GET /threads/{thread_id} shows the status its last run left it in."""
    for thread_id in sorted(prepared.by_status(status)):
        fetched, exchange = api.get_thread(thread_id)
        other = f"GET /threads/{{thread_id}}: the thread should be {status}"
        expect_equal(fetched["status"], status, rule=STATUS_RULES[status], message=other, exchange=exchange)


@pytest.mark.parametrize("status", ["idle", "interrupted", "error", "busy"])
def test_search_by_status_returns_exactly_that_status(api, prepared, status):
    """POST /threads/search {status} returns the threads with that status and no other."""
    found, exchange = api.search({"status": status, "metadata": prepared.tag, "limit": 100}, rule="SEARCH-STATUS")
    got = {t.get("thread_id"): t.get("status") for t in found}
    wanted = prepared.by_status(status)
    not_applied = f"POST /threads/search: status filter not applied: asked {status}"
    expect_ids(got, exactly=wanted, rule="SEARCH-STATUS", message=not_applied, exchange=exchange)
    others = f"POST /threads/search: asked {status}, got threads with another status"
    same = all(s == status for s in got.values())
    expect_true(same, rule="SEARCH-STATUS", message=others, expected=status, actual=got, exchange=exchange)


def test_busy_thread_shows_busy_and_is_found_by_busy_search(api):
    """While a run is in progress its thread is busy, found by status=busy and not by status=idle."""
    thread = api.create_thread()
    thread_id = thread["thread_id"]
    run, _ = api.start_run(thread_id, "slow", human("wait", seconds=api.run_timeout), schema=False)
    try:
        api.wait_thread_status(thread_id, "busy", "THREAD-STATUS-BUSY")
        found, exchange = api.search({"status": "busy", "metadata": api.tag}, rule="SEARCH-STATUS")
        missing = "POST /threads/search: status filter not applied: asked busy, the running thread is missing"
        ids = [t.get("thread_id") for t in found]
        expect_equal(ids, [thread_id], rule="SEARCH-STATUS", message=missing, exchange=exchange)
        idle, exchange = api.search({"status": "idle", "metadata": api.tag}, rule="SEARCH-STATUS")
        busy_found = "POST /threads/search: asked idle, got the busy thread"
        ids = [t.get("thread_id") for t in idle]
        expect_equal(ids, [], rule="SEARCH-STATUS", message=busy_found, exchange=exchange)
    finally:
        api.cancel_run(thread_id, run["run_id"])


def test_find_thread_by_id(api):
    """GET /threads/{thread_id} returns the thread created, with its metadata."""
    thread = api.create_thread({"purpose": "by-id"})
    fetched, exchange = api.get_thread(thread["thread_id"])
    changed = "GET /threads/{thread_id}: the metadata differs from what was stored"
    expect_equal(fetched["metadata"], thread["metadata"], rule="THREADS-GET", message=changed, exchange=exchange)


METADATA_VALUES = {
    "string": ("blue", "red"),
    "integer": (42, 43),
    "float": (2.5, 3.5),
    "true": (True, False),
    "false": (False, True),
    "null": (None, "not-null"),
    "list": (["a", 1], ["b", 2]),
    "nested": ({"outer": {"inner": 1, "flag": True}}, {"outer": {"inner": 2, "flag": True}}),
}


@pytest.mark.parametrize("kind", list(METADATA_VALUES))
def test_find_threads_by_metadata(api, kind):
    """POST /threads/search {metadata} matches each JSON type exactly, not just the keys' presence."""
    value, other = METADATA_VALUES[kind]
    match = api.create_thread({"probe": value})
    decoy = api.create_thread({"probe": other})
    found, exchange = api.search({"metadata": {**api.tag, "probe": value}, "limit": 100}, rule="SEARCH-METADATA")
    ids = [t.get("thread_id") for t in found]
    shown = ["(the decoy) " + i if i == decoy["thread_id"] else i for i in ids]  # equal to [match] iff ids are
    not_applied = f"POST /threads/search: metadata filter on a {kind} value not applied"
    expect_equal(shown, [match["thread_id"]], rule="SEARCH-METADATA", message=not_applied, exchange=exchange)


def test_unknown_thread_is_404(api):
    """GET /threads/{thread_id} for an id that does not exist answers 404 with an error body."""
    exchange = api.client.get(f"/threads/{api.new_id()}")
    api.contract.validate(exchange, "GET /threads/{thread_id}", status=404, rule="THREADS-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


def test_malformed_thread_id_is_422(api):
    """GET /threads/{thread_id} with an id that is not a UUID answers 422 with an error body."""
    exchange = api.client.get("/threads/not-a-uuid")
    api.malformed_id_refused(exchange, "GET /threads/{thread_id}", "THREADS-MALFORMED-ID")

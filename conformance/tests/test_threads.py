"""Managing threads: create (thread_id, if_exists, supersteps, ttl), patch, delete, copy, count, prune,
the thread's own event stream, and the storage its checkpoints occupy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.contract.checks import (
    expect_contains,
    expect_equal,
    expect_ids,
    expect_later,
    expect_status,
    expect_subset,
    expect_true,
)
from conformance.contract.client import Exchange
from conformance.contract.sse import SseEvent
from conformance.graphs import ECHO_PREFIX
from conformance.tests.flows import Api, human
from conformance.tests.values import conversation

pytestmark = pytest.mark.area("threads")

SUPERSTEPS = [
    {"updates": [{"values": {"messages": [{"role": "human", "content": "first"}]}, "as_node": "echo"}]},
    {"updates": [{"values": {"messages": [{"role": "ai", "content": "second"}]}, "as_node": "echo"}]},
]
STREAM_MAX_EVENTS = 200
STREAM_MAX_BYTES = 1_000_000


@dataclass
class Finished:
    """Threads that each hold one finished run of the ``agent`` graph (prepared together)."""

    ids: dict[str, str] = field(default_factory=dict)  # role -> thread id


@pytest.fixture(scope="module")
def finished(certification, contract) -> Finished:
    api = Api.for_session(certification, contract)
    done = Finished()
    runs = {}
    for role in ("delete", "copy", "prune-keep"):
        thread_id = api.create_thread({"role": role})["thread_id"]
        run, _ = api.start_run(thread_id, "agent", human(role), schema=False)
        done.ids[role], runs[role] = thread_id, run["run_id"]
    for role, run_id in runs.items():
        api.wait_run(done.ids[role], run_id, schema=False)
    return done


def _history(api: Api, thread_id: str, limit: int = 100) -> tuple[list[dict], Exchange]:
    exchange = api.client.post(f"/threads/{thread_id}/history", json={"limit": limit})
    history = api.contract.validate(exchange, "POST /threads/{thread_id}/history", status=200, rule="HISTORY-GET")
    return history, exchange


def _checkpoint_ids(history: list[dict]) -> list[str]:
    return [(entry.get("checkpoint") or {}).get("checkpoint_id") for entry in history]


def _state(api: Api, thread_id: str) -> tuple[dict, Exchange]:
    exchange = api.client.get(f"/threads/{thread_id}/state")
    return api.contract.validate(exchange, "GET /threads/{thread_id}/state", status=200, rule="STATE-GET"), exchange


# ------------------------------------------------------------------------------------------- create
def test_create_uses_the_thread_id_asked_for(api):
    """POST /threads with a thread_id creates the thread under that id; GET finds it there."""
    wanted = api.new_id()
    api.create_thread(thread_id=wanted)
    thread, got = api.get_thread(wanted)
    expect_contains(thread["metadata"], api.tag, rule="THREADS-CREATE", exchange=got)


@pytest.mark.parametrize("if_exists", [None, "raise"], ids=["absent", "raise"])
def test_create_an_existing_id_is_409(api, if_exists):
    """A second create with the same thread_id answers 409 (if_exists absent or raise) and changes nothing."""
    thread_id = api.new_id()
    api.create_thread({"round": 1}, thread_id=thread_id)
    body = {"thread_id": thread_id, "metadata": {**api.tag, "round": 2}}
    if if_exists:
        body["if_exists"] = if_exists
    exchange = api.client.post("/threads", json=body)
    api.contract.validate(exchange, "POST /threads", status=409, rule="THREADS-CREATE-CONFLICT")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)
    thread, got = api.get_thread(thread_id)
    expect_equal(thread["metadata"].get("round"), 1, rule="THREADS-CREATE-CONFLICT", exchange=got)


def test_create_an_existing_id_with_do_nothing_returns_the_existing_thread(api):
    """if_exists=do_nothing answers 200 with the existing thread, unchanged."""
    thread_id = api.new_id()
    first = api.create_thread({"round": 1}, thread_id=thread_id)
    body = {"thread_id": thread_id, "metadata": {**api.tag, "round": 2}, "if_exists": "do_nothing"}
    exchange = api.client.post("/threads", json=body)
    again = api.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-CREATE-DO-NOTHING")
    expect_equal(again.get("thread_id"), thread_id, rule="THREADS-CREATE-DO-NOTHING", exchange=exchange)
    expect_equal(again.get("metadata", {}).get("round"), 1, rule="THREADS-CREATE-DO-NOTHING", exchange=exchange)
    expect_equal(again.get("created_at"), first["created_at"], rule="THREADS-CREATE-DO-NOTHING", exchange=exchange)
    thread, got = api.get_thread(thread_id)
    expect_equal(thread["metadata"].get("round"), 1, rule="THREADS-CREATE-DO-NOTHING", exchange=got)


def test_create_with_supersteps_sets_the_initial_state(api):
    """supersteps: the thread starts with the state they build, one checkpoint per superstep."""
    body = {"metadata": {**api.tag, "graph_id": "agent"}, "supersteps": SUPERSTEPS}
    exchange = api.client.post("/threads", json=body)
    thread = api.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-CREATE-SUPERSTEPS")
    thread_id = thread["thread_id"]
    api.cert.track_thread(thread_id)
    wanted = [("human", "first"), ("ai", "second")]
    state, got = _state(api, thread_id)
    expect_equal(conversation(state["values"]), wanted, rule="THREADS-CREATE-SUPERSTEPS", exchange=got)
    history, got = _history(api, thread_id)
    expect_equal(len(history), len(SUPERSTEPS), rule="THREADS-CREATE-SUPERSTEPS", exchange=got)
    each = [conversation(entry["values"]) for entry in history]
    expect_equal(each, [wanted, wanted[:1]], rule="THREADS-CREATE-SUPERSTEPS", exchange=got)


def test_create_with_ttl_is_accepted(api):
    """A thread created with a ttl is created; a ttl can be patched."""
    body = {"metadata": api.tag, "ttl": {"strategy": "delete", "ttl": 60}}
    exchange = api.client.post("/threads", json=body)
    thread = api.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-TTL")
    api.cert.track_thread(thread["thread_id"])
    patched = api.client.patch(f"/threads/{thread['thread_id']}", json={"ttl": {"strategy": "delete", "ttl": 120}})
    api.contract.validate(patched, "PATCH /threads/{thread_id}", status=200, rule="THREADS-TTL")
    api.get_thread(thread["thread_id"])


def test_ttl_is_shown_with_include_ttl(api):
    """GET /threads/{id}?include=ttl shows the ttl the thread was created with."""
    body = {"metadata": api.tag, "ttl": {"strategy": "delete", "ttl": 60}}
    exchange = api.client.post("/threads", json=body)
    thread = api.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-TTL")
    api.cert.track_thread(thread["thread_id"])
    got = api.client.get(f"/threads/{thread['thread_id']}", params={"include": "ttl"})
    shown = api.contract.validate(got, "GET /threads/{thread_id}", status=200, rule="THREADS-TTL")
    wanted, message = {"strategy": "delete", "ttl_minutes": 60}, "include=ttl does not show the thread's ttl"
    expect_contains(shown.get("ttl"), wanted, rule="THREADS-TTL", message=message, exchange=got)


# -------------------------------------------------------------------------------------------- patch
def test_patch_merges_metadata_and_moves_updated_at(api):
    """PATCH merges metadata (kept, overwritten, added keys); updated_at moves forward, created_at stays."""
    thread = api.create_thread({"kept": "k", "changed": "old"})
    thread_id = thread["thread_id"]
    exchange = api.client.patch(f"/threads/{thread_id}", json={"metadata": {"changed": "new", "added": 3}})
    patched = api.contract.validate(exchange, "PATCH /threads/{thread_id}", status=200, rule="THREADS-PATCH")
    merged = {**api.tag, "kept": "k", "changed": "new", "added": 3}
    # Containment for the contract (a server may add keys of its own); exactly the merge is what the
    # official server answers (reference-compatible).
    expect_contains(patched["metadata"], merged, rule="THREADS-PATCH", exchange=exchange)
    expect_equal(patched["metadata"], merged, rule="THREADS-METADATA-EXACT", exchange=exchange)
    stored, got = api.get_thread(thread_id)
    expect_contains(stored["metadata"], merged, rule="THREADS-PATCH", exchange=got)
    expect_equal(stored["metadata"], merged, rule="THREADS-METADATA-EXACT", exchange=got)
    expect_equal(stored["created_at"], thread["created_at"], rule="THREADS-PATCH-TIMESTAMPS", exchange=got)
    rule, moved = "THREADS-PATCH-TIMESTAMPS", "PATCH did not move updated_at forward"
    expect_later(stored["updated_at"], thread["updated_at"], rule=rule, message=moved, exchange=got)


# ------------------------------------------------------------------------------------------- delete
def test_delete_removes_the_thread_everywhere(api, finished):
    """After DELETE: GET, state, history and runs answer 404; search and count no longer find it."""
    thread_id = finished.ids["delete"]
    thread, _ = api.get_thread(thread_id)
    own = {k: thread["metadata"].get(k) for k in (*api.tag, "role")}  # only this thread carries all of them
    exchange = api.client.delete(f"/threads/{thread_id}")
    api.contract.validate(exchange, "DELETE /threads/{thread_id}", rule="THREADS-DELETE")
    expect_status(exchange, (200, 204), rule="THREADS-DELETE")
    for path, operation in (
        ("", "GET /threads/{thread_id}"),
        ("/state", "GET /threads/{thread_id}/state"),
        ("/history", "GET /threads/{thread_id}/history"),
        ("/runs", "GET /threads/{thread_id}/runs"),
    ):
        got = api.client.get(f"/threads/{thread_id}{path}")
        api.contract.validate(got, operation, status=404, rule="THREADS-DELETE")
    found, searched = api.search({"ids": [thread_id]}, rule="THREADS-DELETE")
    expect_ids([t.get("thread_id") for t in found], exactly=[], rule="THREADS-DELETE", exchange=searched)
    counted = api.client.post("/threads/count", json={"metadata": own})
    count = api.contract.validate(counted, "POST /threads/count", status=200, rule="THREADS-DELETE")
    expect_equal(count, 0, rule="THREADS-DELETE", exchange=counted)


def test_delete_an_unknown_thread_is_404(api):
    """Deleting a thread that does not exist (or no longer does) answers 404 with an ErrorResponse."""
    thread_id = api.create_thread()["thread_id"]
    first = api.client.delete(f"/threads/{thread_id}")
    expect_status(first, (200, 204), rule="THREADS-DELETE")
    again = api.client.delete(f"/threads/{thread_id}")
    api.contract.validate(again, "DELETE /threads/{thread_id}", status=404, rule="THREADS-NOT-FOUND")
    api.contract.validate_body(again.json(), "ErrorResponse", exchange=again)


# --------------------------------------------------------------------------------------------- copy
def test_copy_has_the_same_state_and_history(api, finished):
    """POST /copy makes a new thread with the source's metadata, values, next and history; the source stays."""
    source_id = finished.ids["copy"]
    source, _ = api.get_thread(source_id)
    source_history, _ = _history(api, source_id)
    exchange = api.client.post(f"/threads/{source_id}/copy")
    copy = api.contract.validate(exchange, "POST /threads/{thread_id}/copy", status=200, rule="THREADS-COPY")
    copy_id = copy.get("thread_id")
    if copy_id:
        api.cert.track_thread(copy_id)
    own, other = bool(copy_id) and copy_id != source_id, f"an id other than {source_id}"
    message = "the copy has no thread id of its own"
    expect_true(own, rule="THREADS-COPY", message=message, expected=other, actual=copy_id, exchange=exchange)
    expect_equal(copy.get("metadata"), source["metadata"], rule="THREADS-COPY-METADATA", exchange=exchange)
    source_state, _ = _state(api, source_id)
    copy_state, got = _state(api, copy_id)
    copied, source = conversation(copy_state["values"]), conversation(source_state["values"])
    expect_equal(copied, source, rule="THREADS-COPY", exchange=got)
    expect_equal(copy_state["next"], source_state["next"], rule="THREADS-COPY", exchange=got)
    copy_history, got = _history(api, copy_id)
    expect_equal(_checkpoint_ids(copy_history), _checkpoint_ids(source_history), rule="THREADS-COPY", exchange=got)
    named = {(e.get("checkpoint") or {}).get("thread_id") for e in copy_history}
    message = "the copy's history names checkpoints of another thread"
    expect_subset(named, [copy_id], rule="THREADS-COPY", message=message, exchange=got)
    after, got = _history(api, source_id)
    expect_equal(_checkpoint_ids(after), _checkpoint_ids(source_history), rule="THREADS-COPY", exchange=got)


def test_copy_of_an_unknown_thread_is_409(api):
    """Copying a thread that does not exist answers 409 with an ErrorResponse, as documented."""
    exchange = api.client.post(f"/threads/{api.new_id()}/copy")
    api.contract.validate(exchange, "POST /threads/{thread_id}/copy", status=409, rule="THREADS-COPY-UNKNOWN")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


# -------------------------------------------------------------------------------------------- count
COUNT_FILTERS = {  # case -> (extra filter, the prepared roles it matches)
    "metadata": ({}, {"idle", "done", "interrupted", "error"}),
    "metadata-role": ({"metadata": {"role": "done"}}, {"done"}),
    "status-idle": ({"status": "idle"}, {"idle", "done"}),
    "status-interrupted": ({"status": "interrupted"}, {"interrupted"}),
    "status-error": ({"status": "error"}, {"error"}),
    "status-busy": ({"status": "busy"}, set()),
}


@pytest.mark.parametrize("case", list(COUNT_FILTERS))
def test_count_equals_search(api, prepared, case):
    """POST /threads/count with a filter equals the number of threads search returns with it."""
    extra, roles = COUNT_FILTERS[case]
    body = {**extra, "metadata": {**prepared.tag, **extra.get("metadata", {})}}
    # Plain search (no select: how select is applied is SEARCH-SELECT's, and must not block a count), and
    # the count held against the corpus itself: a search that misapplies a filter does not excuse the count.
    found, searched = api.search({**body, "limit": 1000})
    matching = {prepared.ids[r] for r in roles}
    search_rule = "SEARCH-STATUS" if "status" in extra else "SEARCH-METADATA"
    expect_ids([t.get("thread_id") for t in found], exactly=matching, rule=search_rule, exchange=searched)
    exchange = api.client.post("/threads/count", json=body)
    count = api.contract.validate(exchange, "POST /threads/count", status=200, rule="THREADS-COUNT")
    expect_equal(count, len(matching), rule="THREADS-COUNT", exchange=exchange)


def test_count_by_values(api, prepared):
    """POST /threads/count with a values filter counts the threads whose state holds them.

    (Search by values is proven in test_thread_search; here the count is held against the corpus.)"""
    body = {"metadata": prepared.tag, "values": {"answer": prepared.marker}}
    exchange = api.client.post("/threads/count", json=body)
    count = api.contract.validate(exchange, "POST /threads/count", status=200, rule="THREADS-COUNT")
    expect_equal(count, 1, rule="THREADS-COUNT", exchange=exchange)


# -------------------------------------------------------------------------------------------- prune
def test_prune_delete_removes_exactly_the_listed_threads(api):
    """prune (strategy delete) removes the listed threads, answers their count, and keeps the others."""
    listed = [api.create_thread({"prune": "listed"})["thread_id"] for _ in range(2)]
    kept = api.create_thread({"prune": "kept"})["thread_id"]
    exchange = api.client.post("/threads/prune", json={"thread_ids": listed, "strategy": "delete"})
    answer = api.contract.validate(exchange, "POST /threads/prune", status=200, rule="THREADS-PRUNE")
    expect_equal(answer.get("pruned_count"), len(listed), rule="THREADS-PRUNE", exchange=exchange)
    for thread_id in listed:
        got = api.client.get(f"/threads/{thread_id}")
        api.contract.validate(got, "GET /threads/{thread_id}", status=404, rule="THREADS-PRUNE")
    api.get_thread(kept)


def test_prune_an_unknown_thread_prunes_nothing(api):
    """prune of a thread id that does not exist answers pruned_count 0."""
    exchange = api.client.post("/threads/prune", json={"thread_ids": [api.new_id()]})
    answer = api.contract.validate(exchange, "POST /threads/prune", status=200, rule="THREADS-PRUNE")
    expect_equal(answer.get("pruned_count"), 0, rule="THREADS-PRUNE", exchange=exchange)


def test_prune_keep_latest_keeps_the_thread_and_its_latest_state(api, finished):
    """prune (strategy keep_latest) keeps the thread and its latest state and drops older checkpoints."""
    thread_id = finished.ids["prune-keep"]
    before, _ = _state(api, thread_id)
    exchange = api.client.post("/threads/prune", json={"thread_ids": [thread_id], "strategy": "keep_latest"})
    answer = api.contract.validate(exchange, "POST /threads/prune", status=200, rule="THREADS-PRUNE-KEEP-LATEST")
    expect_equal(answer.get("pruned_count"), 1, rule="THREADS-PRUNE-KEEP-LATEST", exchange=exchange)
    after, got = _state(api, thread_id)
    kept, latest = conversation(after["values"]), conversation(before["values"])
    expect_equal(kept, latest, rule="THREADS-PRUNE-KEEP-LATEST", exchange=got)
    history, got = _history(api, thread_id)
    expect_equal(len(history), 1, rule="THREADS-PRUNE-KEEP-LATEST", exchange=got)


# ------------------------------------------------------------------------------------ thread stream
def _mentions(event: SseEvent, *words: str) -> bool:
    """Whether an event's data (as sent, or as JSON text) contains every word."""
    text = event.data if isinstance(event.data, str) else json.dumps(event.data)
    return all(word in text for word in words)


def test_thread_stream_delivers_a_run_started_while_listening(api):
    """GET /threads/{id}/stream delivers the events of a run started while listening, up to its end."""
    thread_id = api.create_thread()["thread_id"]
    started: list[str] = []

    def start_run(opened: Exchange) -> None:
        expect_status(opened, 200, rule="THREADS-STREAM")
        run, _ = api.start_run(thread_id, "agent", human("streamed"), schema=False)
        started.append(run["run_id"])

    def run_done(events: list[SseEvent]) -> bool:
        return any(e.name == "metadata" and _mentions(e, '"run_done"', started[0]) for e in events)

    exchange, events, _ = api.client.stream(
        "GET",
        f"/threads/{thread_id}/stream",
        seconds=api.run_timeout,
        max_events=STREAM_MAX_EVENTS,
        max_bytes=STREAM_MAX_BYTES,
        until=run_done,
        opened=start_run,
    )
    api.contract.validate(exchange, "GET /threads/{thread_id}/stream", status=200, rule="THREADS-STREAM")
    run_id = started[0]  # a 200 answer: the run was started when it opened
    names = [e.name for e in events]
    announced = any(e.name == "metadata" and _mentions(e, run_id) for e in events)
    echoed = any(e.name == "values" and _mentions(e, f"{ECHO_PREFIX}streamed") for e in events)
    message = "the thread stream did not announce the run (no metadata event naming it)"
    expect_true(announced, rule="THREADS-STREAM", message=message, actual=names, exchange=exchange)
    message = "the thread stream did not deliver the run's values (no values event with the echo)"
    expect_true(echoed, rule="THREADS-STREAM", message=message, actual=names, exchange=exchange)
    message = "the thread stream never showed the run's end (no metadata run_done naming it)"
    expect_true(run_done(events), rule="THREADS-STREAM", message=message, actual=names, exchange=exchange)


def test_unknown_thread_stream_is_404(api):
    """GET /threads/{id}/stream of a thread that does not exist answers 404 with an ErrorResponse."""
    # An answer that is not the 404 is judged by its status: its (endless) stream is not read.
    opened = api.client.stream("GET", f"/threads/{api.new_id()}/stream", seconds=5, unread_if=lambda e: e.status != 404)
    exchange = opened.exchange
    api.contract.validate(exchange, "GET /threads/{thread_id}/stream", status=404, rule="THREADS-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


# ------------------------------------------------------------------------------------------ storage
STORAGE = "GET /threads/{thread_id}/storage"
SECTIONS = ("checkpoints", "channel_values", "pending_writes")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _storage(api: Api, thread_id: str, rule: str) -> tuple[dict, Exchange]:
    """The thread's storage, about that thread, its sums holding: total_bytes is the sum of the three
    sections, and channel_values' count and bytes are the sums of its channels' versions and bytes."""
    exchange = api.client.get(f"/threads/{thread_id}/storage")
    storage = api.contract.validate(exchange, STORAGE, status=200, rule=rule)
    storage = storage if isinstance(storage, dict) else {}
    other = f"{STORAGE}: the answer is about another thread"
    expect_equal(storage.get("thread_id"), thread_id, rule=rule, message=other, exchange=exchange)
    sections = {name: storage.get(name) if isinstance(storage.get(name), dict) else {} for name in SECTIONS}
    parts = [_count(sections[name].get("bytes")) for name in SECTIONS]
    if all(part is not None for part in parts):  # a part that is no number is the schema's finding
        message = f"{STORAGE}: total_bytes is not the sum of the three sections' bytes"
        expect_equal(storage.get("total_bytes"), sum(parts), rule="STORAGE-TOTAL", message=message, exchange=exchange)
    values = sections["channel_values"]
    channels = [c for c in (values.get("by_channel") or {}).values() if isinstance(c, dict)]
    versions, sizes = [_count(c.get("versions")) for c in channels], [_count(c.get("bytes")) for c in channels]
    if None not in versions and None not in sizes:
        shown = {"count": values.get("count"), "bytes": values.get("bytes")}
        wanted = {"count": sum(versions), "bytes": sum(sizes)}
        message = f"{STORAGE}: channel_values' count and bytes are not the sums over its channels"
        expect_equal(shown, wanted, rule="STORAGE-CHANNELS", message=message, exchange=exchange)
    return storage, exchange


def _checkpoints(storage: dict) -> dict:
    return storage.get("checkpoints") if isinstance(storage.get("checkpoints"), dict) else {}


def test_storage_of_a_new_thread_is_empty(api):
    """A thread that has no checkpoint yet (its history is empty) occupies nothing: no checkpoint counted,
    total_bytes 0."""
    thread_id = api.create_thread()["thread_id"]
    history, _ = _history(api, thread_id)
    storage, exchange = _storage(api, thread_id, "STORAGE-CHECKPOINTS")
    shown = {"checkpoints": _checkpoints(storage).get("count"), "total_bytes": storage.get("total_bytes")}
    wanted = {"checkpoints": len(history), "total_bytes": 0}
    message = f"{STORAGE}: a thread without checkpoints occupies storage"
    expect_equal(shown, wanted, rule="STORAGE-CHECKPOINTS", message=message, exchange=exchange)


def test_storage_counts_the_checkpoints_of_each_run(api):
    """After a run, the checkpoints counted are the thread's checkpoints (as many as its history lists) and
    the state's channel (messages) has stored versions; a second run adds checkpoints and bytes."""
    thread_id = api.create_thread()["thread_id"]
    seen = []
    for text in ("stored once", "stored twice"):
        run, _ = api.start_run(thread_id, "agent", human(text), schema=False)
        api.wait_run(thread_id, run["run_id"], schema=False)
        history, _ = _history(api, thread_id, limit=1000)
        storage, exchange = _storage(api, thread_id, "STORAGE-CHECKPOINTS")
        message = f"{STORAGE}: checkpoints.count is not the number of the thread's checkpoints (its history)"
        count = _checkpoints(storage).get("count")
        expect_equal(count, len(history), rule="STORAGE-CHECKPOINTS", message=message, exchange=exchange)
        messages = ((storage.get("channel_values") or {}).get("by_channel") or {}).get("messages") or {}
        stored = (_count(messages.get("versions")) or 0) > 0 and (_count(messages.get("bytes")) or 0) > 0
        message = f"{STORAGE}: the state's messages channel has no stored versions or bytes"
        wanted = {"versions": ">= 1", "bytes": "> 0"}
        expect_true(
            stored, rule="STORAGE-CHANNELS", message=message, expected=wanted, actual=messages, exchange=exchange
        )
        seen.append((storage, exchange))
    (first, _), (second, exchange) = seen
    grew = [
        (_count(after) or 0) > (_count(before) or 0)
        for before, after in (
            (first.get("total_bytes"), second.get("total_bytes")),
            (_checkpoints(first).get("bytes"), _checkpoints(second).get("bytes")),
        )
    ]
    shown = {"total_bytes": [first.get("total_bytes"), second.get("total_bytes")]}
    message = f"{STORAGE}: a second run added no bytes"
    expect_true(
        all(grew), rule="STORAGE-CHECKPOINTS", message=message, expected="more bytes", actual=shown, exchange=exchange
    )


# ------------------------------------------------------------------------------------------- errors
UNKNOWN = {  # case -> (method, path suffix, body, operation)
    "get": ("GET", "", None, "GET /threads/{thread_id}"),
    "patch": ("PATCH", "", {"metadata": {"a": 1}}, "PATCH /threads/{thread_id}"),
    "delete": ("DELETE", "", None, "DELETE /threads/{thread_id}"),
    "storage": ("GET", "/storage", None, STORAGE),
}


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_thread_is_404(api, case):
    """An operation on a thread id that does not exist answers 404 with an ErrorResponse."""
    method, suffix, body, operation = UNKNOWN[case]
    exchange = api.client.request(method, f"/threads/{api.new_id()}{suffix}", json_body=body)
    api.contract.validate(exchange, operation, status=404, rule="THREADS-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


MALFORMED = {
    "patch": ("PATCH", "", {"metadata": {}}, "PATCH /threads/{thread_id}"),
    "delete": ("DELETE", "", None, "DELETE /threads/{thread_id}"),
    "copy": ("POST", "/copy", None, "POST /threads/{thread_id}/copy"),
    "stream": ("GET", "/stream", None, "GET /threads/{thread_id}/stream"),
    "storage": ("GET", "/storage", None, STORAGE),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_thread_id_is_422(api, case):
    """An operation on a thread id that is not a UUID answers 422 with an ErrorResponse."""
    method, suffix, body, operation = MALFORMED[case]
    exchange = api.client.request(method, f"/threads/not-a-uuid{suffix}", json_body=body, timeout=10)
    api.malformed_id_refused(exchange, operation, "THREADS-MALFORMED-ID")


INVALID = {  # case -> (method, path, body, operation); "{id}" is the test's own thread, "{new}" an id no thread has
    "create-metadata": ("POST", "/threads", {"thread_id": "{new}", "metadata": 5}, "POST /threads"),
    "create-if-exists": ("POST", "/threads", {"thread_id": "{new}", "if_exists": "sometimes"}, "POST /threads"),
    "patch-metadata": ("PATCH", "/threads/{id}", {"metadata": [1]}, "PATCH /threads/{thread_id}"),
    "count-status": ("POST", "/threads/count", {"status": "sleeping"}, "POST /threads/count"),
    "prune-no-ids": ("POST", "/threads/prune", {"strategy": "delete"}, "POST /threads/prune"),
    "prune-strategy": ("POST", "/threads/prune", {"thread_ids": ["{id}"], "strategy": "shred"}, "POST /threads/prune"),
}


def _filled(value: Any, names: dict[str, str]) -> Any:
    """``value`` with each placeholder string ("{id}", "{new}") replaced by the id it names."""
    if isinstance(value, dict):
        return {k: _filled(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, names) for v in value]
    if isinstance(value, str):
        for placeholder, thread_id in names.items():
            value = value.replace(placeholder, thread_id)
    return value


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_body_is_422(api, case):
    """A body the schema forbids answers 422 with an ErrorResponse and changes nothing: the test's own thread
    (patched or pruned by some cases) is as it was, and no thread exists under the id a create named."""
    method, path, body, operation = INVALID[case]
    thread = api.create_thread()
    names = {"{id}": thread["thread_id"], "{new}": api.new_id()}
    exchange = api.client.request(method, _filled(path, names), json_body=_filled(body, names))
    api.contract.validate(exchange, operation, status=422, rule="THREADS-VALIDATION")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)
    got = api.client.get(f"/threads/{thread['thread_id']}")
    after = got.json() if got.status == 200 else {}
    shown = (got.status, after.get("metadata"), after.get("updated_at"))
    before = (200, thread["metadata"], thread["updated_at"])
    expect_equal(shown, before, rule="THREADS-VALIDATION", message="a rejected write changed the thread", exchange=got)
    made = api.client.get(f"/threads/{names['{new}']}")
    expect_status(made, 404, rule="THREADS-VALIDATION", message="a rejected create made the thread anyway")

"""Crons (/runs/crons..., /threads/{thread_id}/runs/crons): created as sent, found by every search option,
patched, deleted, and an every-minute cron really fires.

Order, and why: the firing check costs at most the rest of one minute, so its crons are made by a
session fixture (``firing``) requested by a test that runs FIRST in the session, and checked by a test
that runs LAST in the session (flows.run_at; conftest.py moves them): the rest of the session runs while
the minute passes, and the check waits only for what is left of it. Every cron carries the module's tag
in its metadata and every search is scoped by it; each fixture deletes its crons (the session deletes the
tagged threads, and with them the runs the crons made).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from conformance.contract.checks import (
    expect_contains,
    expect_equal,
    expect_ids,
    expect_in,
    expect_order,
    expect_same_instant,
    expect_status,
    expect_true,
)
from conformance.contract.client import Exchange
from conformance.contract.failures import ConformanceFailure
from conformance.plugin import parallel
from conformance.plugin.parallel import shared_once
from conformance.tests.flows import Api, human, run_at

pytestmark = pytest.mark.area("crons")

EVERY_MINUTE = "* * * * *"
FIRE_GRACE = 60.0  # seconds after the scheduled minute for the run to appear (the reference checks every 5 s)
FAR_END = "2099-01-01T00:00:00+00:00"


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


class Crons:
    """Cron operations, each validated against the contract, and the crons made (deleted by cleanup)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.made: list[str] = []

    def create(self, body: dict[str, Any], thread_id: str | None = None) -> tuple[dict, Exchange]:
        path, operation = (
            (f"/threads/{thread_id}/runs/crons", "POST /threads/{thread_id}/runs/crons")
            if thread_id
            else ("/runs/crons", "POST /runs/crons")
        )
        exchange = self.api.client.post(path, json=body)
        cron = self.api.contract.validate(exchange, operation, status=200, rule="CRONS-CREATE")
        # Every later step names the cron by its id: without one the scenario stops here, blocked by it.
        unnamed = f"{operation}: the answer names no cron_id"
        has_id = isinstance(cron, dict) and isinstance(cron.get("cron_id"), str)
        expect_true(has_id, rule="CRONS-CREATE", message=unnamed, actual=cron, exchange=exchange, stop=True)
        self.made.append(cron["cron_id"])
        return cron, exchange

    def get(self, cron_id: str, rule: str = "CRONS-GET") -> tuple[dict, Exchange]:
        exchange = self.api.client.get(f"/runs/crons/{cron_id}")
        return self.api.contract.validate(exchange, "GET /runs/crons/{cron_id}", status=200, rule=rule), exchange

    def search(self, body: dict[str, Any], rule: str) -> tuple[list[dict], Exchange]:
        exchange = self.api.client.post("/runs/crons/search", json=body)
        found = self.api.contract.validate(
            exchange, "POST /runs/crons/search", status=200, rule=rule, selected=body.get("select")
        )
        return found, exchange

    def count(self, body: dict[str, Any]) -> tuple[int, Exchange]:
        exchange = self.api.client.post("/runs/crons/count", json=body)
        return self.api.contract.validate(exchange, "POST /runs/crons/count", status=200, rule="CRONS-COUNT"), exchange

    def cleanup(self) -> None:
        for cron_id in self.made:
            with contextlib.suppress(Exception):
                self.api.client.delete(f"/runs/crons/{cron_id}")


# ------------------------------------------------------------------------------------ firing crons
@dataclass
class Firing:
    tag: dict[str, str]
    input: dict[str, Any]
    threads: dict[str, str] = field(default_factory=dict)  # "enabled" | "disabled" -> thread id
    crons: dict[str, dict] = field(default_factory=dict)  # the Cron answered at creation
    exchanges: dict[str, Exchange] = field(default_factory=dict)  # the creation exchanges


@pytest.fixture(scope="session")
def firing(certification, contract, request):
    """An every-minute cron and a disabled one, each on a thread of its own, made as early as possible.

    Made once per session, whatever the number of xdist workers: the test that checks the firing runs
    last and may run on another worker than the one that made them (conformance/plugin/parallel.py)."""
    crons = Crons(Api.for_session(certification, contract))
    made, here = shared_once(request, "cron-firing", lambda: _make_firing(crons))
    yield made
    if here and not parallel.is_worker(request.config):  # under xdist the session's cleanup deletes them
        crons.cleanup()


def _make_firing(crons: Crons) -> Firing:
    api = crons.api
    made = Firing(tag=api.tag, input=human("tick"))
    # The disabled cron first: a server that wrongly fires it then makes its run before the enabled one's.
    for role, enabled in (("disabled", False), ("enabled", True)):
        thread_id = api.create_thread({"role": f"cron-{role}"})["thread_id"]
        body = {
            "assistant_id": "agent",
            "schedule": EVERY_MINUTE,
            "input": made.input,
            "metadata": {**api.tag, "role": f"firing-{role}"},
            "enabled": enabled,
        }
        made.threads[role] = thread_id
        made.crons[role], made.exchanges[role] = crons.create(body, thread_id=thread_id)
    return made


# ------------------------------------------------------------------------------------------ corpus
@dataclass
class Corpus:
    """Four crons: two on threads, two stateless, on two assistants, one disabled; their schedules make
    next_run_date order differ from creation order."""

    tag: dict[str, str]
    created: list[dict] = field(default_factory=list)  # the Cron answers, in creation order
    sent: list[dict] = field(default_factory=list)  # the bodies sent
    threads: list[str | None] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)  # the creation exchanges

    def ids(self, **where: Any) -> list[str]:
        return [c["cron_id"] for c in self.created if all(c.get(k) == v for k, v in where.items())]


CORPUS = (  # (graph, on a thread?, schedule, enabled, end_time)
    ("agent", True, "0 0 1 3 *", True, None),
    ("steps", False, "0 0 1 1 *", True, FAR_END),
    ("agent", False, "0 0 1 4 *", False, "2098-06-01T12:00:00+00:00"),
    ("steps", True, "0 0 1 2 *", True, None),
)


@pytest.fixture(scope="module")
def corpus(certification, contract):
    api = Api.for_session(certification, contract)
    crons = Crons(api)
    corpus = Corpus(tag=api.tag)
    for n, (graph, on_thread, schedule, enabled, end_time) in enumerate(CORPUS):
        thread_id = api.create_thread({"role": f"cron-{n}"})["thread_id"] if on_thread else None
        body: dict[str, Any] = {
            "assistant_id": graph,
            "schedule": schedule,
            "input": human(f"cron {n}"),
            "metadata": {**api.tag, "n": n},
            "enabled": enabled,
        }
        if end_time:
            body["end_time"] = end_time
        cron, exchange = crons.create(body, thread_id=thread_id)
        corpus.exchanges.append(exchange)
        corpus.created.append(cron)
        corpus.sent.append(body)
        corpus.threads.append(thread_id)
    yield corpus
    crons.cleanup()


@pytest.fixture
def crons(api):
    made = Crons(api)
    yield made
    made.cleanup()


# The fields of a Cron that read back exactly as created (end_time is compared as a moment).
SAME_ON_GET = ("cron_id", "schedule", "thread_id", "assistant_id", "enabled", "metadata", "payload", "created_at")


def _same(name: str) -> Callable[..., bool]:
    """The check that a Cron field reads back as expected: end_time as a moment, every other field exactly."""
    return expect_same_instant if name == "end_time" else expect_equal


def _cron_ids(found: list[dict]) -> list[str]:
    return [c.get("cron_id") for c in found]


# ------------------------------------------------------------------------------------------ create
@run_at("first")
def test_firing_crons_are_made_first(firing):
    """The every-minute cron and its disabled twin are made before anything else, and answer as sent."""
    for role, enabled in (("enabled", True), ("disabled", False)):
        cron, made = firing.crons[role], firing.exchanges[role]
        expect_equal(cron.get("schedule"), EVERY_MINUTE, rule="CRONS-CREATE", exchange=made)
        expect_equal(cron.get("thread_id"), firing.threads[role], rule="CRONS-CREATE", exchange=made)
        expect_equal(cron.get("enabled"), enabled, rule="CRONS-CREATE", exchange=made)


def test_created_crons_answer_what_was_sent(firing, corpus):
    """The Cron answered has the schedule, the assistant, the payload input and metadata sent, and its thread."""
    rows = zip(corpus.created, corpus.sent, corpus.threads, corpus.exchanges, strict=True)
    for cron, body, thread_id, made in rows:
        expect_equal(cron.get("schedule"), body["schedule"], rule="CRONS-CREATE", exchange=made)
        message = "the Cron does not name the thread it was created for (null when stateless)"
        expect_equal(cron.get("thread_id"), thread_id, rule="CRONS-CREATE", message=message, exchange=made)
        expect_equal(cron.get("enabled"), body["enabled"], rule="CRONS-CREATE", exchange=made)
        expect_contains(cron.get("metadata"), body["metadata"], rule="CRONS-CREATE", exchange=made)
        carried, message = (cron.get("payload") or {}).get("input"), "the Cron's payload does not carry the input sent"
        expect_equal(carried, body["input"], rule="CRONS-CREATE", message=message, exchange=made)
        if "end_time" in body:
            sent, message = body["end_time"], "the Cron's end_time is not the one sent"
            expect_same_instant(cron.get("end_time"), sent, rule="CRONS-CREATE", message=message, exchange=made)
    by_graph = {}
    for cron, body in zip(corpus.created, corpus.sent, strict=True):
        by_graph.setdefault(body["assistant_id"], set()).add(cron.get("assistant_id"))
    one_each = all(len(ids) == 1 for ids in by_graph.values()) and len(set().union(*by_graph.values())) == len(by_graph)
    shown = {g: sorted(map(str, ids)) for g, ids in by_graph.items()}
    message = "crons created for the same graph name name different assistants (or two graphs the same one)"
    expect_true(one_each, rule="CRONS-CREATE", message=message, actual=shown, exchange=corpus.exchanges[-1])


def test_get_returns_the_cron(api, corpus):
    """GET /runs/crons/{cron_id} answers the Cron as created: every field, its payload and end_time included."""
    crons = Crons(api)
    for created in corpus.created:
        got, exchange = crons.get(created["cron_id"])
        for name in (*SAME_ON_GET, "end_time"):
            message = f"GET /runs/crons/{{cron_id}}: {name} differs from the created Cron"
            _same(name)(got.get(name), created.get(name), rule="CRONS-GET", message=message, exchange=exchange)


# ------------------------------------------------------------------------------------------ search
def test_search_by_metadata_returns_exactly_the_tagged_crons(api, corpus):
    """metadata: every cron carrying the tag, and only those; one more key narrows it to one."""
    crons = Crons(api)
    found, exchange = crons.search({"metadata": corpus.tag, "limit": 100}, rule="CRONS-SEARCH-METADATA")
    expect_ids(_cron_ids(found), exactly=corpus.ids(), rule="CRONS-SEARCH-METADATA", exchange=exchange)
    found, exchange = crons.search({"metadata": {**corpus.tag, "n": 2}, "limit": 100}, rule="CRONS-SEARCH-METADATA")
    wanted = [corpus.created[2]["cron_id"]]
    expect_ids(_cron_ids(found), exactly=wanted, rule="CRONS-SEARCH-METADATA", exchange=exchange)


def test_search_by_assistant_id_returns_that_assistants_crons(api, corpus):
    """assistant_id: only the crons of that assistant."""
    crons = Crons(api)
    assistant = corpus.created[1]["assistant_id"]
    body = {"metadata": corpus.tag, "assistant_id": assistant, "limit": 100}
    found, exchange = crons.search(body, rule="CRONS-SEARCH-ASSISTANT")
    wanted = corpus.ids(assistant_id=assistant)
    expect_ids(_cron_ids(found), exactly=wanted, rule="CRONS-SEARCH-ASSISTANT", exchange=exchange)


def test_search_by_thread_id_returns_that_threads_cron(api, corpus):
    """thread_id: only the cron of that thread."""
    crons = Crons(api)
    thread_id = corpus.threads[3]
    found, exchange = crons.search(
        {"metadata": corpus.tag, "thread_id": thread_id, "limit": 100}, rule="CRONS-SEARCH-THREAD"
    )
    expect_ids(_cron_ids(found), exactly=corpus.ids(thread_id=thread_id), rule="CRONS-SEARCH-THREAD", exchange=exchange)


@pytest.mark.parametrize("enabled", [True, False])
def test_search_by_enabled(api, corpus, enabled):
    """enabled: only the crons in that state."""
    crons = Crons(api)
    body = {"metadata": corpus.tag, "enabled": enabled, "limit": 100}
    found, exchange = crons.search(body, rule="CRONS-SEARCH-ENABLED")
    expect_ids(_cron_ids(found), exactly=corpus.ids(enabled=enabled), rule="CRONS-SEARCH-ENABLED", exchange=exchange)


SORTS = {  # sort_by -> the corpus indexes in ascending order of that field
    "created_at": [0, 1, 2, 3],
    "next_run_date": [1, 3, 0, 2],  # Jan, Feb, Mar, Apr
}


def _answered(found: list[dict], field_name: str) -> dict[str, object]:
    """Each cron's value of the field the search sorts on, as the server answered it (equal ones are ties)."""
    return {c.get("cron_id"): c.get(field_name) for c in found if isinstance(c, dict)}


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("field_name", list(SORTS))
def test_search_sorts_by_the_field(api, corpus, field_name, order):
    """sort_by x sort_order: the crons come in that field's order."""
    crons = Crons(api)
    body = {"metadata": corpus.tag, "sort_by": field_name, "sort_order": order, "limit": 100}
    found, exchange = crons.search(body, rule="CRONS-SEARCH-SORT")
    wanted = [corpus.created[i]["cron_id"] for i in SORTS[field_name]]
    if order == "desc":
        wanted.reverse()
    message = f"POST /runs/crons/search: sort_by={field_name} sort_order={order} not applied"
    answered = _answered(found, field_name)
    expect_order(
        _cron_ids(found), wanted, sorted_on=answered, rule="CRONS-SEARCH-SORT", message=message, exchange=exchange
    )


def test_search_default_order_is_newest_first(api, corpus):
    """Without sort_by and sort_order, crons come by created_at, newest first (the documented defaults)."""
    found, exchange = Crons(api).search({"metadata": corpus.tag, "limit": 100}, rule="CRONS-SEARCH-SORT")
    wanted = [c["cron_id"] for c in reversed(corpus.created)]
    message = "POST /runs/crons/search: the default order is not created_at desc"
    answered = _answered(found, "created_at")
    expect_order(
        _cron_ids(found), wanted, sorted_on=answered, rule="CRONS-SEARCH-SORT", message=message, exchange=exchange
    )


def test_search_sort_order_alone_applies_to_created_at(api, corpus):
    """sort_order without sort_by orders by the default field, created_at."""
    body = {"metadata": corpus.tag, "sort_order": "asc", "limit": 100}
    found, exchange = Crons(api).search(body, rule="CRONS-SEARCH-SORT")
    wanted = [c["cron_id"] for c in corpus.created]
    message = "POST /runs/crons/search: sort_order asc without sort_by did not give oldest first"
    answered = _answered(found, "created_at")
    expect_order(
        _cron_ids(found), wanted, sorted_on=answered, rule="CRONS-SEARCH-SORT", message=message, exchange=exchange
    )


@pytest.mark.parametrize(("offset", "limit"), [(0, 1), (1, 2), (3, 10), (4, 10)])
def test_search_limit_and_offset_page_the_results(api, corpus, offset, limit):
    """limit and offset: that page of the crons in the requested order."""
    body = {"metadata": corpus.tag, "sort_by": "created_at", "sort_order": "asc", "limit": limit, "offset": offset}
    found, exchange = Crons(api).search(body, rule="CRONS-SEARCH-PAGING")
    wanted = [c["cron_id"] for c in corpus.created][offset : offset + limit]
    message = f"POST /runs/crons/search: limit {limit} offset {offset} not applied"
    expect_equal(_cron_ids(found), wanted, rule="CRONS-SEARCH-PAGING", message=message, exchange=exchange)


SELECTIONS = [["cron_id"], ["cron_id", "schedule", "metadata"], ["thread_id", "next_run_date", "enabled"]]


@pytest.mark.parametrize("select", SELECTIONS, ids=["+".join(s) for s in SELECTIONS])
def test_search_select_returns_exactly_the_selected_fields(api, corpus, select):
    """select: each cron has exactly the selected fields."""
    found, exchange = Crons(api).search({"metadata": corpus.tag, "select": select}, rule="CRONS-SEARCH-SELECT")
    message = "POST /runs/crons/search with select returned the wrong number of crons"
    expect_equal(len(found), len(corpus.created), rule="CRONS-SEARCH-SELECT", message=message, exchange=exchange)
    for cron in found:
        message = "POST /runs/crons/search: select not applied"
        expect_equal(sorted(cron), sorted(select), rule="CRONS-SEARCH-SELECT", message=message, exchange=exchange)


COUNTS = {  # case -> (the criteria, the corpus crons they match, the rule of the search's filter)
    "tag": lambda c: ({"metadata": c.tag}, c.ids(), "CRONS-SEARCH-METADATA"),
    "tag+n": lambda c: ({"metadata": {**c.tag, "n": 1}}, [c.created[1]["cron_id"]], "CRONS-SEARCH-METADATA"),
    "tag+assistant": lambda c: (
        {"metadata": c.tag, "assistant_id": c.created[0]["assistant_id"]},
        c.ids(assistant_id=c.created[0]["assistant_id"]),
        "CRONS-SEARCH-ASSISTANT",
    ),
    "tag+thread": lambda c: (
        {"metadata": c.tag, "thread_id": c.threads[0]},
        c.ids(thread_id=c.threads[0]),
        "CRONS-SEARCH-THREAD",
    ),
}


@pytest.mark.parametrize("case", list(COUNTS))
def test_count_equals_the_search(api, corpus, case):
    """POST /runs/crons/count answers the number of crons the same criteria match: the search finds exactly
    the corpus crons they match, and the count is their number."""
    crons = Crons(api)
    body, wanted, rule = COUNTS[case](corpus)
    found, searched = crons.search({**body, "limit": 1000}, rule="CRONS-COUNT")
    counted, exchange = crons.count(body)
    message = f"POST /runs/crons/count disagrees with the search for {case}"
    expect_equal(counted, len(wanted), rule="CRONS-COUNT", message=message, exchange=exchange)
    expect_ids(_cron_ids(found), exactly=wanted, rule=rule, exchange=searched)


# ------------------------------------------------------------------------------------ patch, delete
PATCHES = {
    "schedule": {"schedule": "0 0 1 5 *"},
    "disable": {"enabled": False},
    "end_time": {"end_time": "2097-03-04T05:06:07+00:00"},
    "clear-end_time": {"end_time": None},
}


# The fields a PATCH that does not send them keeps (end_time compared as a moment, the payload by its input).
KEPT_BY_PATCH = ("schedule", "end_time", "enabled", "metadata", "assistant_id", "thread_id", "input")


def _field(cron: dict, name: str) -> Any:
    return (cron.get("payload") or {}).get("input") if name == "input" else cron.get(name)


@pytest.mark.parametrize("case", list(PATCHES))
def test_patch_is_reflected(api, crons, case):
    """PATCH /runs/crons/{cron_id}: the change shows in the answer and in GET; next_run_date follows a new schedule;
    every field the patch did not send (schedule, end_time, enabled, metadata, assistant, thread, input) is kept."""
    body = {"assistant_id": "agent", "schedule": "0 0 1 1 *", "input": human("patch"), "metadata": api.tag}
    created, _ = crons.create({**body, "end_time": FAR_END})
    change = PATCHES[case]
    exchange = api.client.patch(f"/runs/crons/{created['cron_id']}", json=change)
    patched = api.contract.validate(exchange, "PATCH /runs/crons/{cron_id}", status=200, rule="CRONS-PATCH")
    got, got_exchange = crons.get(created["cron_id"], rule="CRONS-PATCH")
    for shown, where in ((patched, exchange), (got, got_exchange)):
        for name, value in change.items():
            message = f"{where.method} {where.path}: {name} does not show the patch"
            _same(name)(shown.get(name), value, rule="CRONS-PATCH", message=message, exchange=where)
        for name in (n for n in KEPT_BY_PATCH if n not in change):
            message = f"{where.method} {where.path}: {name}, which the patch did not send, changed"
            kept = _field(created, name)
            _same(name)(_field(shown, name), kept, rule="CRONS-PATCH-KEEPS", message=message, exchange=where)
    if case == "schedule":
        month = _when(got["next_run_date"]).month if got.get("next_run_date") else None
        message = "GET /runs/crons/{cron_id}: next_run_date does not follow the new schedule (May 1)"
        expect_equal(month, 5, rule="CRONS-PATCH", message=message, exchange=got_exchange)


def test_delete_then_get_is_404(api, crons):
    """DELETE /runs/crons/{cron_id}, then GET answers 404 and the search no longer finds it."""
    created, _ = crons.create(
        {"assistant_id": "agent", "schedule": "0 0 1 1 *", "input": human("delete"), "metadata": api.tag}
    )
    exchange = api.client.delete(f"/runs/crons/{created['cron_id']}")
    expect_status(exchange, (200, 204), rule="CRONS-DELETE")
    api.contract.validate(exchange, "DELETE /runs/crons/{cron_id}", rule="CRONS-DELETE")
    got = api.client.get(f"/runs/crons/{created['cron_id']}")
    api.contract.validate(got, "GET /runs/crons/{cron_id}", status=404, rule="CRONS-DELETE")
    found, search = Crons(api).search({"metadata": api.tag}, rule="CRONS-DELETE")
    expect_ids(_cron_ids(found), exactly=[], rule="CRONS-DELETE", exchange=search)


# --------------------------------------------------------------------------- firing (runs last of all)
def _runs(api: Api, thread_id: str) -> tuple[list[dict], Exchange]:
    exchange = api.client.get(f"/threads/{thread_id}/runs")
    return api.contract.validate(exchange, "GET /threads/{thread_id}/runs", status=200, rule="CRONS-FIRE"), exchange


def _cron_now(api: Api, cron_id: str | None) -> tuple[dict | None, Exchange]:
    """The cron as the server has it now (None when it does not answer 200 with an object)."""
    exchange = api.client.get(f"/runs/crons/{cron_id}")
    body = None
    with contextlib.suppress(ConformanceFailure):  # evidence only: a body that is not JSON is said as its status
        body = exchange.json() if exchange.status == 200 else None
    return (body if isinstance(body, dict) else None), exchange


def _lost(api: Api, firing: Firing, answer: Exchange) -> bool:
    """A 404 for the every-minute cron means it is gone only if the server reads crons by id at all: the
    disabled cron, made beside it and never deleted either, must still answer 200. On a server without
    GET /runs/crons/{cron_id} the firing is still waited for (that route's own test names it)."""
    other = firing.crons["disabled"].get("cron_id")
    return answer.status == 404 and isinstance(other, str) and _cron_now(api, other)[1].status == 200


@run_at("last")
def test_every_minute_cron_fires_and_a_disabled_one_does_not(api, firing):
    """The every-minute cron made at the start has run on its thread by now (waiting at most until its minute
    plus a grace); the disabled one has not. A cron that is gone before it ran (the suite never deletes it)
    is named as that, at once, not waited for as a cron that does not fire."""
    cron, made = firing.crons["enabled"], firing.exchanges["enabled"]
    first = _when(cron["next_run_date"]) if cron.get("next_run_date") else None
    soon = first is not None and (first - _when(cron["created_at"])).total_seconds() <= 61
    message = "the every-minute cron's next_run_date is not within a minute of its creation"
    expect_true(soon, rule="CRONS-FIRE", message=message, actual=cron.get("next_run_date"), exchange=made)
    deadline = time.monotonic() + max(0.0, ((first or datetime.now(UTC)) - datetime.now(UTC)).total_seconds())
    deadline += FIRE_GRACE
    gone: Exchange | None = None
    readable = isinstance(cron.get("cron_id"), str)  # False once crons turn out not to be read by id here
    while True:
        runs, exchange = _runs(api, firing.threads["enabled"])
        if runs or time.monotonic() >= deadline:
            break
        if readable:
            _, got = _cron_now(api, cron["cron_id"])
            if _lost(api, firing, got):
                gone = got
                break
            readable = got.status != 404
        time.sleep(0.5)  # poll interval, bounded by the deadline above
    if gone is not None:
        _disabled_made_no_run(api, firing)
        lost = "GET /runs/crons/{cron_id}: the every-minute cron is gone before it ran (the suite never deleted it)"
        expect_status(gone, 200, rule="CRONS-GET", message=lost, stop=True)  # its firing: not reached
    message = f"the every-minute cron made no run by {FIRE_GRACE:g} s after its first scheduled minute"
    if runs:
        seen = "a run"
    elif isinstance(cron.get("cron_id"), str):
        now, got = _cron_now(api, cron["cron_id"])
        said = f"next_run_date={now.get('next_run_date')}, enabled={now.get('enabled')}" if now else f"{got.status}"
        seen = f"no run; GET /runs/crons/{{cron_id}} now answers {said}"
    else:
        seen = "no run (the cron has no cron_id to read it by)"
    expect_true(
        runs, rule="CRONS-FIRE", message=message, expected=f"a run after {first}", actual=seen, exchange=exchange
    )
    inputs = [(run.get("kwargs") or {}).get("input") for run in runs]
    message = "no run the cron made carries the cron's input"
    expect_in(firing.input, inputs, rule="CRONS-FIRE", message=message, exchange=exchange)
    _disabled_made_no_run(api, firing)


def _disabled_made_no_run(api: Api, firing: Firing) -> None:
    quiet, exchange = _runs(api, firing.threads["disabled"])
    expect_equal(quiet, [], rule="CRONS-DISABLED", message="a disabled cron made a run", exchange=exchange)

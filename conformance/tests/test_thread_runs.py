"""Background runs, step by step as the guide does them: create a thread, start a run, poll, join,
read the run and the state."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.contract.checks import (
    expect_contains,
    expect_equal,
    expect_ids,
    expect_in,
    expect_status,
    expect_true,
)
from conformance.contract.client import Exchange
from conformance.graphs import ECHO_PREFIX
from conformance.tests.flows import NEW_RUN_STATUSES, RUN_STATUSES, Api, human
from conformance.tests.values import conversation, last_message

pytestmark = pytest.mark.area("thread-runs")

GREETING = "hello"


@dataclass
class EchoRun:
    """One background run of the ``agent`` graph, with every exchange of the guide recorded."""

    thread: dict
    run_input: dict
    created: Exchange
    first_poll: Exchange
    joined: Exchange
    after: Exchange
    state: Exchange
    runs: Exchange

    @property
    def thread_id(self) -> str:
        return self.thread["thread_id"]


@pytest.fixture(scope="module")
def echo_run(certification, contract) -> EchoRun:
    """Walk the guide once; each test below checks one step of it."""
    api = Api.for_session(certification, contract)
    client = api.client
    thread = api.create_thread()
    run_input = human(GREETING)
    created = client.post(f"/threads/{thread['thread_id']}/runs", json={"assistant_id": "agent", "input": run_input})
    run_id = created.json().get("run_id") if created.status == 200 else None
    if not run_id:
        got = contract.validate(created, "POST /threads/{thread_id}/runs", status=200, rule="RUNS-CREATE")
        no_id = "POST /threads/{thread_id}/runs: the answer has no run_id"
        expect_true(False, rule="RUNS-CREATE", message=no_id, actual=got, exchange=created, stop=True)
    first_poll = client.get(f"/threads/{thread['thread_id']}/runs/{run_id}")
    joined = client.get(f"/threads/{thread['thread_id']}/runs/{run_id}/join")
    after = client.get(f"/threads/{thread['thread_id']}/runs/{run_id}")
    state = client.get(f"/threads/{thread['thread_id']}/state")
    runs = client.get(f"/threads/{thread['thread_id']}/runs")
    return EchoRun(thread, run_input, created, first_poll, joined, after, state, runs)


def test_new_thread_has_the_documented_fields(api):
    """POST /threads returns thread_id, timestamps, the metadata sent, status idle, config and values."""
    metadata = {"purpose": "background-run"}
    exchange = api.client.post("/threads", json={"metadata": {**api.tag, **metadata}})
    thread = api.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-CREATE")
    api.cert.track_thread(thread.get("thread_id", ""))
    for key in ("thread_id", "created_at", "updated_at", "metadata", "status"):
        lacks = f"POST /threads: the new thread lacks {key!r}"
        expect_contains(sorted(thread), key, rule="THREADS-CREATE-FIELDS", message=lacks, exchange=exchange)
    for key in ("config", "values"):  # not in Thread.required: the official server's answer carries them
        lacks = f"POST /threads: the new thread lacks {key!r}"
        expect_contains(sorted(thread), key, rule="THREADS-CREATE-KEYS", message=lacks, exchange=exchange)
    not_idle = "POST /threads: a new thread is not idle"
    expect_equal(thread["status"], "idle", rule="THREADS-CREATE-FIELDS", message=not_idle, exchange=exchange)
    # Containment, not equality: servers may add keys of their own (the reference adds graph_id and
    # assistant_id once a run starts), but every key sent must come back with its value.
    sent, changed = {**api.tag, **metadata}, "POST /threads: the metadata sent does not come back as sent"
    expect_contains(thread["metadata"], sent, rule="THREADS-CREATE-FIELDS", message=changed, exchange=exchange)
    has_values = "POST /threads: a new thread already has state values"
    expect_in(thread.get("values"), (None, {}), rule="THREADS-CREATE-FIELDS", message=has_values, exchange=exchange)
    fetched, got = api.get_thread(thread["thread_id"])
    moved = "GET /threads/{thread_id}: created_at differs from the one POST /threads returned"
    expect_equal(fetched["created_at"], thread["created_at"], rule="THREADS-GET", message=moved, exchange=got)


def test_new_thread_has_no_runs(api):
    """GET /threads/{thread_id}/runs on a thread without runs is an empty list."""
    thread = api.create_thread()
    exchange = api.client.get(f"/threads/{thread['thread_id']}/runs")
    runs = api.contract.validate(exchange, "GET /threads/{thread_id}/runs", status=200, rule="RUNS-LIST")
    listed = "GET /threads/{thread_id}/runs: a new thread already lists runs"
    expect_equal(runs, [], rule="RUNS-LIST", message=listed, exchange=exchange)


def test_created_run_belongs_to_the_thread(echo_run, contract):
    """POST /threads/{thread_id}/runs answers with a run of that thread, pending or later."""
    run = contract.validate(echo_run.created, "POST /threads/{thread_id}/runs", status=200, rule="RUNS-CREATE")
    created = echo_run.created
    other_thread = "POST /threads/{thread_id}/runs: the run names another thread"
    expect_equal(run["thread_id"], echo_run.thread_id, rule="RUNS-CREATE", message=other_thread, exchange=created)
    unknown = f"POST /threads/{{thread_id}}/runs: unknown run status {run['status']!r}"
    expect_in(run["status"], RUN_STATUSES, rule="RUNS-STATUS-VALUES", message=unknown, exchange=created)
    cannot = "POST /threads/{thread_id}/runs: a new run of the echo graph is in a state it cannot be in"
    expect_in(run["status"], NEW_RUN_STATUSES, rule="RUNS-CREATE", message=cannot, exchange=created)


def test_first_poll_shows_a_legal_status(echo_run, contract):
    """GET .../runs/{run_id} right after creation shows pending or a later legal status."""
    run = contract.validate(echo_run.first_poll, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    cannot = "GET /threads/{thread_id}/runs/{run_id}: the first poll shows a status the run cannot have"
    expect_in(run["status"], NEW_RUN_STATUSES, rule="RUNS-STATUS-VALUES", message=cannot, exchange=echo_run.first_poll)


def test_join_returns_the_final_values(echo_run, contract):
    """GET .../join waits for the run to finish and returns the thread's final values."""
    values = contract.validate(
        echo_run.joined, "GET /threads/{thread_id}/runs/{run_id}/join", status=200, rule="RUNS-JOIN"
    )
    echo = {"type": "ai", "content": f"{ECHO_PREFIX}{GREETING}"}
    early = "GET .../join returned before the run's final values existed"
    expect_contains(last_message(values), echo, rule="RUNS-JOIN", message=early, exchange=echo_run.joined)


def test_run_after_join_is_success_with_its_inputs(echo_run, contract, target):
    """After join, the run is success, with its thread, its assistant, its input and multitask strategy."""
    run = contract.validate(echo_run.after, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    after = echo_run.after
    early = "GET .../runs/{run_id} after join: the run is not finished, so join answered early"
    expect_equal(run["status"], "success", rule="RUNS-JOIN", message=early, exchange=after)
    other_thread = "the run names another thread"
    expect_equal(run["thread_id"], echo_run.thread_id, rule="RUNS-GET", message=other_thread, exchange=after)
    agent, other_assistant = target.assistants["agent"], "the run does not name the assistant it was started with"
    expect_in(run["assistant_id"], (agent, "agent"), rule="RUNS-GET", message=other_assistant, exchange=after)
    kwargs, other_input = run.get("kwargs") or {}, "the run's kwargs.input is not the input sent"
    expect_equal(kwargs.get("input"), echo_run.run_input, rule="RUNS-GET", message=other_input, exchange=after)
    default = contract.document["components"]["schemas"]["RunCreateStateful"]["properties"]["multitask_strategy"][
        "default"
    ]
    not_default = "the run's multitask_strategy is not the documented default"
    expect_equal(run.get("multitask_strategy"), default, rule="RUNS-GET", message=not_default, exchange=after)


def test_state_after_run_ends_with_the_echo(echo_run, contract):
    """The thread state after the run holds the human message, then the echo as the last message."""
    state = contract.validate(echo_run.state, "GET /threads/{thread_id}/state", status=200, rule="STATE-GET")
    kinds, expected = conversation(state.get("values")), [("human", GREETING), ("ai", f"{ECHO_PREFIX}{GREETING}")]
    lost = "the state after the run does not hold the conversation"
    expect_equal(kinds, expected, rule="STATE-AFTER-RUN", message=lost, exchange=echo_run.state)


def test_runs_list_holds_exactly_that_run(echo_run, contract):
    """GET /threads/{thread_id}/runs lists the one run created on the thread, finished."""
    runs = contract.validate(echo_run.runs, "GET /threads/{thread_id}/runs", status=200, rule="RUNS-LIST")
    run_id = echo_run.created.json()["run_id"]
    listed = [r.get("run_id") for r in runs]
    not_exactly = "GET /threads/{thread_id}/runs does not list exactly the run created"
    expect_equal(listed, [run_id], rule="RUNS-LIST", message=not_exactly, exchange=echo_run.runs)
    not_final = "the listed run does not show its final status"
    expect_equal(runs[0].get("status"), "success", rule="RUNS-LIST", message=not_final, exchange=echo_run.runs)


def test_polling_reaches_success(api):
    """Without join, polling GET .../runs/{run_id} sees the run reach success within the run timeout."""
    thread = api.create_thread()
    run, _ = api.start_run(thread["thread_id"], "agent", human("poll me"))
    final = api.wait_run(thread["thread_id"], run["run_id"])
    expect_equal(final["status"], "success", rule="RUNS-LIFECYCLE", message="the echo run did not end in success")
    after, exchange = api.get_thread(thread["thread_id"])
    not_idle = "the thread is not idle after its run succeeded"
    expect_equal(after["status"], "idle", rule="THREAD-STATUS-IDLE", message=not_idle, exchange=exchange)
    last = last_message(after.get("values")).get("content")
    no_echo = "GET /threads/{thread_id}: values do not end with the echo after the run"
    expect_equal(last, f"{ECHO_PREFIX}poll me", rule="STATE-AFTER-RUN", message=no_echo, exchange=exchange)


def test_unknown_run_is_404(api):
    """GET .../runs/{run_id} for a run that does not exist answers 404 with an error body."""
    thread = api.create_thread()
    exchange = api.client.get(f"/threads/{thread['thread_id']}/runs/{api.new_id()}")
    api.contract.validate(exchange, "GET /threads/{thread_id}/runs/{run_id}", status=404, rule="RUNS-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


# ------------------------------------------------------------------------- the runs list's options
LIST = "GET /threads/{thread_id}/runs"


@dataclass
class ManyRuns:
    """Eleven finished runs on one thread, oldest first: one error (the second), ten successes."""

    thread_id: str
    run_ids: list[str]  # in creation order

    @property
    def newest_first(self) -> list[str]:
        return self.run_ids[::-1]

    @property
    def failed(self) -> str:
        return self.run_ids[1]


@pytest.fixture(scope="module")
def many_runs(certification, contract) -> ManyRuns:
    """More runs than the default limit, created one after the other (enqueued: each runs when the one
    before has finished), so that their order is certain and the status filter has both kinds to tell apart."""
    api = Api.for_session(certification, contract)
    thread_id = api.create_thread()["thread_id"]
    run_ids = []
    for n in range(11):
        graph = "fail" if n == 1 else "agent"
        run, _ = api.start_run(thread_id, graph, human(f"run {n}"), schema=False, multitask_strategy="enqueue")
        run_ids.append(run["run_id"])
    for run_id in run_ids:
        api.wait_run(thread_id, run_id, schema=False)
    return ManyRuns(thread_id, run_ids)


def _list_runs(api: Api, many: ManyRuns, rule: str, **params) -> tuple[list[dict], Exchange]:
    """The list as answered; its schema is checked after the option (_schema), so that a server whose runs
    lack a field still shows whether it applies the option (the schema has its own failure, then)."""
    exchange = api.client.get(f"/threads/{many.thread_id}/runs", params=params or None)
    expect_status(exchange, 200, rule=rule)
    runs = exchange.json()
    is_list = isinstance(runs, list) and all(isinstance(r, dict) for r in runs)
    not_list, wanted, excerpt = f"{LIST}: not a list of runs", "a list of Run objects", exchange.body_excerpt(200)
    expect_true(is_list, rule=rule, message=not_list, expected=wanted, actual=excerpt, exchange=exchange)
    return runs, exchange


def _schema(api: Api, exchange: Exchange, rule: str, select: list[str] | None = None) -> None:
    api.contract.validate(exchange, LIST, status=200, rule=rule, selected=select)


def _whole_list(api: Api, many: ManyRuns) -> tuple[list[str], Exchange]:
    """The thread's every run in the server's own order, checked to be exactly the runs the fixture made:
    limits and offsets are judged against it, so they are proven applied whatever order the server keeps."""
    runs, exchange = _list_runs(api, many, "RUNS-LIST", limit=100)
    ids = [r.get("run_id") for r in runs]
    cut = set(ids) < set(many.newest_first)  # fewer than asked for: limit=100 was not applied
    rule = "RUNS-LIST-PAGING" if cut else "RUNS-LIST"
    expect_ids(ids, exactly=many.newest_first, rule=rule, exchange=exchange, stop=True)
    return ids, exchange


def test_runs_list_default_is_the_newest_10(api, many_runs):
    """Without limit, GET .../runs answers the first 10 runs of its list (default limit 10); the official
    server lists newest first (reference-compatible: the document names no order)."""
    whole, listed = _whole_list(api, many_runs)
    order, not_newest = "RUNS-LIST-ORDER", f"{LIST}: the runs are not listed newest first"
    expect_equal(whole, many_runs.newest_first, rule=order, message=not_newest, exchange=listed)
    runs, exchange = _list_runs(api, many_runs, "RUNS-LIST-PAGING")
    expect_equal([r.get("run_id") for r in runs], whole[:10], rule="RUNS-LIST-PAGING", exchange=exchange)
    _schema(api, exchange, "RUNS-LIST-PAGING")


@pytest.mark.parametrize("limit,offset", [(2, 0), (3, 9)], ids=["limit-2", "limit-3-offset-9"])
def test_runs_list_limit_and_offset_page_through(api, many_runs, limit, offset):
    """limit and offset cut pages from the list, in its own order."""
    whole, _ = _whole_list(api, many_runs)
    runs, exchange = _list_runs(api, many_runs, "RUNS-LIST-PAGING", limit=limit, offset=offset)
    page = whole[offset : offset + limit]
    expect_equal([r.get("run_id") for r in runs], page, rule="RUNS-LIST-PAGING", exchange=exchange)
    _schema(api, exchange, "RUNS-LIST-PAGING")


@pytest.mark.parametrize("status", ["error", "success"])
def test_runs_list_status_filter_applies(api, many_runs, status):
    """status returns exactly the thread's runs in that status."""
    runs, exchange = _list_runs(api, many_runs, "RUNS-LIST-STATUS", status=status, limit=100)
    wanted = [many_runs.failed] if status == "error" else [i for i in many_runs.newest_first if i != many_runs.failed]
    expect_ids([r.get("run_id") for r in runs], exactly=wanted, rule="RUNS-LIST-STATUS", exchange=exchange)
    _schema(api, exchange, "RUNS-LIST-STATUS")


def test_runs_list_select_returns_exactly_those_fields(api, many_runs):
    """select=run_id&select=status answers each run with those two fields only."""
    runs, exchange = _list_runs(api, many_runs, "RUNS-LIST-SELECT", select=["run_id", "status"], limit=3)
    expect_equal([sorted(r) for r in runs], [["run_id", "status"]] * 3, rule="RUNS-LIST-SELECT", exchange=exchange)
    _schema(api, exchange, "RUNS-LIST-SELECT", ["run_id", "status"])

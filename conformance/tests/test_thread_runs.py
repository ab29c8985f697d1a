"""Background runs, step by step as the guide does them: create a thread, start a run, poll, join,
read the run and the state."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.contract.checks import expect, expect_equal, expect_ids, expect_status
from conformance.contract.client import ApiClient, Exchange
from conformance.graphs import ECHO_PREFIX
from conformance.tests.flows import RUN_STATUSES, Api, human

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
    client = ApiClient(certification.http, certification.secret_headers)
    api = Api(client, contract, certification, certification.tag())
    thread = api.create_thread()
    run_input = human(GREETING)
    created = client.post(f"/threads/{thread['thread_id']}/runs", json={"assistant_id": "agent", "input": run_input})
    run_id = created.json().get("run_id") if created.status == 200 else None
    if not run_id:
        contract.validate(created, "POST /threads/{thread_id}/runs", status=200, rule="RUNS-CREATE")
        expect(
            False,
            "RUNS-CREATE",
            "POST /threads/{thread_id}/runs: the answer has no run_id",
            expected="a run_id",
            actual=created.json(),
            exchange=created,
            stop=True,
        )
    first_poll = client.get(f"/threads/{thread['thread_id']}/runs/{run_id}")
    joined = client.get(f"/threads/{thread['thread_id']}/runs/{run_id}/join")
    after = client.get(f"/threads/{thread['thread_id']}/runs/{run_id}")
    state = client.get(f"/threads/{thread['thread_id']}/state")
    runs = client.get(f"/threads/{thread['thread_id']}/runs")
    return EchoRun(thread, run_input, created, first_poll, joined, after, state, runs)


def _last_message(values: object) -> dict:
    messages = values.get("messages") if isinstance(values, dict) else None
    return messages[-1] if isinstance(messages, list) and messages and isinstance(messages[-1], dict) else {}


def test_new_thread_has_the_documented_fields(api):
    """POST /threads returns thread_id, timestamps, the metadata sent, status idle, config and values."""
    metadata = {"purpose": "background-run"}
    exchange = api.client.post("/threads", json={"metadata": {**api.tag, **metadata}})
    thread = api.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-CREATE")
    api.cert.track_thread(thread.get("thread_id", ""))
    for key in ("thread_id", "created_at", "updated_at", "metadata", "status", "config", "values"):
        expect(
            key in thread,
            "THREADS-CREATE-FIELDS",
            f"POST /threads: the new thread lacks {key!r}",
            expected=key,
            actual=sorted(thread),
            exchange=exchange,
        )
    expect(
        thread["status"] == "idle",
        "THREADS-CREATE-FIELDS",
        "POST /threads: a new thread is not idle",
        expected="idle",
        actual=thread["status"],
        exchange=exchange,
    )
    # Containment, not equality: servers may add keys of their own (the reference adds graph_id and
    # assistant_id once a run starts), but every key sent must come back with its value.
    sent = {**api.tag, **metadata}
    kept = {k: v for k, v in (thread["metadata"] or {}).items() if k in sent}
    expect(
        kept == sent,
        "THREADS-CREATE-FIELDS",
        "POST /threads: the metadata sent does not come back as sent",
        expected={**api.tag, **metadata},
        actual=thread["metadata"],
        exchange=exchange,
    )
    expect(
        thread["values"] in (None, {}),
        "THREADS-CREATE-FIELDS",
        "POST /threads: a new thread already has state values",
        expected="null or {}",
        actual=thread["values"],
        exchange=exchange,
    )
    fetched, fetched_exchange = api.get_thread(thread["thread_id"])
    expect(
        fetched["created_at"] == thread["created_at"],
        "THREADS-GET",
        "GET /threads/{thread_id}: created_at differs from the one POST /threads returned",
        expected=thread["created_at"],
        actual=fetched["created_at"],
        exchange=fetched_exchange,
    )


def test_new_thread_has_no_runs(api):
    """GET /threads/{thread_id}/runs on a thread without runs is an empty list."""
    thread = api.create_thread()
    exchange = api.client.get(f"/threads/{thread['thread_id']}/runs")
    runs = api.contract.validate(exchange, "GET /threads/{thread_id}/runs", status=200, rule="RUNS-LIST")
    expect(
        runs == [],
        "RUNS-LIST",
        "GET /threads/{thread_id}/runs: a new thread already lists runs",
        expected=[],
        actual=runs,
        exchange=exchange,
    )


def test_created_run_belongs_to_the_thread(echo_run, contract):
    """POST /threads/{thread_id}/runs answers with a run of that thread, pending or later."""
    run = contract.validate(echo_run.created, "POST /threads/{thread_id}/runs", status=200, rule="RUNS-CREATE")
    expect(
        run["thread_id"] == echo_run.thread_id,
        "RUNS-CREATE",
        "POST /threads/{thread_id}/runs: the run names another thread",
        expected=echo_run.thread_id,
        actual=run["thread_id"],
        exchange=echo_run.created,
    )
    expect(
        run["status"] in RUN_STATUSES,
        "RUNS-STATUS-VALUES",
        f"POST /threads/{{thread_id}}/runs: unknown run status {run['status']!r}",
        expected=" | ".join(RUN_STATUSES),
        actual=run["status"],
        exchange=echo_run.created,
    )
    expect(
        run["status"] in ("pending", "running", "success"),
        "RUNS-CREATE",
        "POST /threads/{thread_id}/runs: a new run of the echo graph is in a state it cannot be in",
        expected="pending (or running/success)",
        actual=run["status"],
        exchange=echo_run.created,
    )


def test_first_poll_shows_a_legal_status(echo_run, contract):
    """GET .../runs/{run_id} right after creation shows pending or a later legal status."""
    run = contract.validate(echo_run.first_poll, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    expect(
        run["status"] in ("pending", "running", "success"),
        "RUNS-STATUS-VALUES",
        "GET /threads/{thread_id}/runs/{run_id}: the first poll shows a status the run cannot have",
        expected="pending | running | success",
        actual=run["status"],
        exchange=echo_run.first_poll,
    )


def test_join_returns_the_final_values(echo_run, contract):
    """GET .../join waits for the run to finish and returns the thread's final values."""
    values = contract.validate(
        echo_run.joined, "GET /threads/{thread_id}/runs/{run_id}/join", status=200, rule="RUNS-JOIN"
    )
    last = _last_message(values)
    expect(
        last.get("content") == f"{ECHO_PREFIX}{GREETING}" and last.get("type") == "ai",
        "RUNS-JOIN",
        "GET .../join returned before the run's final values existed",
        expected=f"the AI echo {ECHO_PREFIX}{GREETING!s} as the last message",
        actual=last or values,
        exchange=echo_run.joined,
    )


def test_run_after_join_is_success_with_its_inputs(echo_run, contract, target):
    """After join, the run is success, with its thread, its assistant, its input and multitask strategy."""
    run = contract.validate(echo_run.after, "GET /threads/{thread_id}/runs/{run_id}", status=200, rule="RUNS-GET")
    expect(
        run["status"] == "success",
        "RUNS-JOIN",
        "GET .../runs/{run_id} after join: the run is not finished, so join answered early",
        expected="success",
        actual=run["status"],
        exchange=echo_run.after,
    )
    expect(
        run["thread_id"] == echo_run.thread_id,
        "RUNS-GET",
        "the run names another thread",
        expected=echo_run.thread_id,
        actual=run["thread_id"],
        exchange=echo_run.after,
    )
    expect(
        run["assistant_id"] in (target.assistants["agent"], "agent"),
        "RUNS-GET",
        "the run does not name the assistant it was started with",
        expected=f"{target.assistants['agent']} (the agent graph's assistant)",
        actual=run["assistant_id"],
        exchange=echo_run.after,
    )
    kwargs = run.get("kwargs") or {}
    expect(
        kwargs.get("input") == echo_run.run_input,
        "RUNS-GET",
        "the run's kwargs.input is not the input sent",
        expected=echo_run.run_input,
        actual=kwargs.get("input"),
        exchange=echo_run.after,
    )
    default = contract.document["components"]["schemas"]["RunCreateStateful"]["properties"]["multitask_strategy"][
        "default"
    ]
    expect(
        run.get("multitask_strategy") == default,
        "RUNS-GET",
        "the run's multitask_strategy is not the documented default",
        expected=default,
        actual=run.get("multitask_strategy"),
        exchange=echo_run.after,
    )


def test_state_after_run_ends_with_the_echo(echo_run, contract):
    """The thread state after the run holds the human message, then the echo as the last message."""
    state = contract.validate(echo_run.state, "GET /threads/{thread_id}/state", status=200, rule="STATE-GET")
    messages = (state.get("values") or {}).get("messages") if isinstance(state.get("values"), dict) else None
    kinds = [(m.get("type"), m.get("content")) for m in messages or [] if isinstance(m, dict)]
    expected = [("human", GREETING), ("ai", f"{ECHO_PREFIX}{GREETING}")]
    expect(
        kinds == expected,
        "STATE-AFTER-RUN",
        "the state after the run does not hold the conversation",
        expected=expected,
        actual=kinds or state.get("values"),
        exchange=echo_run.state,
    )


def test_runs_list_holds_exactly_that_run(echo_run, contract):
    """GET /threads/{thread_id}/runs lists the one run created on the thread, finished."""
    runs = contract.validate(echo_run.runs, "GET /threads/{thread_id}/runs", status=200, rule="RUNS-LIST")
    run_id = echo_run.created.json()["run_id"]
    expect(
        [r.get("run_id") for r in runs] == [run_id],
        "RUNS-LIST",
        "GET /threads/{thread_id}/runs does not list exactly the run created",
        expected=[run_id],
        actual=[r.get("run_id") for r in runs],
        exchange=echo_run.runs,
    )
    expect(
        runs[0].get("status") == "success",
        "RUNS-LIST",
        "the listed run does not show its final status",
        expected="success",
        actual=runs[0].get("status"),
        exchange=echo_run.runs,
    )


def test_polling_reaches_success(api):
    """Without join, polling GET .../runs/{run_id} sees the run reach success within the run timeout."""
    thread = api.create_thread()
    run, _ = api.start_run(thread["thread_id"], "agent", human("poll me"))
    final = api.wait_run(thread["thread_id"], run["run_id"])
    expect(
        final["status"] == "success",
        "RUNS-LIFECYCLE",
        "the echo run did not end in success",
        expected="success",
        actual=final["status"],
    )
    after, exchange = api.get_thread(thread["thread_id"])
    expect(
        after["status"] == "idle",
        "THREAD-STATUS-IDLE",
        "the thread is not idle after its run succeeded",
        expected="idle",
        actual=after["status"],
        exchange=exchange,
    )
    last = _last_message(after.get("values"))
    expect(
        last.get("content") == f"{ECHO_PREFIX}poll me",
        "STATE-AFTER-RUN",
        "GET /threads/{thread_id}: values do not end with the echo after the run",
        expected="echo: poll me",
        actual=last or after.get("values"),
        exchange=exchange,
    )


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
    api = Api(ApiClient(certification.http, certification.secret_headers), contract, certification, certification.tag())
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
    expect(isinstance(runs, list) and all(isinstance(r, dict) for r in runs), rule, f"{LIST}: not a list of runs",
           expected="a list of Run objects", actual=exchange.body_excerpt(200), exchange=exchange)  # fmt: skip
    return runs, exchange


def _schema(api: Api, exchange: Exchange, rule: str, select: list[str] | None = None) -> None:
    api.contract.validate(exchange, LIST, status=200, rule=rule, selected=select)


def test_runs_list_default_is_the_newest_10(api, many_runs):
    """Without limit, GET .../runs answers the 10 newest runs, newest first (default limit 10)."""
    runs, exchange = _list_runs(api, many_runs, "RUNS-LIST-PAGING")
    expect_equal([r.get("run_id") for r in runs], many_runs.newest_first[:10], rule="RUNS-LIST-PAGING",
                 exchange=exchange)  # fmt: skip
    _schema(api, exchange, "RUNS-LIST-PAGING")


@pytest.mark.parametrize("limit,offset", [(2, 0), (3, 9)], ids=["limit-2", "limit-3-offset-9"])
def test_runs_list_limit_and_offset_page_through(api, many_runs, limit, offset):
    """limit and offset cut pages from the newest-first list."""
    runs, exchange = _list_runs(api, many_runs, "RUNS-LIST-PAGING", limit=limit, offset=offset)
    expect_equal([r.get("run_id") for r in runs], many_runs.newest_first[offset : offset + limit],
                 rule="RUNS-LIST-PAGING", exchange=exchange)  # fmt: skip
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

"""GET and POST /threads/{thread_id}/history: newest first, parent links, growth per run, limit, before,
and the metadata and checkpoint filters."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conformance.contract.checks import expect_equal, expect_true
from conformance.contract.client import Exchange
from conformance.graphs import STEP_NODES
from conformance.tests.flows import Api, human

pytestmark = pytest.mark.area("thread-history")

GET = "GET /threads/{thread_id}/history"
POST = "POST /threads/{thread_id}/history"
AGENT_RUN_CHECKPOINTS = 3  # the input, the start step, the echo step
STEPS_RUN_CHECKPOINTS = 2 + len(STEP_NODES)
LONG_SUPERSTEPS = 12  # more than the documented default limit of GET (10)


@dataclass
class Histories:
    two_runs: str = ""  # agent, two runs ("one", "two")
    steps: str = ""  # steps, one run
    long: str = ""  # created with LONG_SUPERSTEPS supersteps
    lengths: list[int] = field(default_factory=list)  # history length of two_runs: before, after run 1, run 2
    last: Exchange | None = None  # the history read after the last run


def _history_post(api: Api, thread_id: str, body: dict, rule: str = "HISTORY-GET") -> tuple[list[dict], Exchange]:
    exchange = api.client.post(f"/threads/{thread_id}/history", json=body)
    return api.contract.validate(exchange, POST, status=200, rule=rule), exchange


def _history_get(api: Api, thread_id: str, rule: str = "HISTORY-GET", **params) -> tuple[list[dict], Exchange]:
    exchange = api.client.get(f"/threads/{thread_id}/history", params=params or None)
    return api.contract.validate(exchange, GET, status=200, rule=rule), exchange


@pytest.fixture(scope="module")
def histories(certification, contract) -> Histories:
    api = Api.for_session(certification, contract)
    made = Histories()
    made.two_runs = api.create_thread({"role": "two-runs"})["thread_id"]
    made.steps = api.create_thread({"role": "steps"})["thread_id"]
    supersteps = [
        {"updates": [{"values": {"messages": [{"role": "human", "content": f"s{i}"}]}, "as_node": "echo"}]}
        for i in range(LONG_SUPERSTEPS)
    ]
    body = {"metadata": {**api.tag, "graph_id": "agent"}, "supersteps": supersteps}
    exchange = api.client.post("/threads", json=body)
    long = api.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-CREATE-SUPERSTEPS")
    made.long = long["thread_id"]
    certification.track_thread(made.long)
    made.lengths.append(len(_history_post(api, made.two_runs, {"limit": 100})[0]))
    steps_run, _ = api.start_run(made.steps, "steps", human("go"), schema=False)
    for text in ("one", "two"):
        run, _ = api.start_run(made.two_runs, "agent", human(text), schema=False)
        api.wait_run(made.two_runs, run["run_id"], schema=False)
        history, made.last = _history_post(api, made.two_runs, {"limit": 100})
        made.lengths.append(len(history))
    api.wait_run(made.steps, steps_run["run_id"], schema=False)
    return made


def _ids(history: list[dict]) -> list[str]:
    return [(entry.get("checkpoint") or {}).get("checkpoint_id") for entry in history]


def _full(api: Api, thread_id: str) -> list[dict]:
    return _history_post(api, thread_id, {"limit": 100})[0]


def _longer_than(api: Api, thread_id: str, length: int, rule: str, made: str) -> list[str]:
    """The thread's whole history, checked to hold more than ``length`` entries before a limit is judged on
    it: a limit is not proven applied on a history it cannot cut. Shorter, the fixture's own step was not
    honoured (``rule``), and the test stops there, blocked by that deviation, never a pass."""
    history, exchange = _history_post(api, thread_id, {"limit": 100})
    short = f"{made}: its history holds {len(history)} entries, so a limit of {length} cannot be judged on it"
    expect_true(len(history) > length, rule=rule, message=short, actual=len(history), exchange=exchange, stop=True)
    return _ids(history)


# ------------------------------------------------------------------------------------ order, growth
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_history_is_newest_first_and_parents_chain(api, histories, method):
    """Newest first (the first entry is the current state); each entry's parent is the next entry."""
    thread_id = histories.two_runs
    if method == "GET":
        history, exchange = _history_get(api, thread_id, rule="HISTORY-ORDER", limit=100)
    else:
        history, exchange = _history_post(api, thread_id, {"limit": 100}, rule="HISTORY-ORDER")
    state = api.client.get(f"/threads/{thread_id}/state")
    current = api.contract.validate(state, "GET /threads/{thread_id}/state", status=200, rule="STATE-GET")
    now = (current.get("checkpoint") or {}).get("checkpoint_id")
    not_first = "the first history entry is not the thread's current checkpoint"
    expect_equal(_ids(history)[:1], [now], rule="HISTORY-ORDER", message=not_first, exchange=exchange)
    parents = [(entry.get("parent_checkpoint") or {}).get("checkpoint_id") for entry in history]
    expect_equal(parents, [*_ids(history)[1:], None], rule="HISTORY-ORDER", exchange=exchange)
    steps = [(entry.get("metadata") or {}).get("step") for entry in history]
    expect_equal(steps, sorted(steps, reverse=True), rule="HISTORY-ORDER", exchange=exchange)


def test_history_grows_by_the_steps_each_run_took(api, histories):
    """Each run of the agent graph adds its checkpoints: the input, the start step and the echo step."""
    wanted = [0, AGENT_RUN_CHECKPOINTS, 2 * AGENT_RUN_CHECKPOINTS]
    expect_equal(histories.lengths, wanted, rule="HISTORY-GROWS", exchange=histories.last)


def test_history_of_a_run_names_each_node(api, histories):
    """A run of the steps graph adds one checkpoint per step, and their next nodes follow the graph."""
    history, exchange = _history_post(api, histories.steps, {"limit": 100}, rule="HISTORY-GROWS")
    nexts = [entry.get("next") for entry in reversed(history)]
    wanted = [["__start__"], *([n] for n in STEP_NODES), []]
    expect_equal(len(history), STEPS_RUN_CHECKPOINTS, rule="HISTORY-GROWS", exchange=exchange)
    expect_equal(nexts, wanted, rule="HISTORY-GROWS", exchange=exchange)


# -------------------------------------------------------------------------------------------- limit
@pytest.mark.parametrize("limit", [1, 2, 4])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_limit_returns_the_newest_entries(api, histories, method, limit):
    """limit caps the history at that many entries, the newest ones."""
    full = _longer_than(api, histories.two_runs, limit, "HISTORY-GROWS", "the thread after two runs")
    if method == "GET":
        history, exchange = _history_get(api, histories.two_runs, rule="HISTORY-LIMIT", limit=limit)
    else:
        history, exchange = _history_post(api, histories.two_runs, {"limit": limit}, rule="HISTORY-LIMIT")
    expect_equal(_ids(history), full[:limit], rule="HISTORY-LIMIT", exchange=exchange)


def test_get_without_limit_returns_up_to_10(api, histories):
    """GET history without limit returns the documented default of 10 entries."""
    made = f"the thread created with {LONG_SUPERSTEPS} supersteps"
    full = _longer_than(api, histories.long, 10, "THREADS-CREATE-SUPERSTEPS", made)
    history, exchange = _history_get(api, histories.long, rule="HISTORY-LIMIT")
    expect_equal(_ids(history), full[:10], rule="HISTORY-LIMIT", exchange=exchange)


def test_post_without_limit_returns_1(api, histories):
    """POST history without limit returns the documented default of 1 entry (ThreadStateSearch.limit)."""
    made = f"the thread created with {LONG_SUPERSTEPS} supersteps"
    full = _longer_than(api, histories.long, 1, "THREADS-CREATE-SUPERSTEPS", made)
    history, exchange = _history_post(api, histories.long, {}, rule="HISTORY-LIMIT")
    expect_equal(_ids(history), full[:1], rule="HISTORY-LIMIT", exchange=exchange)


# ------------------------------------------------------------------------------------------- before
def test_get_before_returns_the_older_checkpoints(api, histories):
    """GET ?before=<checkpoint_id> returns only the checkpoints older than it, newest first."""
    full = _longer_than(api, histories.two_runs, 2, "HISTORY-GROWS", "the thread after two runs")
    history, exchange = _history_get(api, histories.two_runs, rule="HISTORY-BEFORE", limit=100, before=full[1])
    expect_equal(_ids(history), full[2:], rule="HISTORY-BEFORE", exchange=exchange)


def test_post_before_returns_the_older_checkpoints(api, histories):
    """POST {before: <checkpoint>} returns only the checkpoints older than it, newest first."""
    full = _longer_than(api, histories.two_runs, 2, "HISTORY-GROWS", "the thread after two runs")
    body = {"limit": 100, "before": {"checkpoint_id": full[1]}}
    history, exchange = _history_post(api, histories.two_runs, body, rule="HISTORY-BEFORE")
    expect_equal(_ids(history), full[2:], rule="HISTORY-BEFORE", exchange=exchange)


# ------------------------------------------------------------------------------------------ filters
@pytest.mark.parametrize("case", ["source-input", "step-1", "source-loop"])
def test_metadata_filter_returns_exactly_the_matching_checkpoints(api, histories, case):
    """The metadata filter returns exactly the checkpoints whose metadata holds it, newest first."""
    metadata = {"source-input": {"source": "input"}, "step-1": {"step": 1}, "source-loop": {"source": "loop"}}[case]
    full = _full(api, histories.two_runs)
    wanted = [
        (e.get("checkpoint") or {}).get("checkpoint_id")
        for e in full
        if all((e.get("metadata") or {}).get(k) == v for k, v in metadata.items())
    ]
    body = {"limit": 100, "metadata": metadata}
    history, exchange = _history_post(api, histories.two_runs, body, rule="HISTORY-FILTER")
    apart = wanted and len(wanted) < len(full)
    same, some = "the corpus does not tell the filter apart", "some but not all checkpoints"
    expect_true(apart, rule="HISTORY-FILTER", message=same, expected=some, actual=len(wanted), exchange=exchange)
    expect_equal(_ids(history), wanted, rule="HISTORY-FILTER", exchange=exchange)


def test_checkpoint_filter_returns_that_checkpoint(api, histories):
    """The checkpoint filter with a checkpoint_id returns that checkpoint's entry first (what the official
    server does; the document says only that the filter selects a subgraph's states)."""
    full = _longer_than(api, histories.two_runs, 2, "HISTORY-GROWS", "the thread after two runs")
    body = {"limit": 100, "checkpoint": {"checkpoint_id": full[2]}}
    history, exchange = _history_post(api, histories.two_runs, body, rule="HISTORY-FILTER")
    expect_equal(_ids(history)[:1], [full[2]], rule="HISTORY-CHECKPOINT-ID", exchange=exchange)


def test_checkpoint_namespace_filter_of_the_root_graph_is_the_whole_history(api, histories):
    """The checkpoint filter {checkpoint_ns: ""} (the root graph) returns the whole history."""
    full = _ids(_full(api, histories.two_runs))
    body = {"limit": 100, "checkpoint": {"checkpoint_ns": ""}}
    history, exchange = _history_post(api, histories.two_runs, body, rule="HISTORY-FILTER")
    expect_equal(_ids(history), full, rule="HISTORY-FILTER", exchange=exchange)


# ------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_thread_history_is_404(api, method):
    """The history of a thread that does not exist answers 404 with an ErrorResponse."""
    path = f"/threads/{api.new_id()}/history"
    exchange = api.client.get(path) if method == "GET" else api.client.post(path, json={})
    api.contract.validate(exchange, GET if method == "GET" else POST, status=404, rule="STATE-NOT-FOUND-ALL")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


INVALID = {  # case -> (method, thread id or None for a real one, query, body)
    "get-malformed-id": ("GET", "not-a-uuid", None, None),
    "post-malformed-id": ("POST", "not-a-uuid", None, {}),
    "get-limit-text": ("GET", None, {"limit": "many"}, None),
    "post-limit-0": ("POST", None, None, {"limit": 0}),
    "post-limit-text": ("POST", None, None, {"limit": "many"}),
    "post-metadata-type": ("POST", None, None, {"metadata": 3}),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_history_request_is_422(api, histories, case):
    """A malformed thread id, limit or filter answers 422 with an ErrorResponse."""
    method, thread_id, query, body = INVALID[case]
    path = f"/threads/{thread_id or histories.two_runs}/history"
    exchange = api.client.request(method, path, params=query, json_body=body)
    if thread_id is not None:  # a malformed id: 422 or the documented not-found status
        api.malformed_id_refused(exchange, GET if method == "GET" else POST, "STATE-VALIDATION")
        return
    api.contract.validate(exchange, GET if method == "GET" else POST, status=422, rule="STATE-VALIDATION")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)

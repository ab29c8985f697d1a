"""Passes on correct: green on the reference (apart from its listed bugs), and the same result every run."""

from __future__ import annotations

import json

from conformance.plugin.expected import default_for
from conformance.targets.reference import REFERENCE_NAME
from tests.faultkit import RewrittenStream
from tests.faultproxy import FaultProxy, Req, Resp
from tests.runner import run_suite

SCENARIOS = ["test_thread_status.py", "test_thread_search.py", "test_thread_runs.py", "test_thread_state.py"]


def _reference_args(url: str) -> list[str]:
    return [
        f"--target-url={url}",
        f"--target-name={REFERENCE_NAME}",
        f"--expected-failures={default_for(REFERENCE_NAME)}",
    ]


def test_reference_is_green_and_deterministic(tmp_path, reference_url):
    first = run_suite(tmp_path / "first", *_reference_args(reference_url), modules=SCENARIOS)
    second = run_suite(tmp_path / "second", *_reference_args(reference_url), modules=SCENARIOS)
    assert first.returncode == 0, first.output[-3000:]
    counts = first.results["counts"]
    assert counts["failed"] == counts["stale"] == counts["harness error"] == 0, counts
    assert counts["passed"] >= 60, counts
    assert first.outcomes() == second.outcomes(), "two runs in a row gave different outcomes"
    assert first.results["cleanup"]["failed"] == 0


def test_corrected_reference_passes_everything(tmp_path, reference_url):
    """Behind the proxy with no fault (which corrects the reference's two known bugs) nothing fails at all."""
    with FaultProxy(reference_url) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}", modules=SCENARIOS)
    assert run.returncode == 0, run.output[-3000:]
    assert set(run.outcomes().values()) == {"passed"}, run.results["counts"]


def test_suite_removes_exactly_what_it_created(tmp_path, reference_url):
    """Threads that are not the suite's survive a run; every thread the run tagged is gone after it."""
    import httpx

    with httpx.Client(base_url=reference_url, timeout=30) as http:
        foreign = http.post("/threads", json={"metadata": {"owner": "someone-else"}}).json()["thread_id"]
        run = run_suite(tmp_path, *_reference_args(reference_url), modules=["test_thread_status.py"])
        assert run.returncode == 0, run.output[-2000:]
        assert http.get(f"/threads/{foreign}").status_code == 200, "the suite deleted a thread it did not create"
        tag = {"conformance_session": run.results["session_tag"]}
        left = http.post("/threads/search", json={"metadata": tag}).json()
        assert left == [], f"{len(left)} tagged threads left behind"
        assert run.results["cleanup"]["deleted"] > 0
        http.delete(f"/threads/{foreign}")


STAMPS = ("created_at", "updated_at", "state_updated_at", "next_run_date")
SORTED_SEARCHES = {"/threads/search": "created_at", "/runs/crons/search": "created_at"}  # path -> default sort_by


def _coarse_clock(req, resp) -> None:
    """A correct server whose clock counts whole minutes: every date-time a search answers is cut to its
    minute, and items whose sort value is then equal come in the other order (either order is sorted)."""
    default = SORTED_SEARCHES.get(req.path.rstrip("/")) if req.method == "POST" else None
    if default is None or resp.status != 200 or not isinstance(resp.json, list):
        return
    for item in resp.json:
        for name in STAMPS:
            if isinstance(item, dict) and isinstance(item.get(name), str) and len(item[name]) >= 16:
                item[name] = item[name][:16] + ":00+00:00"
    key = (req.body or {}).get("sort_by") or default
    runs: list[tuple[object, list]] = []
    for item in resp.json:
        value = item.get(key) if isinstance(item, dict) else None
        if runs and value is not None and value == runs[-1][0]:
            runs[-1][1].append(item)
        else:
            runs.append((value, [item]))
    resp.json = [item for _, items in runs for item in reversed(items)]


def test_ties_in_a_sort_come_in_either_order(tmp_path, reference_url):
    """Sorting by a date-time names no order between equal ones: a server that stamps in whole minutes and
    answers its ties in another order than they were made passes every sort check (no false alarm)."""
    sorts = [
        "test_thread_search.py::test_sort_orders_by_the_field",
        "test_crons.py::test_search_sorts_by_the_field",
        "test_crons.py::test_search_default_order_is_newest_first",
        "test_crons.py::test_search_sort_order_alone_applies_to_created_at",
    ]
    with FaultProxy(reference_url, on_response=_coarse_clock) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}", "-k", "sort", tests=sorts)
    assert run.returncode == 0, run.output[-3000:]
    outcomes = run.outcomes()
    assert len(outcomes) >= 10 and set(outcomes.values()) == {"passed"}, outcomes


class _NestedLifecycle(RewrittenStream):
    """The reference's protocol event stream as a server that also reports a node's own task would send it
    (the JS server does): a nested namespace's lifecycle ``started`` and ``completed`` come before the
    first state on the connection, so before the run is over. Every seq (and its ``id:``) is spread by ten
    to make room for the two; a reconnect's ``since`` is read back in the server's numbering, and its
    replay gets the same two before its first state."""

    state_seen = False

    def _rewrite(self, block: str):
        lines = [line for line in block.split("\n") if not line.startswith("id:")]
        data_lines = [line[5:].strip() for line in lines if line.startswith("data:")]
        try:
            event = json.loads("\n".join(data_lines)) if data_lines else None
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
            yield (block + "\n\n").encode()
            return
        seq = event["seq"] * 10
        params = event.get("params") if isinstance(event.get("params"), dict) else {}
        events = []
        if event.get("method") == "values" and not self.state_seen:
            self.state_seen = True
            for offset, what in ((2, "started"), (1, "completed")):
                nested = {**params, "namespace": ["sleep:0c5b2c7e"], "data": {"event": what}}
                events.append({**event, "method": "lifecycle", "seq": seq - offset, "params": nested})
        events.append({**event, "seq": seq})
        for each in events:
            frame = [f"event: {each['method']}", f"id: {each['seq']}", f"data: {json.dumps(each)}"]
            yield ("\n".join(frame) + "\n\n").encode()


def _since_in_server_numbering(req: Req) -> None:
    body = req.body if req.is_("POST", "/threads/*/stream/events") and isinstance(req.body, dict) else {}
    if isinstance(body.get("since"), int):
        body["since"] //= 10


def _nested_lifecycle(req: Req, resp: Resp) -> None:
    """Only on a connection that subscribed to lifecycle (a values-only one must get values only)."""
    body = req.body if isinstance(req.body, dict) else {}
    subscribed = isinstance(body.get("channels"), list) and "lifecycle" in body["channels"]
    if req.is_("POST", "/threads/*/stream/events") and subscribed and resp.stream is not None:
        resp.stream = _NestedLifecycle(resp.stream, lambda name, data: [(name, data)])  # type: ignore[assignment]


def test_a_nested_namespaces_lifecycle_does_not_end_the_run(tmp_path, reference_url):
    """Only the root agent's lifecycle (namespace []: "Empty array denotes the root agent") says a run is
    over. A server that also reports a nested namespace's ``completed`` before the run's state passes the
    protocol tests (the suite read such a stream only up to that event, and said the state never came)."""
    with FaultProxy(reference_url, _since_in_server_numbering, _nested_lifecycle) as proxy:
        args = [f"--target-url={proxy.url}", f"--expected-failures={default_for(REFERENCE_NAME)}"]
        run = run_suite(tmp_path, *args, modules=["test_protocol.py"])
    assert run.returncode == 0, run.output[-3000:]
    for name in (
        "test_a_run_is_watched_on_the_open_event_stream",
        "test_a_reconnect_with_since_replays_only_later_events",
    ):
        test = run.find(name)
        assert test is not None and test["outcome"] == "passed", (name, test)


def _thread_without_interrupts(req: Req, resp: Resp) -> None:
    """A correct server that leaves out Thread.interrupts (optional) and shows them in the state only."""
    if req.is_("GET", "/threads/*") and isinstance(resp.json, dict):
        resp.json = {k: v for k, v in resp.json.items() if k != "interrupts"}


def test_input_respond_finds_the_interrupt_in_the_state(tmp_path, reference_url):
    """Thread.interrupts is optional: a server that shows the pending interrupt only in the thread's state
    passes the input.respond test (it said "no pending interrupt" of Aegra, whose state has it)."""
    with FaultProxy(reference_url, on_response=_thread_without_interrupts) as proxy:
        test = "test_protocol.py::test_input_respond_resumes_an_interrupted_run"
        run = run_suite(tmp_path, f"--target-url={proxy.url}", tests=[test])
    assert run.returncode == 0, run.output[-3000:]
    assert run.outcomes() and set(run.outcomes().values()) == {"passed"}, run.outcomes()


def _no_cron_by_id(req: Req) -> Resp | None:
    """A server without GET /runs/crons/{cron_id} (a deviation of its own, named by that route's test)."""
    if req.is_("GET", "/runs/crons/*"):
        return Resp(404, {"content-type": "application/json"}, b'{"detail": "Not Found"}')
    return None


def test_a_cron_not_readable_by_id_is_still_waited_for(tmp_path, reference_url):
    """The firing test reads its cron while it waits, to name a cron that is gone at once. A server that
    reads no cron by id must not be told its cron is gone: the firing is waited for, and it fires."""
    with FaultProxy(reference_url, on_request=_no_cron_by_id) as proxy:
        test = "test_crons.py::test_every_minute_cron_fires_and_a_disabled_one_does_not"
        run = run_suite(tmp_path, f"--target-url={proxy.url}", tests=[test])
    assert run.outcomes() and set(run.outcomes().values()) == {"passed"}, run.output[-3000:]

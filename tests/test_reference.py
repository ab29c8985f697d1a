"""Passes on correct: green on the reference (apart from its listed bugs), and the same result every run."""

from __future__ import annotations

from conformance.plugin.expected import default_for
from conformance.targets.reference import REFERENCE_NAME
from tests.faultproxy import FaultProxy
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

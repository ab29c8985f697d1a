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

"""``-n N`` certifies one target with N workers and says exactly what a serial run says.

The controller connects once, every worker tags with the same session id, one cleanup removes exactly
what the session made, one set of reports comes out (one properties.json), and the outcomes and the
operations each test exercised equal a serial run's. Bad input still gets one line.
"""

from __future__ import annotations

import re

import httpx

from conformance.plugin.expected import default_for
from conformance.targets.reference import REFERENCE_NAME
from tests.faultproxy import FaultProxy
from tests.faults import FAULTS
from tests.runner import run_suite

# A slice with session fixtures, order-grouped property operations and a fault the threads area catches.
SLICE = [
    "test_thread_status.py",
    "test_threads.py",
    "test_properties.py::test_operation[GET /threads/{thread_id}]",
    "test_properties.py::test_operation[POST /threads/{thread_id}/state]",
    "test_properties.py::test_operation[POST /threads/search]",
    "test_properties.py::test_operation[GET /ok]",
]


# Two modules, two of the property layer's operations on the world's thread (one group) and two on their own.
GROUPED = [
    "test_thread_status.py",
    "test_system.py",
    "test_properties.py::test_operation[GET /threads/{thread_id}]",
    "test_properties.py::test_operation[GET /threads/{thread_id}/state]",
    "test_properties.py::test_operation[GET /ok]",
    "test_properties.py::test_operation[GET /info]",
]
RAN_ON = re.compile(r"^\[(gw\d+)\] (?:\[\s*\d+%\] )?(?:PASSED|FAILED|XFAIL|XPASS|SKIPPED|ERROR) (.+?)\s*$")


def _tagged_threads(url: str, session_tag: str) -> list[dict]:
    body = {"metadata": {"conformance_session": session_tag}, "limit": 100}
    return httpx.post(f"{url}/threads/search", json=body, timeout=30).json()


def test_parallel_run_reports_what_a_serial_run_reports(tmp_path, reference_url):
    target = (f"--target-url={reference_url}", f"--expected-failures={default_for(REFERENCE_NAME)}")
    serial = run_suite(tmp_path / "serial", *target, "-p", "no:xdist", tests=SLICE)
    parallel = run_suite(tmp_path / "parallel", *target, "-n", "2", tests=SLICE)
    assert serial.returncode == 0, serial.output[-3000:]
    assert parallel.returncode == 0, parallel.output[-3000:]
    assert parallel.outcomes() == serial.outcomes()
    operations = {t["id"]: t["operations"] for t in serial.results["tests"]}
    assert {t["id"]: t["operations"] for t in parallel.results["tests"]} == operations
    assert sorted(p.name for p in parallel.report_dir.iterdir()) == sorted(p.name for p in serial.report_dir.iterdir())
    assert not list(parallel.report_dir.glob("properties.*.json")), "one merged properties.json, not one per worker"
    merged = (parallel.report_dir / "properties.json").read_text()
    assert all(f'"operation": "{label}"' in merged for label in ("GET /ok", "POST /threads/search"))
    tag = parallel.results["session_tag"]
    assert parallel.results["cleanup"]["deleted"] > 0 and parallel.results["cleanup"]["failed"] == 0
    assert _tagged_threads(reference_url, tag) == [], "the single cleanup left threads of the session behind"


def test_parallel_run_keeps_each_module_and_each_resource_group_on_one_worker(tmp_path, reference_url):
    """A module's tests run on one worker (its module fixtures made once, not once per worker) and the
    property layer's operations on one shared resource on one worker, in order; the terminal and the
    reports name every test as a serial run does (pytest 9.2 reads no group xdist 3.8 sets:
    conformance/plugin/parallel.py group_units)."""
    target = (f"--target-url={reference_url}", f"--expected-failures={default_for(REFERENCE_NAME)}")
    run = run_suite(tmp_path / "grouped", *target, "-n", "2", "-vv", tests=GROUPED)
    assert run.returncode == 0, run.output[-3000:]
    ran = {m.group(2): m.group(1) for m in map(RAN_ON.match, run.output.splitlines()) if m}
    assert len(ran) == len(run.results["tests"]), run.output[-3000:]
    assert not [test for test in ran if "@" in test], "a test shown with its xdist group, not its id"
    assert {t["id"] for t in run.results["tests"]} == set(ran)
    for unit in ("test_thread_status.py", "test_system.py", "test_operation[GET /threads/{thread_id}"):
        workers = {worker for test, worker in ran.items() if unit in test}
        assert len(workers) == 1, f"{unit} ran on {sorted(workers)}"


def test_parallel_run_catches_a_fault_with_the_serial_message(tmp_path, reference_url):
    fault = next(f for f in FAULTS if f.name == "idle-shown-as-busy")
    with FaultProxy(reference_url, fault.on_request, fault.on_response) as proxy:
        serial = run_suite(
            tmp_path / "s", f"--target-url={proxy.url}", "-p", "no:xdist", modules=["test_thread_status.py"]
        )
        parallel = run_suite(tmp_path / "p", f"--target-url={proxy.url}", "-n", "2", modules=["test_thread_status.py"])
    assert serial.returncode == parallel.returncode == 1
    failed = {t["id"]: t["detail"]["rule"] for t in serial.results["tests"] if t["outcome"] == "failed"}
    assert failed, "the fault is not caught serially"
    assert {t["id"]: t["detail"]["rule"] for t in parallel.results["tests"] if t["outcome"] == "failed"} == failed


def test_parallel_run_refuses_an_unknown_expected_failure_in_one_line(tmp_path, reference_url):
    listed = tmp_path / "expected-failures.yaml"
    listed.write_text("expected_failures:\n  - test: test_nothing.py::test_nope\n    reason: no such test\n")
    run = run_suite(
        tmp_path / "r",
        f"--target-url={reference_url}",
        f"--expected-failures={listed}",
        "-n",
        "2",
        modules=["test_thread_status.py"],
    )
    assert run.returncode == 4, run.output[-2000:]
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output
    assert "names tests the suite does not have: test_nothing.py::test_nope" in run.output

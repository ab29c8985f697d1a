"""The report's deviations: each distinct one once, charged to its exchange's operation, the most
widespread first; reference-compatible findings apart and never counted against the contract; a partial
run never a certification. Fast: results data only, no server."""

from __future__ import annotations

from pathlib import Path

from conformance.contract.rules import load_rules
from conformance.reports import deviations
from conformance.reports.results import PARTIAL, Results
from conformance.reports.results import TestResult as Outcome

REFERENCE_RULE = next(r for r, e in load_rules().items() if e.get("profile") == "reference-compatible")


def _finding(rule: str, operation: str, message: str, status: int = 200) -> dict:
    return {"rule": rule, "operation": operation, "message": message, "status": status, "reproduce": "curl -s x"}


def _test(nodeid: str, area: str, outcome: str, *found: dict, stopped: str | None = None) -> dict:
    detail = {**found[0], "findings": list(found)} if found else None
    if detail and stopped:
        detail["stopped"] = stopped
    return {"id": nodeid, "area": area, "outcome": outcome, **({"detail": detail} if detail else {})}


def test_one_deviation_seen_by_many_tests_is_counted_once_and_first():
    schema = _finding("CONTRACT-SCHEMA", "GET /threads/{thread_id}/runs/{run_id}", "GET ... -> 200: at $ (required)")
    other = _finding("RUNS-JOIN", "GET /threads/{thread_id}/runs/{run_id}/join", "join answered early")
    tests = [
        _test("t.py::a", "thread-runs", "failed", schema),
        _test("t.py::b", "thread-runs", "expected failure", {**schema, "listed": True}, other),
        _test("t.py::c", "runs-control", "failed", schema, stopped="CONTRACT-SCHEMA ..."),
        _test("t.py::d", "thread-runs", "passed"),
    ]
    found = deviations.collect(tests)
    assert [(d["rule"], len(d["tests"])) for d in found] == [("CONTRACT-SCHEMA", 3), ("RUNS-JOIN", 1)]
    assert found[0]["areas"] == ["thread-runs", "runs-control"] and found[0]["blocked"] == ["t.py::c"]
    assert found[0]["operation"] == "GET /threads/{thread_id}/runs/{run_id}", "charged to its own exchange"
    assert deviations.summary(found) == "2 distinct deviations, affecting 3 tests"


def test_the_same_deviation_worded_by_a_test_and_by_generated_requests_is_one():
    handwritten = _finding(
        "CONTRACT-SCHEMA", "GET /info", "GET /info -> 200: body does not match the schema at $ (required)"
    )
    generated = {**handwritten, "message": handwritten["message"] + "; CONTRACT-SCHEMA in 2 of 3 generated request(s)"}
    found = deviations.collect(
        [_test("a::x", "system", "failed", handwritten), _test("b::y", "properties", "failed", generated)]
    )
    assert len(found) == 1 and len(found[0]["tests"]) == 2


def test_reference_compatible_findings_do_not_count_against_the_contract(tmp_path: Path):
    results = Results(report_dir=tmp_path)
    only_reference = _finding(REFERENCE_RULE, "GET /x", "the official server does it otherwise")
    contract = _finding("CONTRACT-SCHEMA", "GET /y", "GET /y -> 200: body does not match the schema at $ (type)")
    stopped = _test("t.py::s", "threads", "failed", only_reference, stopped=f"{REFERENCE_RULE} ...")
    for test in (
        _test("t.py::r", "threads", "failed", only_reference),
        _test("t.py::c", "threads", "failed", contract),
        stopped,
        _test("t.py::p", "threads", "passed"),
    ):
        results.tests[test["id"]] = Outcome(test["id"], test["area"], test["outcome"], 0.0, test.get("detail"))
    verdict = results.certify()
    assert (verdict["passed"], verdict["total"]) == (2, 4), "a test stopped by it is not reached, never passed"
    assert results.gate()["verdict"] == "fail", "the gate still sees every new finding"
    found = deviations.collect([{"id": t.nodeid, "area": t.area, "outcome": t.outcome, "detail": t.detail}
                                for t in results.tests.values()])  # fmt: skip
    assert {d["profile"] for d in found} == {"contract", "reference-compatible"}
    assert deviations.summary(found) == "1 distinct deviation, affecting 1 test"
    assert deviations.by_area(found) == {"threads": 1}, "the matrix counts contract deviations"


def test_a_partial_run_is_never_a_certification(tmp_path: Path):
    results = Results(report_dir=tmp_path, partial="-k 'search'")
    results.tests["t.py::p"] = Outcome("t.py::p", "thread-search", "passed")
    assert results.certify()["verdict"] == PARTIAL
    assert results.by_area()["thread-search"]["verdict"] == "conforms", "an area speaks for its own tests"

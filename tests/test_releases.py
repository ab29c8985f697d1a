"""A target built on an older langgraph-api release: what it lacks is *unsupported*, with the reason, never passed.

The reference (0.16.7) has GET /threads/{thread_id}/storage, added in 0.16.0, so declaring it unsupported,
as a 0.15 or 0.11 server's file does, proves the test is never run and never passed, and the reports name
both releases. The run-time rule (a test that fails on a request to an unsupported operation answered 404)
uses pytester with a small conformance module: the reference answers 404 for the storage of an unknown
thread, as an older server answers for a route it does not have.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conformance.cli import main as cli_main
from conformance.reports.baseline import Release, baseline
from conformance.spectools.update import operations_added_since
from tests.runner import REPO, run_suite

pytest_plugins = ("pytester",)

STORAGE = "GET /threads/{thread_id}/storage"
REASON = "not in langgraph-api 0.11.1 (added in 0.16.0)"
OLDER_RELEASE = f"""
release: langgraph-api 0.11.1
unsupported_operations:
  - operation: {STORAGE}
    reason: {REASON}
"""
OLDER_SPEC = Path(__file__).parent / "data" / "specs" / "langgraph-api-0.15.9.openapi.json.gz"


def test_an_operation_the_release_lacks_is_unsupported_and_the_reports_say_both_releases(tmp_path, reference_url):
    listed = tmp_path / "expected-failures.yaml"
    listed.write_text(OLDER_RELEASE)
    run = run_suite(
        tmp_path / "report",
        f"--target-url={reference_url}",
        f"--expected-failures={listed}",
        tests=[f"test_properties.py::test_operation[{STORAGE}]", "test_properties.py::test_operation[GET /ok]"],
    )
    assert run.returncode == 0, run.output[-3000:]
    storage = run.find(f"test_properties.py::test_operation[{STORAGE}]")
    assert storage["outcome"] == "unsupported", storage
    assert f"{STORAGE}: {REASON}" in storage["detail"]["message"], storage["detail"]
    assert storage["operations"] == [], "an unsupported test is never run"
    assert run.find("test_properties.py::test_operation[GET /ok]")["outcome"] == "passed"
    results = run.results
    assert results["target"]["release"] == "langgraph-api 0.11.1"
    assert results["spec"]["release"] == "langgraph-api 0.16.7"
    assert results["profile"]["unsupported_operations"] == {STORAGE: REASON}
    assert results["verdict"] == "not certified (partial run)" and results["gate"]["verdict"] == "pass"
    assert results["areas"]["properties"]["verdict"] == "conforms where supported"
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "- target release: langgraph-api 0.11.1; the vendored spec is langgraph-api 0.16.7" in markdown
    assert "## Not in langgraph-api 0.11.1" in markdown and REASON in markdown
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "langgraph-api 0.11.1" in page and "langgraph-api 0.16.7" in page and REASON in page


FAKE_SUITE = """
import uuid

import pytest
from conformance.contract.checks import expect_status

STORAGE = "GET /threads/{thread_id}/storage"


@pytest.mark.area("threads")
def test_checks_only_the_storage(client, contract):
    contract.validate(client.get(f"/threads/{uuid.uuid4()}/storage"), STORAGE, status=200)


@pytest.mark.area("threads")
def test_needs_the_storage_beside_info(client, contract):
    contract.validate(client.get("/ok"), "GET /ok")
    expect_status(client.get(f"/threads/{uuid.uuid4()}/storage"), 200, rule="THREADS-GET")


@pytest.mark.area("threads")
def test_fails_on_another_operation(client, contract):
    contract.validate(client.get("/ok"), "GET /ok")
    expect_status(client.get(f"/threads/{uuid.uuid4()}"), 200, rule="THREADS-GET")


@pytest.mark.area("system")
def test_listed_by_hand(client):
    expect_status(client.get("/info"), 200, rule="SYSTEM-INFO")
"""


def _run(pytester: pytest.Pytester, url: str, declared: str):
    pytester.makepyfile(test_fake=FAKE_SUITE)
    (pytester.path / "expected-failures.yaml").write_text(declared)
    report = pytester.path / "report"
    result = pytester.runpytest_subprocess(
        f"--target-url={url}",
        f"--conformance-report={report}",
        "--expected-failures=expected-failures.yaml",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    )
    path = report / "results.json"
    return result, json.loads(path.read_text()) if path.exists() else None


def test_tests_that_need_what_the_release_lacks_are_unsupported_and_other_failures_stay(pytester, reference_url):
    declared = OLDER_RELEASE + (
        "unsupported_tests:\n"
        "  - test: test_fake.py::test_listed_by_hand\n"
        "    reason: 'not in langgraph-api 0.11.1 (added in 0.12.0): a field it does not accept'\n"
    )
    result, results = _run(pytester, reference_url, declared)
    assert result.ret == 1, result.stdout.str()
    tests = {t["id"].rsplit("::", 1)[-1]: t for t in results["tests"]}
    only = tests["test_checks_only_the_storage"]
    assert only["outcome"] == "unsupported" and only["operations"] == [], only
    assert f"{STORAGE}: {REASON}" in only["detail"]["message"]
    beside = tests["test_needs_the_storage_beside_info"]
    assert beside["outcome"] == "unsupported", beside
    assert f"{STORAGE}: {REASON} (it answered 404)" in beside["detail"]["message"], beside["detail"]
    assert tests["test_fails_on_another_operation"]["outcome"] == "failed", "a 404 elsewhere is still a failure"
    listed = tests["test_listed_by_hand"]
    assert listed["outcome"] == "unsupported" and "a field it does not accept" in listed["detail"]["message"]
    assert results["counts"]["passed"] == 0, "nothing the release lacks may count as passed"


@pytest.mark.parametrize(
    ("declared", "complaint"),
    [
        ("unsupported_operations:\n  - GET /threads/{thread_id}/storrage\n", "unsupported operations the spec"),
        ("unsupported_tests:\n  - test: test_fake.py::test_no_such_test\n    reason: typo\n", "names tests"),
        ("release: [0, 11]\n", "'release' names the release"),
    ],
)
def test_a_declaration_that_names_nothing_is_refused_in_one_line(pytester, reference_url, declared, complaint):
    result, results = _run(pytester, reference_url, declared)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    assert complaint in result.stderr.str() and "Traceback" not in result.stderr.str(), result.stderr.str()
    assert results is None, "nothing may be written half-way"


# ----------------------------------------------------------------------------------------- baseline


def test_operations_added_since_an_older_release_come_from_the_spec_diff():
    assert operations_added_since(str(OLDER_SPEC), REPO / "spec" / "openapi.yaml") == [STORAGE]


def test_baseline_keeps_a_reason_only_while_it_names_the_same_failure():
    previous = {
        "expected_failures": [
            {"test": "test_a.py::test_moved", "rule": "OLD", "reason": "by hand, about OLD", "strict": False},
            {"test": "test_a.py::test_same", "rule": "R", "reason": "by hand, about R"},
            {"test": "test_a.py::test_shape", "rule": "R", "reason": "two shapes", "or": [{"rule": "OTHER"}]},
        ]
    }
    failing = [("test_moved", "NEW"), ("test_same", "R"), ("test_shape", "OTHER")]
    results = {
        "target": {"name": "x"},
        "tests": [
            {
                "id": f"conformance/tests/test_a.py::{name}",
                "outcome": "failed",
                "detail": {"rule": rule, "message": "m"},
            }
            for name, rule in failing
        ],
    }
    written = baseline(results, previous)["expected_failures"]
    entries = {(e["test"], e["rule"]): e for e in written}
    entries.update({e["test"]: e for e in written if e["rule"] != "OLD"})
    assert entries["test_a.py::test_same"]["reason"] == "by hand, about R"
    assert entries["test_a.py::test_moved"]["reason"] != "by hand, about OLD", "a reason about another failure"
    assert "strict" not in entries["test_a.py::test_moved"]
    # A known sometimes-bug (strict: false) stays listed beside the new finding while its test still runs.
    assert entries[("test_a.py::test_moved", "OLD")] == previous["expected_failures"][0]
    assert entries["test_a.py::test_shape"] == previous["expected_failures"][2], "another listed shape: kept as is"


def test_a_finding_that_a_deadline_ran_out_is_listed_not_strict():
    """A timeout depends on the machine's load as much as on the server: listed, but its absence on a
    faster machine is no fix (strict: false); every other finding stays strict."""
    results = {
        "target": {"name": "x"},
        "tests": [
            {
                "id": "conformance/tests/test_a.py::test_late",
                "outcome": "failed",
                "detail": {"rule": "RUNS-LIFECYCLE", "message": "the run did not finish within 60 s"},
            },
            {
                "id": "conformance/tests/test_a.py::test_slow",
                "outcome": "failed",
                "detail": {"rule": "HTTP-TIMEOUT", "message": "POST /threads: the target did not answer within 2.5 s"},
            },
            {
                "id": "conformance/tests/test_a.py::test_wrong",
                "outcome": "failed",
                "detail": {"rule": "RUNS-GET", "message": "got 'error', not 'success'"},
            },
        ],
    }
    strict = {e["test"]: e.get("strict", True) for e in baseline(results)["expected_failures"]}
    assert strict == {"test_a.py::test_late": False, "test_a.py::test_slow": False, "test_a.py::test_wrong": True}


def test_a_stale_test_keeps_its_other_findings_listed():
    """A test one of whose listed findings went away (stale) may still show others: a new baseline lists
    those, and only those."""
    finding = {"rule": "CONTRACT-CONTENT-TYPE", "message": "GET /x: content type '(none)' is not documented"}
    results = {
        "target": {"name": "x"},
        "tests": [
            {
                "id": "conformance/tests/test_a.py::test_half_fixed",
                "outcome": "stale",
                "detail": {**finding, "message": "listed finding(s) no longer seen: ...", "findings": [finding]},
            }
        ],
    }
    written = baseline(results)["expected_failures"]
    assert [(e["test"], e["rule"]) for e in written] == [("test_a.py::test_half_fixed", "CONTRACT-CONTENT-TYPE")]
    assert "no longer seen" not in str(written)


def test_baseline_states_the_release_and_keeps_what_was_declared_by_hand(tmp_path):
    results = {
        "target": {"name": "old-server"},
        "spec": {"release": "langgraph-api 0.16.7"},
        "tests": [
            {"id": "conformance/tests/test_a.py::test_b", "outcome": "expected failure", "detail": {"rule": "R"}},
            {"id": f"conformance/tests/test_properties.py::test_operation[{STORAGE}]", "outcome": "unsupported"},
        ],
    }
    previous = yaml.safe_load(OLDER_RELEASE + "unsupported_tests:\n  - test: test_c.py::test_d\n    reason: by hand\n")
    data = baseline(results, previous, Release("langgraph-api 0.11.1", [STORAGE, "GET /threads/{thread_id}/x"]))
    assert list(data) == [
        "implementation",
        "release",
        "unsupported_operations",
        "unsupported_tests",
        "expected_failures",
    ]
    assert data["release"] == "langgraph-api 0.11.1"
    assert data["unsupported_operations"] == [
        {"operation": STORAGE, "reason": REASON},
        {
            "operation": "GET /threads/{thread_id}/x",
            "reason": "not in langgraph-api 0.11.1 (added after it; the vendored spec is langgraph-api 0.16.7)",
        },
    ]
    assert data["unsupported_tests"] == previous["unsupported_tests"]
    assert [e["test"] for e in data["expected_failures"]] == ["test_a.py::test_b"], "unsupported is not a failure"
    assert baseline(results, previous)["unsupported_operations"] == previous["unsupported_operations"]

    (tmp_path / "results.json").write_text(json.dumps(results))
    assert cli_main(["baseline", str(tmp_path / "results.json"), "--release", str(OLDER_SPEC)]) == 0
    written = yaml.safe_load((tmp_path / "expected-failures.yaml").read_text())
    assert written["release"] == str(OLDER_SPEC)
    assert [o["operation"] for o in written["unsupported_operations"]] == [STORAGE]


def test_a_finding_only_some_runs_show_is_listed_not_strict():
    """conformance baseline R1 --also R2: every finding of either run is listed; one that only some runs
    showed is not strict (its absence is not stale), one every run showed stays strict."""
    from conformance.reports.baseline import across_runs

    def run(*rules: str) -> dict:
        findings = [{"rule": r, "status": 200, "message": f"m {r}"} for r in rules]
        detail = {**findings[0], "findings": findings}
        return {
            "target": {"name": "x"},
            "tests": [{"id": "conformance/tests/test_a.py::t", "outcome": "failed", "detail": detail}],
        }

    entries = {
        e["rule"]: e for e in across_runs([run("ALWAYS", "ONCE"), run("ALWAYS")], None, None)["expected_failures"]
    }
    assert set(entries) == {"ALWAYS", "ONCE"}
    assert "strict" not in entries["ALWAYS"]
    assert entries["ONCE"]["strict"] is False and "(seen in 1 of 2 runs)" in entries["ONCE"]["reason"]

"""Fails on wrong: every fault in the catalogue is caught by the tests it names, with its rule."""

from __future__ import annotations

import ast

import pytest
import yaml

from conformance.paths import PACKAGE_DIR, REPO_DIR
from tests.faultproxy import FaultProxy
from tests.faults import FAULTS, Fault
from tests.runner import run_suite

REFERENCE_EXPECTED_FAILURES = REPO_DIR / "reports" / "langgraph-api-0.16.7-inmem" / "expected-failures.yaml"


def _tests(fault: Fault) -> list[str]:
    """Only the tests that must catch the fault run (with the fixtures they use), not their whole modules."""
    return sorted(set(fault.catches))


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_is_caught(fault: Fault, reference_url, tmp_path, request):
    if fault.upstream == "auth":  # the proxy stands in front of the deployment with auth; the target is plain
        upstream = request.getfixturevalue("auth_reference_url")
        with FaultProxy(upstream, fault.on_request, fault.on_response) as proxy:
            where = (f"--target-url={reference_url}", f"--auth-url={proxy.url}")
            run = run_suite(tmp_path, *where, *fault.options, tests=_tests(fault))
    else:
        with FaultProxy(reference_url, fault.on_request, fault.on_response) as proxy:
            run = run_suite(tmp_path, f"--target-url={proxy.url}", *fault.options, tests=_tests(fault))
    assert run.returncode == 1, (
        f"the suite did not fail on fault {fault.name} (exit {run.returncode}):\n{run.output[-3000:]}"
    )
    rules, details = set(), []
    for catcher in fault.catches:
        test = run.find(catcher)
        assert test is not None, f"{catcher} did not run on fault {fault.name}"
        assert test["outcome"] == "failed", f"{catcher} did not catch fault {fault.name}: {test['outcome']}"
        detail = test.get("detail") or {}
        assert detail.get("rule"), f"{catcher} failed without naming a rule: {detail}"
        assert detail.get("reproduce", "").startswith("curl "), f"{catcher}: no curl reproduction: {detail}"
        for finding in detail.get("findings") or [detail]:  # every finding of the test, not only the first
            rules.add(finding["rule"])
            details.append(f"{catcher}: {finding['rule']}: {finding.get('message')}\n  {finding.get('reproduce')}")
    shown = "\n".join(details)  # what the suite said, so a surprise shows its cause in CI's log
    assert fault.rule in rules, f"fault {fault.name}: expected a failure of rule {fault.rule}, got:\n{shown}"


def _scenarios() -> set[str]:
    """Every conformance test function, as ``module::function`` (all its parameters together)."""
    found = set()
    for path in sorted((PACKAGE_DIR / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.add(f"{path.name}::{node.name}")
    return found


def test_every_scenario_is_proven_able_to_fail():
    """A scenario is finished only when something makes it fail: a fault of the catalogue, or, for the
    reference's own listed deviations, the reference itself (no fault can make those fail more)."""
    caught = {catcher.split("[", 1)[0] for fault in FAULTS for catcher in fault.catches}
    listed = yaml.safe_load(REFERENCE_EXPECTED_FAILURES.read_text(encoding="utf-8"))["expected_failures"]
    failing_on_the_reference = {entry["test"].split("[", 1)[0] for entry in listed}
    unproven = sorted(_scenarios() - caught - failing_on_the_reference)
    assert not unproven, f"scenarios no fault in tests/faults*.py makes fail: {unproven}"

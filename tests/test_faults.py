"""Fails on wrong: every fault in the catalogue is caught by the tests it names, with its rule."""

from __future__ import annotations

import pytest

from tests.faultproxy import FaultProxy
from tests.faults import FAULTS, Fault
from tests.runner import run_suite


def _tests(fault: Fault) -> list[str]:
    """Only the tests that must catch the fault run (with the fixtures they use), not their whole modules."""
    return sorted(set(fault.catches))


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_is_caught(fault: Fault, reference_url, tmp_path):
    with FaultProxy(reference_url, fault.on_request, fault.on_response) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}", *fault.options, tests=_tests(fault))
    assert run.returncode == 1, (
        f"the suite did not fail on fault {fault.name} (exit {run.returncode}):\n{run.output[-3000:]}"
    )
    rules = set()
    for catcher in fault.catches:
        test = run.find(catcher)
        assert test is not None, f"{catcher} did not run on fault {fault.name}"
        assert test["outcome"] == "failed", f"{catcher} did not catch fault {fault.name}: {test['outcome']}"
        detail = test.get("detail") or {}
        assert detail.get("rule"), f"{catcher} failed without naming a rule: {detail}"
        assert detail.get("reproduce", "").startswith("curl "), f"{catcher}: no curl reproduction: {detail}"
        rules.add(detail["rule"])
    assert fault.rule in rules, f"fault {fault.name}: expected a failure of rule {fault.rule}, got {sorted(rules)}"

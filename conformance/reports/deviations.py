"""Distinct deviations: what a server author fixes, each named once, the most widespread first.

A test may show several findings and one deviation may show in many tests (a Run without a required
field breaks every scenario that reads a run). The reports lead with the deviations, not the tests: each
distinct (rule, operation, evidence) once, with the tests it affects, its area(s), the contract source it
breaks and one curl. A deviation is charged to the operation of the exchange that showed it, never to
every operation the test touched. A test that had to stop is *blocked by* its last finding: the checks
after it were not reached, and the report says so instead of counting a second failure.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.contract.failures import message_signature
from conformance.contract.rules import load_rules

NOT_PASSED = ("failed", "expected failure", "stale")
CONTRACT = "contract"
REFERENCE_COMPATIBLE = "reference-compatible"  # the official server's behaviour where the document is silent


def profile_of(rule: str) -> str:
    """The profile a rule belongs to: the contract (the document, its errata, a guide's sentence), or the
    reference-compatible profile (behaviour only the official server shows; spec/rules.yaml ``profile``)."""
    return str(load_rules().get(rule, {}).get("profile") or CONTRACT)


def contract_findings(test: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings of a test that break the contract (not only the official server's behaviour)."""
    return [f for f in findings_of(test) if profile_of(f.get("rule") or "") == CONTRACT]


_NOTES = (" [new: not the listed expected failure:", " [listed]")


def plain(message: str | None) -> str:
    """A finding's message without the note on whether the expected failures named it."""
    text = message or ""
    for note in _NOTES:
        text = text.split(note)[0]
    return text


_GENERATED = re.compile(r"; [A-Z0-9-]+ in # of # generated request\(s\)$")


def grouped(message: str | None) -> str:
    """What identifies a deviation in a message: ids, numbers and the property layer's case count out, so
    the same deviation seen by a handwritten test and by generated requests is one."""
    return _GENERATED.sub("", message_signature(plain(message)))


def findings_of(test: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings of one test of results.json (a test of an older results.json has one at most)."""
    detail = test.get("detail") or {}
    if not detail.get("rule"):
        return []
    return list(detail.get("findings") or [detail])


def collect(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct deviations of ``tests`` (results.json's), sorted by the number of tests they affect."""
    rules = load_rules()
    found: dict[tuple[str, str, Any, str], dict[str, Any]] = {}
    for test in tests:
        if test.get("outcome") not in NOT_PASSED:
            continue
        detail = test.get("detail") or {}
        for finding in findings_of(test):
            operation = finding.get("operation") or "(no exchange)"
            key = (finding["rule"], operation, finding.get("status"), grouped(finding.get("message")))
            entry = found.get(key)
            if entry is None:
                rule = rules.get(finding["rule"], {})
                entry = found[key] = {
                    "rule": finding["rule"],
                    "operation": operation,
                    "message": plain(finding.get("message")),
                    "source": rule.get("source", ""),
                    "rule_text": finding.get("rule_text") or rule.get("text", ""),
                    "status": finding.get("status"),
                    "reproduce": finding.get("reproduce"),
                    "areas": [],
                    "tests": [],
                    "blocked": [],
                    "listed": True,
                    "profile": profile_of(finding["rule"]),
                }
            if test["area"] not in entry["areas"]:
                entry["areas"].append(test["area"])
            if test["id"] not in entry["tests"]:
                entry["tests"].append(test["id"])
            if not finding.get("listed") and test.get("outcome") != "expected failure":
                entry["listed"] = False
            if detail.get("stopped") and finding is findings_of(test)[-1] and test["id"] not in entry["blocked"]:
                entry["blocked"].append(test["id"])
    ordered = sorted(found.values(), key=lambda d: (-len(d["tests"]), d["operation"], d["rule"], d["message"]))
    for number, entry in enumerate(ordered, 1):
        entry["id"] = f"D{number}"
    return ordered


def summary(deviations: list[dict[str, Any]], profile: str = CONTRACT) -> str:
    """ "12 distinct deviations, affecting 40 tests" (a test with two deviations counts once), of one
    profile: the contract's unless asked for the reference-compatible one."""
    deviations = [d for d in deviations if d.get("profile", CONTRACT) == profile]
    tests = {test for d in deviations for test in d["tests"]}
    if not deviations:
        return "no deviation"
    noun = "deviation" if len(deviations) == 1 else "deviations"
    return f"{len(deviations)} distinct {noun}, affecting {len(tests)} test{'s' if len(tests) != 1 else ''}"


def by_area(deviations: list[dict[str, Any]]) -> dict[str, int]:
    """Distinct contract deviations per area (a deviation seen in two areas counts in both)."""
    counts: dict[str, int] = {}
    for deviation in (d for d in deviations if d.get("profile", CONTRACT) == CONTRACT):
        for area in deviation["areas"]:
            counts[area] = counts.get(area, 0) + 1
    return dict(sorted(counts.items()))

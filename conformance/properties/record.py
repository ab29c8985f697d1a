"""What one operation's cases came to: counts, the findings kept, the failure its test raises, and its
entry in properties.json.

Its own module because adding up is not judging: one answer's findings come from judge.py, and here they
are counted per rule and per distinct deviation, so the test fails with every conformance rule the
operation broke (each a finding of its own, in ``RULE_ORDER``), never only the first, and advisory rules
are counted without failing anything.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.failures import ConformanceFailure, message_signature
from conformance.contract.findings import ConformanceFailures
from conformance.contract.rules import rule_text
from conformance.properties import canonical
from conformance.properties.judge import Finding

MAX_FINDINGS_PER_OPERATION = 12  # distinct (rule, message) findings one operation reports
# When an operation breaks several rules, the test fails with the first of these (stable across seeds).
RULE_ORDER = (
    "OPERATION-AVAILABLE",
    "HTTP-TRANSPORT",
    "HTTP-TIMEOUT",
    "PROPERTY-SERVER-ERROR",
    "CONTRACT-STATUS",
    "CONTRACT-CONTENT-TYPE",
    "HTTP-JSON",
    "CONTRACT-SCHEMA",
    "CONTRACT-HEADERS",
)


@dataclass
class OperationRun:
    """What happened to one operation's generated cases."""

    label: str
    cases: int = 0
    phases: Counter = field(default_factory=Counter)
    modes: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    examples: dict[int, str] = field(default_factory=dict)  # status -> the first answer with it
    skipped: Counter = field(default_factory=Counter)
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # rule -> findings (first few kept)
    counts: Counter = field(default_factory=Counter)  # rule -> number of cases
    distinct: dict[tuple[str, int, str], Finding] = field(default_factory=dict)  # (rule, status, message) -> first
    distinct_counts: Counter = field(default_factory=Counter)  # (rule, status, message) -> number of cases
    streams_cut: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    seconds: float = 0.0
    canonical: str = "not sent"  # the canonical request's answer (conformance/properties/canonical.py)

    def add(self, findings: list[Finding]) -> None:
        for rule in {f.rule for f in findings}:
            self.counts[rule] += 1
        for finding in findings:
            kept = self.findings.setdefault(finding.rule, [])
            if len(kept) < 3:
                kept.append(finding)
            # Each distinct deviation of a rule (another undocumented status, another place in the body)
            # is a finding of its own; its first case is its evidence.
            key = (finding.rule, finding.exchange.status, message_signature(finding.message))
            self.distinct.setdefault(key, finding)
            self.distinct_counts[key] += 1

    def conformance_rules(self) -> list[str]:
        rules = [r for r, kept in self.findings.items() if kept[0].conformance]
        return sorted(rules, key=lambda r: (RULE_ORDER.index(r) if r in RULE_ORDER else len(RULE_ORDER), r))

    def advisory_rules(self) -> list[str]:
        return sorted(r for r, kept in self.findings.items() if not kept[0].conformance)

    def failure(self) -> ConformanceFailure | None:
        """Every conformance rule the operation's cases broke, each a finding of its own (in RULE_ORDER),
        so a listed deviation of one rule never hides another rule's. The first case of each rule is its
        evidence; how that case came about is shown beside what was seen, not in the message, so the
        message identifies the deviation and not the generated data."""
        rules = self.conformance_rules()
        unavailable = self.findings.get(canonical.RULE)
        if unavailable and all(
            f.exchange.status == unavailable[0].exchange.status for f in self.findings.get("CONTRACT-STATUS", [])
        ):
            # The operation is not served (a redirect, a 404): its generated requests' same status is that.
            rules = [r for r in rules if r != "CONTRACT-STATUS"]
        if not rules:
            return None
        findings = []
        for key in sorted(
            (key for key in self.distinct if key[0] in rules), key=lambda key: (rules.index(key[0]), key[1], key[2])
        )[:MAX_FINDINGS_PER_OPERATION]:
            rule, first, count = key[0], self.distinct[key], self.distinct_counts[key]
            findings.append(
                ConformanceFailure(
                    rule,
                    f"{first.message}; {rule} in {count} of {self.cases} generated request(s)",
                    expected=first.expected,
                    actual=f"{first.actual} (case: {first.case})" if first.case else first.actual,
                    exchange=first.exchange,
                    rule_text=rule_text(rule),
                )
            )
        return ConformanceFailures(findings)

    def advisory_headline(self) -> str | None:
        rules = self.advisory_rules()
        if not rules:
            return None
        tally = ", ".join(f"{r} in {self.counts[r]}" for r in rules)
        where = "examples: properties.json, junit property 'advisory'"
        return f"{self.label}: advisory, not failed: {tally} of {self.cases} case(s) ({where})"

    def examples_of(self, rules: list[str]) -> dict[str, list[dict[str, str]]]:
        """The first cases of each rule, with their reproduction (for properties.json and junit)."""
        return {
            rule: [
                {
                    "case": f.case,
                    "answer": f.exchange.summary(),
                    "detail": _clip(str(f.actual)),
                    "reproduce": f.exchange.curl(),
                }
                for f in self.findings[rule]
            ]
            for rule in rules
        }

    def summary(self) -> dict[str, Any]:
        return {
            "operation": self.label,
            "cases": self.cases,
            "seconds": round(self.seconds, 3),
            "phases": dict(sorted(self.phases.items())),
            "modes": dict(sorted(self.modes.items())),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "first_answers": {str(k): v for k, v in sorted(self.examples.items())},
            "skipped": dict(self.skipped),
            "streams_cut_short": self.streams_cut,
            "canonical_request": self.canonical,
            "requests_sha256": self.digest.hexdigest(),
            "conformance": {r: self.counts[r] for r in self.conformance_rules()},
            "advisory": {r: self.counts[r] for r in self.advisory_rules()},
            "examples": self.examples_of(self.conformance_rules() + self.advisory_rules()),
        }


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."

"""Certification results, collected from pytest's own hooks and written as results.json and report.md.

Outcomes are kept apart: passed, failed (the target broke a rule), expected failure (a listed, known
deviation), stale (a listed failure that now passes), unsupported (the target does not offer the
feature), and harness error (the suite could not judge). junit.xml comes from pytest itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import conformance
from conformance.failures import ConformanceFailure

if TYPE_CHECKING:
    from conformance.session import CertificationSession

OUTCOMES = ("passed", "failed", "expected failure", "stale", "unsupported", "harness error")


@dataclass
class TestResult:
    nodeid: str
    area: str
    outcome: str
    duration: float = 0.0
    detail: dict[str, Any] | None = None


@dataclass
class Results:
    report_dir: Path | None
    tests: dict[str, TestResult] = field(default_factory=dict)
    harness_error: str | None = None
    expected_failures_file: str | None = None

    def record(
        self, item: pytest.Item, rep: pytest.TestReport, failure: ConformanceFailure | None, call: pytest.CallInfo
    ) -> None:
        area_marker = item.get_closest_marker("area")
        area = area_marker.args[0] if area_marker else "other"
        current = self.tests.get(item.nodeid)
        outcome = _outcome(rep, failure)
        if outcome is None:
            return
        if current is not None and current.outcome != "passed" and rep.when == "teardown" and outcome == "passed":
            return
        detail = None
        if failure is not None:
            detail = failure.as_dict()
        elif outcome in ("harness error", "unsupported", "expected failure", "stale"):
            detail = {"message": _longrepr_line(rep)}
        if current is None or outcome != "passed":
            self.tests[item.nodeid] = TestResult(item.nodeid, area, outcome, rep.duration, detail)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.tests.values():
            counts[result.outcome] += 1
        return counts

    def verdict(self) -> str:
        if self.harness_error:
            return "not certified (harness error)"
        counts = self.counts()
        if counts["harness error"]:
            return "not certified (harness error)"
        if counts["failed"] or counts["stale"]:
            return "fails"
        return "conforms"

    def write(self, cert: CertificationSession) -> list[Path]:
        assert self.report_dir is not None
        self.report_dir.mkdir(parents=True, exist_ok=True)
        data = self.as_dict(cert)
        json_path = self.report_dir / "results.json"
        json_path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        md_path = self.report_dir / "report.md"
        md_path.write_text(render_markdown(data), encoding="utf-8")
        return [json_path, md_path]

    def as_dict(self, cert: CertificationSession) -> dict[str, Any]:
        contract = cert.contract
        spec_sha = None
        if contract is not None:
            spec_sha = hashlib.sha256(json.dumps(contract.upstream, sort_keys=True).encode()).hexdigest()
        target = cert.target
        return {
            "suite": {"name": "langgraph-conformance", "version": conformance.__version__},
            "spec": {
                "version": contract.version if contract else None,
                "sha256_canonical": spec_sha,
                "errata": [e.id for e in contract.errata] if contract else [],
            },
            "target": {
                "name": target.name if target else cert.planned_name,
                "url": target.display_url if target else None,
                "embedded": target.embedded if target else cert.settings.target_url is None,
                "info": target.info if target else {},
            },
            "expected_failures_file": self.expected_failures_file,
            "finished_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "verdict": self.verdict(),
            "harness_error": self.harness_error,
            "counts": self.counts(),
            "cleanup": cert.cleanup_summary,
            "tests": [
                {
                    "id": r.nodeid,
                    "area": r.area,
                    "outcome": r.outcome,
                    "duration": round(r.duration, 3),
                    **({"detail": r.detail} if r.detail else {}),
                }
                for r in sorted(self.tests.values(), key=lambda r: r.nodeid)
            ],
        }


def _outcome(rep: pytest.TestReport, failure: ConformanceFailure | None) -> str | None:
    if rep.when == "call":
        if hasattr(rep, "wasxfail"):
            return "stale" if rep.passed or rep.failed else "expected failure"
        if rep.passed:
            return "passed"
        if rep.skipped:
            return "unsupported"
        return "failed" if failure is not None or _is_stale(rep) else "harness error"
    if rep.failed:  # setup or teardown
        if failure is not None:
            return "failed"
        return "stale" if _is_stale(rep) else "harness error"
    if rep.skipped and rep.when == "setup":
        return "unsupported"
    return None


def _is_stale(rep: pytest.TestReport) -> bool:
    return "[XPASS(strict)]" in str(rep.longrepr)


def _longrepr_line(rep: pytest.TestReport) -> str:
    if hasattr(rep, "wasxfail"):
        return rep.wasxfail
    text = str(rep.longrepr or "")
    if isinstance(rep.longrepr, tuple):
        text = str(rep.longrepr[2])
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E ")]
    return (errors[-1] if errors else lines[-1] if lines else "")[:500]


def render_markdown(data: dict[str, Any]) -> str:
    counts = data["counts"]
    lines = [
        f"# Conformance report: {data['target']['name']}",
        "",
        f"**Verdict: {data['verdict']}**",
        "",
        f"- target: {data['target']['url']} ({'embedded reference' if data['target']['embedded'] else 'external'})",
        f"- spec: langgraph-api OpenAPI {data['spec']['version']}, errata {', '.join(data['spec']['errata'])}",
        f"- suite: {data['suite']['name']} {data['suite']['version']}",
        f"- expected failures: {data['expected_failures_file'] or 'none'}",
        "",
        "| outcome | tests |",
        "| --- | ---: |",
        *[f"| {name} | {count} |" for name, count in counts.items()],
        "",
    ]
    if data["harness_error"]:
        lines += ["## Harness error", "", f"    {data['harness_error']}", ""]
    areas: dict[str, dict[str, int]] = {}
    for test in data["tests"]:
        areas.setdefault(test["area"], dict.fromkeys(OUTCOMES, 0))[test["outcome"]] += 1
    if areas:
        lines += ["## By area", "", "| area | " + " | ".join(OUTCOMES) + " |", "| --- |" + " ---: |" * len(OUTCOMES)]
        lines += [f"| {area} | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |" for area, c in sorted(areas.items())]
        lines.append("")
    problems = [t for t in data["tests"] if t["outcome"] not in ("passed",)]
    if problems:
        lines += ["## Not passed", ""]
        for test in problems:
            detail = test.get("detail") or {}
            lines.append(f"### `{test['id']}`: {test['outcome']}")
            lines.append("")
            if detail.get("rule"):
                lines.append(f"- rule **{detail['rule']}**: {detail.get('rule_text') or ''}")
            lines.append(f"- {detail.get('message', '')}")
            for key in ("expected", "actual", "exchange"):
                if detail.get(key):
                    lines.append(f"- {key}: `{detail[key]}`")
            if detail.get("reproduce"):
                lines += ["", "```", detail["reproduce"], "```"]
            lines.append("")
    return "\n".join(lines) + "\n"

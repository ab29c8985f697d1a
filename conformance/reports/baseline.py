"""Turn a certification's results.json into an expected-failures file: a regression gate for today.

An implementer who cannot fix everything at once certifies once, commits the baseline, and from then on
the run is green today and red on any change: a new failure fails, and a listed failure that starts
passing fails as stale. Each entry keeps the rule, the evidence that identifies the failure (its HTTP
status and the stable part of its message), and a one-line reason; the same test failing another way is
a new failure.

What the previous file declared by hand is kept: the reasons of its entries that still name the test's
failure (the same rule), ``unsupported_areas``, and a
target's ``release`` with the ``unsupported_operations`` and ``unsupported_tests`` it lacks
(conformance/plugin/release.py). Given the operations a release lacks (``conformance baseline --release``,
from the spec diff), the file states that release and lists them, keeping reasons written by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.contract.failures import message_signature

NOT_PASSING = ("failed", "expected failure", "stale")


def _short_id(nodeid: str) -> str:
    """ "conformance/tests/test_x.py::test_y[a/b]" -> "test_x.py::test_y[a/b]" (parameters may hold '/')."""
    path, _, name = nodeid.partition("::")
    return f"{path.rsplit('/', 1)[-1]}::{name}"


def _reason(detail: dict[str, Any]) -> str:
    parts = [detail.get("message") or "failed"]
    if detail.get("actual"):
        parts.append(f"got {detail['actual']}")
    text = "; ".join(parts).replace("\n", " ")
    return text if len(text) <= 240 else text[:237] + "..."


def _evidence(detail: dict[str, Any]) -> dict[str, Any]:
    """What identifies the failure: its status and the stable part of its message (ids and numbers out)."""
    evidence: dict[str, Any] = {}
    if isinstance(detail.get("status"), int):
        evidence["status"] = detail["status"]
    signature = message_signature(detail.get("message") or "")
    signature = signature.split(" [not the listed expected failure:")[0]
    if signature:
        evidence["message"] = signature if len(signature) <= 100 else signature[:100].rsplit(" ", 1)[0]
    return evidence


DECLARED = ("release", "unsupported_areas", "unsupported_operations", "unsupported_tests")  # kept as written


def _same_deviation(previous: dict[str, Any], entry: dict[str, Any]) -> bool:
    """The previous entry named the failure the test has now (its rule, or one of its ``or`` shapes): only
    then are its reason and its other shapes still true. A test that now fails another way (a fixture's
    deviation fixed, so the scenario itself is reached) gets a reason from its new failure."""
    shapes = [previous, *(s for s in previous.get("or") or [] if isinstance(s, dict))]
    return any(shape.get("rule") == entry.get("rule") for shape in shapes)


def baseline(
    results: dict[str, Any], previous: dict[str, Any] | None = None, release: Release | None = None
) -> dict[str, Any]:
    """Entries for every failing test; a reason already written by hand for the same failure is kept."""
    kept = {e["test"]: e for e in (previous or {}).get("expected_failures", []) or []}
    entries = []
    for test in results["tests"]:
        if test["outcome"] not in ("failed", "expected failure"):
            continue
        short = _short_id(test["id"])
        detail = test.get("detail") or {}
        entry = {"test": short}
        if detail.get("rule"):
            entry["rule"] = detail["rule"]
        evidence = _evidence(detail)
        if evidence:
            entry["evidence"] = evidence
        before = kept.get(short, {}) if _same_deviation(kept.get(short, {}), entry) else {}
        if before and before.get("rule") != entry.get("rule"):
            entries.append(dict(before))  # today it took one of its other shapes: the entry stays as written
            continue
        entry["reason"] = before.get("reason") or _reason(detail)
        if before.get("strict") is False:
            entry["strict"] = False
        if before.get("or"):
            entry["or"] = before["or"]  # other shapes of the same deviation, written by hand
        entries.append(entry)
    declared = {key: (previous or {})[key] for key in DECLARED if (previous or {}).get(key)}
    if release is not None:
        declared.update(release.entries((previous or {}).get("unsupported_operations"), results))
    data: dict[str, Any] = {"implementation": results["target"]["name"]}
    data.update({key: declared[key] for key in DECLARED if key in declared})
    data["expected_failures"] = entries
    return data


@dataclass
class Release:
    """A release the target is built on, and the operations the vendored spec has that it lacks."""

    name: str  # "langgraph-api 0.11.1"
    added: list[str]  # operations added after it, from the spec diff

    def entries(self, previous: Any, results: dict[str, Any]) -> dict[str, Any]:
        """``release`` and ``unsupported_operations``, keeping the reasons of operations already listed."""
        reasons = {}
        for raw in previous or []:
            if isinstance(raw, dict) and raw.get("operation") and raw.get("reason"):
                reasons[raw["operation"]] = raw["reason"]
        spec = (results.get("spec") or {}).get("release") or "the vendored spec"
        default = f"not in {self.name} (added after it; the vendored spec is {spec})"
        operations = [{"operation": op, "reason": reasons.get(op) or default} for op in sorted(self.added)]
        return {"release": self.name, "unsupported_operations": operations}


def write(results_path: Path, output: Path, release: Release | None = None) -> int:
    results = json.loads(results_path.read_text(encoding="utf-8"))
    previous = yaml.safe_load(output.read_text(encoding="utf-8")) if output.exists() else None
    data = baseline(results, previous, release)
    header = (
        f"# Expected failures of {data['implementation']}, from its certification "
        f"(conformance baseline {results_path.name}).\n"
        "# Each entry is a strict expected failure: a new failure or a listed one that passes fails the run.\n"
    )
    output.write_text(header + yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True), encoding="utf-8")
    return len(data["expected_failures"])

"""Turn a certification's results.json into an expected-failures file: a regression gate for today.

An implementer who cannot fix everything at once certifies once, commits the baseline, and from then on
the run is green today and red on any change: a new failure fails, and a listed failure that starts
passing fails as stale. Each entry keeps the rule and a one-line reason taken from the evidence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

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


def baseline(results: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Entries for every failing test; a reason already written by hand for the same test is kept."""
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
        entry["reason"] = kept.get(short, {}).get("reason") or _reason(detail)
        entries.append(entry)
    return {"implementation": results["target"]["name"], "expected_failures": entries}


def write(results_path: Path, output: Path) -> int:
    results = json.loads(results_path.read_text(encoding="utf-8"))
    previous = yaml.safe_load(output.read_text(encoding="utf-8")) if output.exists() else None
    data = baseline(results, previous)
    header = (
        f"# Expected failures of {data['implementation']}, from its certification "
        f"(conformance baseline {results_path.name}).\n"
        "# Each entry is a strict expected failure: a new failure or a listed one that passes fails the run.\n"
    )
    output.write_text(header + yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True), encoding="utf-8")
    return len(data["expected_failures"])

"""Turn a certification's results.json into an expected-failures file: a regression gate for today.

An implementer who cannot fix everything at once certifies once, commits the baseline, and from then on
the run is green today and red on any change: a new failure fails, and a listed failure that starts
passing fails as stale. There is one entry per *finding* (a test that broke three rules has three), each
with the rule, the evidence that identifies it (its HTTP status and its whole message with ids and numbers
replaced), and a reason citing the rule's sentence and source; any other finding of the same test is new.

What the previous file declared by hand is kept: the reasons of its entries that still name the test's
failure (the same rule), ``unsupported_areas``, and a
target's ``release`` with the ``unsupported_operations`` and ``unsupported_tests`` it lacks
(conformance/plugin/release.py). Given the operations a release lacks (``conformance baseline --release``,
from the spec diff), the file states that release and lists them, keeping reasons written by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.contract.failures import message_signature
from conformance.contract.rules import load_rules

_CASE = re.compile(r" \((?:(?:coverage|fuzzing|examples|explicit|stateful) phase|canonical).*$")
NOT_PASSING = ("failed", "expected failure", "stale")


def _short_id(nodeid: str) -> str:
    """ "conformance/tests/test_x.py::test_y[a/b]" -> "test_x.py::test_y[a/b]" (parameters may hold '/')."""
    path, _, name = nodeid.partition("::")
    return f"{path.rsplit('/', 1)[-1]}::{name}"


def _plain(message: str | None) -> str:
    """A finding's message without the note on whether the expected failures named it."""
    return (message or "").split(" [new: not the listed expected failure:")[0].split(" [listed]")[0]


def _reason(detail: dict[str, Any]) -> str:
    """Why this finding is the server's deviation: the rule's sentence and source it breaks, and what was
    seen. Written from the rules file, so a reason never merely restates the message; a reason written by
    hand for the same finding is kept instead (see :func:`baseline`)."""
    rule = detail.get("rule") or ""
    known = load_rules().get(rule, {})
    seen = _plain(detail.get("message")) or "failed"
    if detail.get("actual"):
        seen += f"; got {detail['actual']}"
    cites = "; ".join(list(dict.fromkeys(_cite(c) for c in known.get("cites") or []))[:3]) or known.get("source", "?")
    text = f"Breaks {rule}: {known.get('text', '').strip()} (cites {cites}). Seen: {seen}"
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:397] + "..."


def _cite(cite: dict[str, Any]) -> str:
    """One cite of spec/rules.yaml as a reader checks it: ``openapi:<pointer>``, ``erratum:E006``, a guide."""
    for kind in ("openapi", "erratum", "guide", "suite"):
        if kind in cite:
            return f"{kind}:{cite[kind]}" + (f' "{cite["quote"]}"' if kind == "guide" and cite.get("quote") else "")
    return "?"


def _evidence(detail: dict[str, Any]) -> dict[str, Any]:
    """What identifies the finding: its status and its whole message with ids and numbers out (never cut
    short: the JSON path of a schema finding is part of it)."""
    evidence: dict[str, Any] = {}
    if isinstance(detail.get("status"), int):
        evidence["status"] = detail["status"]
    signature = message_signature(_plain(detail.get("message")))
    if signature:
        evidence["message"] = signature
    return evidence


def findings_of(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The single findings a failed test showed (older results have one per test)."""
    return list(detail.get("findings") or [detail]) if detail else []


DECLARED = ("release", "unsupported_areas", "unsupported_operations", "unsupported_tests")  # kept as written


def _previous_for(previous: list[dict[str, Any]], entry: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The previous entry of the same test that names this finding (its rule and evidence, or one of its
    ``or`` shapes): only then are its reason and its other shapes still true. The flag says the finding
    took one of the entry's other shapes (then the entry stays as written)."""
    for before in previous:
        if before.get("test") != entry["test"]:
            continue
        for number, shape in enumerate([before, *(s for s in before.get("or") or [] if isinstance(s, dict))]):
            if shape.get("rule") != entry.get("rule"):
                continue
            listed = _legacy(message_signature((shape.get("evidence") or {}).get("message") or ""))
            status = (shape.get("evidence") or {}).get("status")
            found = entry.get("evidence") or {}
            if status is not None and found.get("status") is not None and status != found["status"]:
                continue
            if listed and listed not in (found.get("message") or ""):
                continue
            return before, number > 0
    # The message of a finding was reworded (the format moved on): a reason written by hand for the only
    # entry of that test and rule still names it.
    same = [b for b in previous if b.get("test") == entry["test"] and b.get("rule") == entry.get("rule")]
    status = (entry.get("evidence") or {}).get("status")
    if len(same) == 1 and _hand_written(same[0]) and (same[0].get("evidence") or {}).get("status") in (None, status):
        return same[0], False
    return None, False


def _legacy(signature: str) -> str:
    """An evidence message of the per-test format (before findings) as today's message would read."""
    signature = signature.replace(" (# error(s))", "").replace("[#]", "[*]")
    return _CASE.sub("", signature)  # the property layer's case moved out of its message


def _hand_written(before: dict[str, Any]) -> bool:
    """A reason somebody wrote, not one this module made from a message (those are made anew)."""
    reason = message_signature(before.get("reason") or "")
    if not reason:
        return False
    if reason.startswith("Breaks ") or ". Breaks " in reason:
        return False
    listed = message_signature((before.get("evidence") or {}).get("message") or "")
    return not (listed and reason.startswith(listed[:40]))


# "did not answer within 30 s", "the run did not finish within 60 s": a finding that a deadline ran out.
DEADLINE = re.compile(r"\bwithin \d+(?:\.\d+)? s\b")


def _deadline_bound(finding: dict[str, Any]) -> bool:
    """A finding that a wait ran out of time depends on how loaded the machine was as much as on the
    server: listed ``strict: false``, so its absence on a faster machine is not reported as a fix."""
    return bool(DEADLINE.search(str(finding.get("message") or "")))


def baseline(
    results: dict[str, Any], previous: dict[str, Any] | None = None, release: Release | None = None
) -> dict[str, Any]:
    """One entry per finding of every failing test; a reason already written by hand for it is kept."""
    before_entries = [e for e in (previous or {}).get("expected_failures", []) or [] if isinstance(e, dict)]
    entries: list[dict[str, Any]] = []
    for test in results["tests"]:
        if test["outcome"] not in ("failed", "expected failure", "stale"):
            continue
        short = _short_id(test["id"])
        detail = test.get("detail") or {}
        # A stale test (a listed finding no longer shows) may still show others: those stay listed.
        found = findings_of(detail) if test["outcome"] != "stale" else list(detail.get("findings") or [])
        for finding in found:
            entry: dict[str, Any] = {"test": short}
            if finding.get("rule"):
                entry["rule"] = finding["rule"]
            evidence = _evidence(finding)
            if evidence:
                entry["evidence"] = evidence
            if entry in ({k: e.get(k) for k in entry} for e in entries):
                continue  # the same finding twice in one test (two exchanges alike): one entry
            before, other_shape = _previous_for(before_entries, entry)
            if other_shape and before is not None:
                if before not in entries:
                    entries.append(dict(before))  # today it took one of its other shapes: kept as written
                continue
            before = before or {}
            entry["reason"] = before["reason"] if _hand_written(before) else _reason(finding)
            if before.get("strict") is False or _deadline_bound(finding):
                entry["strict"] = False
            if before.get("or"):
                entry["or"] = before["or"]  # other shapes of the same deviation, written by hand
            entries.append(entry)
    ran = {_short_id(test["id"]) for test in results["tests"]}
    for before in before_entries:
        # A known bug the generated data meets only sometimes stays listed while its test still runs.
        sometimes = before.get("strict") is False and before.get("test") in ran and before not in entries
        if sometimes and not any(e["test"] == before["test"] and e.get("rule") == before.get("rule") for e in entries):
            entries.append(dict(before))
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


def across_runs(runs: list[dict[str, Any]], previous: dict[str, Any] | None, release: Release | None) -> dict[str, Any]:
    """The baseline of several runs of one target: every finding any run showed, each tolerating exactly
    itself; one that not every run showed is ``strict: false`` (met only sometimes: by timing, or by what
    else the server held), so its absence is not stale, while any finding no run showed still fails."""
    data = baseline(runs[0], previous, release)
    if len(runs) == 1:
        return data
    key = lambda entry: (entry["test"], entry.get("rule"), json.dumps(entry.get("evidence"), sort_keys=True))  # noqa: E731
    seen: dict[tuple, int] = {}
    merged: dict[tuple, dict[str, Any]] = {}
    for run in runs:
        for entry in baseline(run, previous, release)["expected_failures"]:
            seen[key(entry)] = seen.get(key(entry), 0) + 1
            merged.setdefault(key(entry), entry)
    entries = []
    for k, entry in merged.items():
        if seen[k] < len(runs) and entry.get("strict") is not False:
            entry = {**entry, "strict": False}
            entry["reason"] = f"{entry['reason']} (seen in {seen[k]} of {len(runs)} runs)"
        entries.append(entry)
    data["expected_failures"] = sorted(entries, key=lambda e: (e["test"], e.get("rule") or "", str(e.get("evidence"))))
    return data


def write(results_path: Path, output: Path, release: Release | None = None, also: list[Path] | None = None) -> int:
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in [results_path, *(also or [])]]
    previous = yaml.safe_load(output.read_text(encoding="utf-8")) if output.exists() else None
    data = across_runs(runs, previous, release)
    header = (
        f"# Expected failures of {data['implementation']}, from its certification "
        f"(conformance baseline {results_path.name}).\n"
        "# Each entry is a strict expected failure: a new failure or a listed one that passes fails the run.\n"
    )
    output.write_text(header + yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True), encoding="utf-8")
    return len(data["expected_failures"])

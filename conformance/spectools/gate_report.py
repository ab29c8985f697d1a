"""What the spec gate found (the two sides, one item per change, the gate) and how it is shown.

Kept apart from the gate's reasoning (gate.py) so that a new output form or column is a change here and
nothing in the replay or the prediction moves: text for a terminal, markdown for a pull request, JSON for
a pipeline, and the table of the checks with their default levels (``spec gate --checks``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.document import Contract
from conformance.spectools.descriptions import Description
from conformance.spectools.diff import Change
from conformance.spectools.severity import DEFAULT_LEVELS, LEVELS, SIDES

SHOWN_TESTS = 6


# -------------------------------------------------------------------------------------------- report


@dataclass
class Side:
    """One document as the suite would check it."""

    label: str
    upstream: dict[str, Any]
    document: dict[str, Any]  # with the spec-bug errata applied
    skipped: list[str]  # errata that do not apply to this document
    contract: Contract | None = None


@dataclass
class Item:
    change: Change
    check: str
    levels: dict[str, str]
    subject: str = ""  # what "exercised" looked for
    exercised: list[str] | None = None  # None: no recording to tell
    would_fail: list[str] = field(default_factory=list)  # tests whose recorded answers now fail here
    predicted: str = ""  # what the gate predicts beyond the recording
    predicted_tests: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.change.as_dict(),
            "check": self.check,
            "levels": self.levels,
            "subject": self.subject,
            "exercised_by": self.exercised,
            "would_now_fail": self.would_fail,
            "predicted": self.predicted,
            "predicted_tests": self.predicted_tests,
        }


@dataclass
class Gate:
    old: Side
    new: Side
    items: list[Item]
    descriptions: list[Description]
    errata: list[str]  # errata problems on the new document
    keywords: list[str]  # OpenAPI 3.0 keywords left in the new contract
    recording: str | None
    replayed: int = 0
    would_fail: dict[str, list[str]] = field(default_factory=dict)  # test -> "operation status place"
    unattributed: dict[str, list[str]] = field(default_factory=dict)

    def levels(self) -> list[dict[str, str]]:
        found = [i.levels for i in self.items] + [d.levels for d in self.descriptions]
        if self.errata or self.keywords:
            found.append({"clients": "info", "servers": "error"})  # the contract itself would be wrong
        return found


# ------------------------------------------------------------------------------------------ rendering


def _levels_text(levels: dict[str, str]) -> str:
    return " ".join(f"{side}:{levels[side]}" for side in SIDES)


def _test_list(tests: list[str]) -> str:
    short = [t.removeprefix("conformance/tests/") for t in tests]
    shown = ", ".join(short[:SHOWN_TESTS])
    return shown + (f" (+{len(short) - SHOWN_TESTS} more)" if len(short) > SHOWN_TESTS else "")


def summary(gate: Gate) -> dict[str, Any]:
    levels = gate.levels()
    count = {f"{side}_{lvl}": sum(1 for lv in levels if lv.get(side) == lvl) for side in SIDES for lvl in LEVELS[1:]}
    untested = [i for i in gate.items if i.exercised == [] and not i.predicted_tests]
    return {
        "changes": len(gate.items),
        **count,
        "would_now_fail_tests": len(gate.would_fail),
        "predicted_fail_tests": len({t for i in gate.items for t in i.predicted_tests}),
        "untested_changes": len(untested) if gate.recording else None,
        "description_changes": len(gate.descriptions),
        "description_obligations": sum(d.obligation for d in gate.descriptions),
        "replayed_answers": gate.replayed,
    }


def render_text(gate: Gate) -> str:
    s = summary(gate)
    lines = [
        f"{gate.old.label} -> {gate.new.label} (errata applied to both): {s['changes']} change(s); "
        f"errors: {s['clients_error']} for clients, {s['servers_error']} for servers; "
        f"warnings: {s['clients_warning']} for clients, {s['servers_warning']} for servers",
    ]
    if gate.recording:
        lines.append(
            f"replayed {gate.replayed} recorded answer(s) ({gate.recording}): would now fail: "
            f"{s['would_now_fail_tests']} test(s); predicted to fail on a new server: {s['predicted_fail_tests']} "
            f"test(s); changes no test exercises: {s['untested_changes']}"
        )
    else:
        lines.append("no recorded run (--exchanges): no replay, no per-field test evidence")
    for problem in gate.errata:
        lines.append(f"ERRATUM: {problem}")
    for problem in gate.keywords:
        lines.append(f"KEYWORD: {problem}")
    grouped: dict[str, list[Item]] = {}
    for item in gate.items:
        grouped.setdefault(item.change.operation, []).append(item)
    for operation, items in grouped.items():
        lines += ["", operation]
        for item in items:
            c = item.change
            lines.append(f"  [{_levels_text(item.levels)}] {c.location}: {c.message}  ({item.check})")
            if item.exercised is not None and c.kind != "response-projection":
                shown = _test_list(item.exercised) if item.exercised else "NO TEST"
                lines.append(f"      exercised ({item.subject}): {shown}")
            if item.would_fail:
                lines.append(f"      would now fail: {len(item.would_fail)} test(s): {_test_list(item.would_fail)}")
            if item.predicted:
                lines.append(f"      predicted: {item.predicted}")
                if item.predicted_tests:
                    lines.append(f"        {_test_list(item.predicted_tests)}")
    untested = [i for i in gate.items if i.exercised == [] and not i.predicted_tests]
    if untested:
        lines += ["", f"changes no recorded test exercises ({len(untested)}):"]
        lines += [f"  {i.change.operation} {i.change.location}: {i.change.message}" for i in untested]
    if gate.unattributed:
        lines += ["", "recorded answers that would now fail, at no listed change:"]
        for where, tests in sorted(gate.unattributed.items()):
            lines.append(f"  {where}: {_test_list(sorted(tests))}")
    if gate.descriptions:
        lines += ["", "description changes (for review; * = new wording reads like an obligation):"]
        for d in gate.descriptions:
            mark = "*" if d.obligation else " "
            ops = ", ".join(d.operations[:4]) + (f" (+{len(d.operations) - 4})" if len(d.operations) > 4 else "")
            lines.append(f" {mark} {d.pointer} [{ops or 'no operation'}]")
            for sentence in d.added:
                lines.append(f"      + {sentence[:200]}")
            if not d.added:
                lines.append("      (links or spacing only)")
            if d.obligation and d.tests is not None:
                lines.append(f"      re-read the tests of these operations: {_test_list(d.tests) or 'none'}")
    return "\n".join(lines) + "\n"


def render_markdown(gate: Gate) -> str:
    s = summary(gate)
    lines = [
        f"## Spec gate: `{gate.old.label}` → `{gate.new.label}`",
        "",
        f"{s['changes']} change(s); errors: {s['clients_error']} for clients, {s['servers_error']} for servers. "
        f"Would now fail: {s['would_now_fail_tests']} test(s); predicted: {s['predicted_fail_tests']}; "
        f"untested changes: {s['untested_changes']}.",
        "",
        "| Operation | Where | Change | Clients | Servers | Exercised by | Would now fail / predicted |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in gate.items:
        c = item.change
        exercised = "n/a" if item.exercised is None else (str(len(item.exercised)) if item.exercised else "**none**")
        fail = f"{len(item.would_fail)}" + (f" / {len(item.predicted_tests)} predicted" if item.predicted else "")
        lines.append(
            f"| `{c.operation}` | `{c.location}` | {c.message} (`{item.check}`) | {item.levels['clients']} | "
            f"{item.levels['servers']} | {exercised} | {fail} |"
        )
    if gate.descriptions:
        lines += ["", "### Description changes", ""]
        for d in gate.descriptions:
            lines.append(f"- {'**obligation?** ' if d.obligation else ''}`{d.pointer}`: " + " ".join(d.added))
    for problem in [*gate.errata, *gate.keywords]:
        lines.append(f"- **contract**: {problem}")
    return "\n".join(lines) + "\n"


def render_json(gate: Gate) -> str:
    payload = {
        "old": gate.old.label,
        "new": gate.new.label,
        "summary": summary(gate),
        "recording": gate.recording,
        "errata": gate.errata,
        "keywords": gate.keywords,
        "changes": [i.as_dict() for i in gate.items],
        "would_now_fail": gate.would_fail,
        "unattributed": gate.unattributed,
        "descriptions": [d.as_dict() for d in gate.descriptions],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


def render_checks() -> str:
    """The checks and their default levels per side (``conformance spec gate --checks``)."""
    lines = ["check                                     clients  servers   (level when the side breaks)"]
    for check, levels in sorted(DEFAULT_LEVELS.items()):
        lines.append(f"{check:<42}{levels.get('clients', 'error'):<9}{levels.get('servers', 'error')}")
    lines.append("every other check                         error    error")
    lines.append("description-changed                       warning when the new wording reads like an obligation")
    return "\n".join(lines) + "\n"

"""reports/README.md: the results of every certified implementation side by side.

Built only from the published ``reports/*/results.json`` files (``conformance matrix``), never from a
live run, so the page always says exactly what the committed evidence says and can be rebuilt and
checked in CI (``conformance matrix --check``). In a git checkout a results.json that git ignores (a
developer's local run against their own server) is left out unless ``--all`` is given; otherwise a
local run would change the published matrix and make the check fail on that machine only.

Rows are areas and tests, columns are implementations. The output is deterministic for the same
inputs: implementations and tests are sorted and nothing depends on the clock, so rebuilding without new
results gives an identical file.

A target that states a langgraph-api release newer than the vendored spec's (``release:`` in its
expected-failures file; results.upcoming) is an **upcoming release**, not an implementation: its row goes
to a table of its own, beside the reference of the spec's release (``langgraph-api-<spec release>-inmem``),
with the tests whose outcome moved against that reference and a link to the folder's
DEVIATIONS-CHECKED.md, which says for each new finding whether the server or the contract moved.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.reports import deviations
from conformance.reports.results import OUTCOMES, upcoming

SYMBOLS = {
    "passed": "✅",
    "failed": "❌",
    "expected failure": "⚠️",
    "stale": "🔁",
    "unsupported": "⏭️",
    "harness error": "💥",
}
SUITE_PREFIX = "conformance/tests/"
CHECKED = "DEVIATIONS-CHECKED.md"


class MatrixError(ValueError):
    """A results.json that cannot be read; the matrix would silently omit an implementation."""


@dataclass(frozen=True)
class Implementation:
    folder: str  # the reports/ sub-folder, unique, used as the column name
    data: dict[str, Any]
    checked: bool = False  # the folder has a DEVIATIONS-CHECKED.md (findings checked by hand)

    @property
    def outcomes(self) -> dict[str, dict[str, Any]]:
        return {t["id"]: t for t in self.data.get("tests", [])}

    @property
    def upcoming(self) -> bool:
        return upcoming(self.data)


def _ignored_by_git(paths: list[Path]) -> set[Path]:
    """The paths git ignores; none when ``paths`` are not in a git checkout or git is not installed."""
    if not paths:
        return set()
    try:
        done = subprocess.run(
            ["git", "check-ignore", "--", *map(str, paths)],
            cwd=paths[0].parent,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    if done.returncode not in (0, 1):  # 128: not a git checkout
        return set()
    return {Path(line).resolve() for line in done.stdout.splitlines() if line.strip()}


def load(reports: Path, include_ignored: bool = False) -> list[Implementation]:
    found = []
    paths = sorted(p.resolve() for p in reports.glob("*/results.json"))
    ignored = set() if include_ignored else _ignored_by_git(paths)
    for path in paths:
        if path in ignored:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MatrixError(f"{path}: not readable JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("tests"), list) or "verdict" not in data:
            raise MatrixError(f"{path}: not a conformance results.json (no 'verdict' and 'tests')")
        found.append(Implementation(path.parent.name, data, (path.parent / CHECKED).exists()))
    return found


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _short(test_id: str) -> str:
    return test_id[len(SUITE_PREFIX) :] if test_id.startswith(SUITE_PREFIX) else test_id


def _test_cell(test: dict[str, Any] | None) -> str:
    if test is None:
        return "—"
    outcome = test["outcome"]
    text = f"{SYMBOLS.get(outcome, '')} {outcome}".strip()
    rule = (test.get("detail") or {}).get("rule")
    if rule and outcome in ("failed", "expected failure"):
        text += f" ({rule})"
    return _cell(text)


def _area_cell(tests: list[dict[str, Any]]) -> str:
    """ "31/34 ⚠️ 3": passed of run, then every outcome that is not a pass (a deviation never reads as passed)."""
    if not tests:
        return "—"
    counts = dict.fromkeys(OUTCOMES, 0)
    for test in tests:
        counts[test["outcome"]] += 1
    rest = " ".join(f"{SYMBOLS[o]} {counts[o]}" for o in OUTCOMES if counts[o] and o != "passed")
    return f"{counts['passed']}/{len(tests)}" + (f" {rest}" if rest else " ✅")


def _deviations_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The distinct deviations of a results.json (counted anew for one written before they were)."""
    return data["deviations"] if "deviations" in data else deviations.collect(data.get("tests") or [])


def _deviation_cell(area: str, data: dict[str, Any]) -> str:
    count = deviations.by_area(_deviations_of(data)).get(area, 0)
    return f" Δ {count}" if count else ""


def _score(verdict: dict[str, Any] | None) -> str:
    """A profile's score, "123/141 (87%)", or what stands in for one."""
    if not verdict or "total" not in verdict:
        return _cell((verdict or {}).get("verdict", "?"))
    total = verdict["total"]
    percent = f" ({100 * verdict['passed'] // total}%)" if total else ""
    return f"{verdict['passed']}/{total}{percent}"


NOT_RUNNABLE = "not-runnable.yaml"  # beside the report folders: implementations found but not certified here


def load_not_runnable(reports: Path) -> list[dict[str, str]]:
    """The implementations that were looked at and could not be run here, each with its reason."""
    import yaml

    path = reports / NOT_RUNNABLE
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("not_runnable") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("reason") for e in entries):
        raise MatrixError(f"{path}: expected not_runnable: a list of {{name, version, reason}}")
    return sorted(entries, key=lambda e: str(e.get("name")))


def _not_runnable_lines(entries: list[dict[str, str]]) -> list[str]:
    if not entries:
        return []
    lines = [
        "## Not certified here",
        "",
        "Implementations that were found but cannot run on this project's CI machines; none of them is a pass.",
        "",
        "| implementation | version | why not |",
        "| --- | --- | --- |",
    ]
    for entry in entries:
        name, version = _cell(entry.get("name", "?")), _cell(entry.get("version", "?"))
        lines.append(f"| {name} | {version} | {_cell(entry['reason'])} |")
    return [*lines, ""]


def _summary_row(impl: Implementation) -> str:
    data = impl.data
    verdicts = data.get("verdicts") or {}
    counts = data.get("counts") or {}
    spec = data.get("spec") or {}
    cells = [
        f"[{_cell(impl.folder)}]({impl.folder}/report.md)",
        _cell((data.get("target") or {}).get("info", {}).get("version") or "?"),
        _cell((data.get("target") or {}).get("release") or "—"),
        _score(verdicts.get("core")),
        _score(verdicts.get("full")),
        f"**{_cell(data['verdict'])}**",
        _cell(deviations.summary(_deviations_of(data))),
        _cell((data.get("gate") or {}).get("verdict", "?")),
        *[str(counts.get(o, 0)) for o in OUTCOMES],
        _cell((data.get("suite") or {}).get("version") or "?"),
        _cell(f"{spec.get('release') or spec.get('version')} ({(spec.get('sha256') or '?')[:12]})"),
    ]
    return "| " + " | ".join(cells) + " |"


def _reference_of_the_spec(impl: Implementation, implementations: list[Implementation]) -> Implementation | None:
    """The official in-memory server of the vendored spec's release (``langgraph-api-0.16.7-inmem``), if certified."""
    release = str((impl.data.get("spec") or {}).get("release") or "")
    name = release.replace(" ", "-") + "-inmem"
    return next((other for other in implementations if other.folder == name and not other.upcoming), None)


def _moved(impl: Implementation, reference: Implementation | None) -> str:
    """Tests that pass on one and not on the other: "now passes N, now fails M" against the reference."""
    if reference is None:
        return "—"
    before = {test_id: test["outcome"] == "passed" for test_id, test in reference.outcomes.items()}
    now = {test_id: test["outcome"] == "passed" for test_id, test in impl.outcomes.items()}
    gained = sum(1 for test_id, ok in now.items() if ok and before.get(test_id) is False)
    lost = sum(1 for test_id, ok in now.items() if not ok and before.get(test_id) is True)
    return f"now passes {gained}, now fails {lost}"


def _upcoming_section(rows: list[Implementation], implementations: list[Implementation]) -> list[str]:
    lines = [
        "## Upcoming releases",
        "",
        "Pre-releases of the official server (`./run.sh upcoming VERSION`: langgraph-api with the",
        "langgraph-runtime-inmem its wheel requires, the same fixture graphs) judged by today's contract: what a",
        "server author will face. *Moved* compares each test with the reference of the vendored spec's release",
        "(passed there and not here, or the other way round); *checked* says, for each finding that reference",
        "does not have, whether the server moved or the contract did.",
        "",
        "| release | against | moved | checked | version (/info) | core | full | certification | deviations | gate | "
        + " | ".join(OUTCOMES)
        + " |",
        "| --- | --- | --- | --- | --- | ---: | ---: | --- | --- | --- |" + " ---: |" * len(OUTCOMES),
    ]
    for impl in rows:
        data = impl.data
        reference = _reference_of_the_spec(impl, implementations)
        verdicts = data.get("verdicts") or {}
        counts = data.get("counts") or {}
        cells = [
            f"[{_cell((data.get('target') or {}).get('release'))}]({impl.folder}/report.md)",
            f"[{_cell(reference.folder)}]({reference.folder}/report.md)" if reference else "—",
            _moved(impl, reference),
            f"[{CHECKED}]({impl.folder}/{CHECKED})" if impl.checked else "—",
            _cell((data.get("target") or {}).get("info", {}).get("version") or "?"),
            _score(verdicts.get("core")),
            _score(verdicts.get("full")),
            f"**{_cell(data['verdict'])}**",
            _cell(deviations.summary(_deviations_of(data))),
            _cell((data.get("gate") or {}).get("verdict", "?")),
            *[str(counts.get(o, 0)) for o in OUTCOMES],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def render(implementations: list[Implementation], not_runnable: list[dict[str, str]] | None = None) -> str:
    lines = [
        "# Conformance results",
        "",
        "Generated by `conformance matrix` from `reports/*/results.json`; do not edit by hand.",
        "Each implementation's folder holds its full report (`report.md`, `report.html`, `junit.xml`),",
        "the evidence (`results.json`) and its declared known deviations (`expected-failures.yaml`).",
        "",
        "Legend: " + ", ".join(f"{SYMBOLS[o]} {o}" for o in OUTCOMES) + ", — not run.",
        "",
    ]
    if not implementations:
        return "\n".join([*lines, "No results yet: run the suite to write `reports/<target-name>/results.json`.", ""])
    names = [impl.folder for impl in implementations]
    lines += [
        "## Implementations",
        "",
        "The **certification** says how far an implementation conforms: tests passed of those run, per profile",
        "(a listed deviation is still a deviation; an unsupported test is not a pass). The **gate** says whether",
        "its run is clean against its own expected-failures file (nothing new, nothing stale). An",
        "implementation built on an older release than the spec states it (release); what that release lacks",
        "is unsupported.",
        "",
        "| implementation | version (/info) | release | core | full | certification | deviations | gate | "
        + " | ".join(OUTCOMES)
        + " | suite | spec |",
        "| --- | --- | --- | ---: | ---: | --- | --- | --- |" + " ---: |" * len(OUTCOMES) + " --- | --- |",
    ]
    current = [impl for impl in implementations if not impl.upcoming]
    lines += [_summary_row(impl) for impl in current]
    lines.append("")
    upcoming_rows = [impl for impl in implementations if impl.upcoming]
    if upcoming_rows:
        lines += _upcoming_section(upcoming_rows, implementations)
    lines += _not_runnable_lines(not_runnable or [])

    by_area: dict[str, dict[str, list[dict[str, Any]]]] = {}  # area -> implementation -> tests
    ids_by_area: dict[str, set[str]] = {}
    for impl in implementations:
        for test in impl.data["tests"]:
            by_area.setdefault(test["area"], {}).setdefault(impl.folder, []).append(test)
            ids_by_area.setdefault(test["area"], set()).add(test["id"])
    lines += [
        "## By area",
        "",
        "Passed of run, then the outcomes that were not a pass, then the distinct deviations seen in the area",
        "(Δ: each named once, however many tests it affects).",
        "",
        "| area | " + " | ".join(map(_cell, names)) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for area in sorted(by_area):
        cells = [
            _area_cell(by_area[area].get(name, [])) + _deviation_cell(area, impl.data)
            for name, impl in zip(names, implementations, strict=True)
        ]
        lines.append(f"| {_cell(area)} | " + " | ".join(cells) + " |")
    lines.append("")

    lines += ["## By test", ""]
    outcomes = {impl.folder: impl.outcomes for impl in implementations}
    for area in sorted(ids_by_area):
        lines += [
            f"### {area}",
            "",
            "| test | " + " | ".join(map(_cell, names)) + " |",
            "| --- |" + " --- |" * len(names),
        ]
        for test_id in sorted(ids_by_area[area]):
            cells = [_test_cell(outcomes[name].get(test_id)) for name in names]
            lines.append(f"| `{_cell(_short(test_id))}` | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def build(reports: Path, output: Path | None = None, include_ignored: bool = False) -> tuple[Path, str]:
    """Render the matrix for ``reports``; returns where it belongs and its text (the caller writes it)."""
    return output or reports / "README.md", render(load(reports, include_ignored), load_not_runnable(reports))

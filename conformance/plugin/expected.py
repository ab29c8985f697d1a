"""What a target is expected to do: its profile, the areas it does not offer, and its known failures.

A *profile* names the API areas a certification covers: ``core`` is what every Agent Server must get
right (threads, their status, search, background runs, state); ``full`` is every area the suite has.
Tests outside the profile are deselected, so a core certificate says nothing about the rest.

A target may declare *unsupported areas* (``--unsupported-areas`` or ``unsupported_areas:`` in its
expected-failures file). Their tests are skipped and reported as *unsupported*, never as passed, so a
report can never claim conformance for a feature the target does not have. A target built on an older
langgraph-api release than the vendored spec states it (``release:``) with the operations and tests it
lacks (``unsupported_operations:``, ``unsupported_tests:``); see conformance/plugin/release.py.

*Expected failures* are known deviations, each with a reason. A listed test becomes a strict xfail: if it
fails with a conformance failure (of the listed rule, when one is given) it is an *expected failure*; if
it passes, the run fails as *stale*, so the list can only shrink honestly. A harness error in a listed
test is never hidden by the list. An entry naming a test that does not exist is reported, because a
typo there would otherwise silently turn a real failure into a red run nobody can explain.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.contract.failures import ConformanceFailure, message_signature
from conformance.contract.yamlio import SAFE_LOADER
from conformance.paths import BASELINES_DIR, PACKAGE_DIR, display_path
from conformance.plugin import release as releases
from conformance.reports.plan import DEFAULT_PROFILE, PROFILES, Plan

SUITE_DIR = PACKAGE_DIR / "tests"


@dataclass(frozen=True)
class ExpectedFailure:
    test: str  # "test_module.py::test_name", matched against the end of the node id
    reason: str
    rule: str | None = None
    link: str | None = None
    status: int | None = None  # evidence: the HTTP status the failure showed
    message: str | None = None  # evidence: a fragment of the failure's message signature
    strict: bool = True  # False: a known bug the generated data meets only sometimes; a pass is not stale
    # Other shapes the same known deviation takes (a server that answers 500 on one machine and drops the
    # connection on another): each an entry of its own rule and evidence; the failure must match one.
    alternatives: tuple[ExpectedFailure, ...] = ()

    def identifies(self, failure: ConformanceFailure) -> str | None:
        """None when ``failure`` is the failure this entry (or one of its alternatives) names; else how it differs."""
        differs = self._differs(failure)
        if differs is None or any(alt._differs(failure) is None for alt in self.alternatives):
            return None
        return differs

    def _differs(self, failure: ConformanceFailure) -> str | None:
        if self.rule and failure.rule != self.rule:
            return f"rule {failure.rule}, not the listed {self.rule}"
        if self.status is not None and failure.status is not None and failure.status != self.status:
            return f"status {failure.status}, not the listed {self.status}"
        if self.message and message_signature(self.message) not in message_signature(failure.message):
            return f"message {failure.message!r} does not contain the listed {self.message!r}"
        return None

    def matches(self, nodeid: str) -> bool:
        return nodeid == self.test or nodeid.endswith("/" + self.test)

    @property
    def module(self) -> str:
        return self.test.split("::", 1)[0]


@dataclass
class Judged:
    """Findings of one test against its entries: which are new, which entries were not seen."""

    new: list[ConformanceFailure]  # findings no entry names: new deviations, they fail the gate
    unseen: list[ExpectedFailure]  # entries none of whose findings occurred


def judge(entries: list[ExpectedFailure], failures: list[ConformanceFailure]) -> Judged:
    """Match each finding with the entry that names it (rule and evidence); mark the matched ones ``listed``.

    An entry tolerates exactly the finding it names: any other finding of the same test is new.
    """
    new, seen = [], set()
    for failure in failures:
        entry = next((e for e in entries if e.identifies(failure) is None), None)
        if entry is None:
            closest = min((e.identifies(failure) or "" for e in entries), key=len, default="")
            failure.unlisted_because = closest or "no entry lists this test"
            new.append(failure)
        else:
            failure.listed_reason = entry.reason
            seen.add(id(entry))
    return Judged(new=new, unseen=[e for e in entries if id(e) not in seen])


class PlanError(ValueError):
    """The profile, the unsupported areas or the expected-failures file cannot be used."""


class ExpectedFailuresError(PlanError):
    pass


@dataclass
class ExpectedFile:
    entries: list[ExpectedFailure] = field(default_factory=list)
    unsupported_areas: dict[str, str] = field(default_factory=dict)  # area -> reason
    release: releases.Release = field(default_factory=releases.Release)


def _evidence(path: Path, test: str, raw: dict) -> dict[str, Any]:
    evidence = raw.get("evidence") or {}
    if not isinstance(evidence, dict) or not set(evidence) <= {"status", "message"}:
        raise ExpectedFailuresError(f"{path}: {test}: evidence holds only 'status' and 'message'")
    if evidence.get("status") is not None and not isinstance(evidence["status"], int):
        raise ExpectedFailuresError(f"{path}: {test}: evidence status must be a number")
    return {"status": evidence.get("status"), "message": evidence.get("message")}


def load_file(path: Path) -> ExpectedFile:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    except FileNotFoundError:
        raise ExpectedFailuresError(f"expected-failures file not found: {path}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}: {getattr(exc, 'problem', '')})" if mark else ""
        raise ExpectedFailuresError(f"expected-failures file {path} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ExpectedFailuresError(f"{path}: expected a mapping with 'expected_failures' and 'unsupported_areas'")
    result = ExpectedFile()
    for raw in data.get("expected_failures", []) or []:
        if not isinstance(raw, dict) or not raw.get("test") or not raw.get("reason"):
            raise ExpectedFailuresError(f"{path}: every entry needs 'test' and 'reason', got {raw!r}")
        others = raw.get("or") or []
        if not isinstance(others, list) or not all(isinstance(o, dict) and o.get("rule") for o in others):
            raise ExpectedFailuresError(f"{path}: {raw['test']}: 'or' is a list of {{rule, evidence}}")
        alternatives = tuple(
            ExpectedFailure(raw["test"], raw["reason"], o["rule"], **_evidence(path, raw["test"], o)) for o in others
        )
        result.entries.append(
            ExpectedFailure(
                test=raw["test"],
                reason=raw["reason"],
                rule=raw.get("rule"),
                link=raw.get("link"),
                strict=raw.get("strict", True) is not False,
                alternatives=alternatives,
                **_evidence(path, raw["test"], raw),
            )
        )
    for raw in data.get("unsupported_areas", []) or []:
        if isinstance(raw, str) and raw.strip():
            result.unsupported_areas[raw.strip()] = f"declared in {display_path(path)}"
        elif isinstance(raw, dict) and isinstance(raw.get("area"), str):
            result.unsupported_areas[raw["area"]] = raw.get("reason") or f"declared in {display_path(path)}"
        else:
            raise ExpectedFailuresError(f"{path}: unsupported_areas entries are area names or {{area, reason}}")
    try:
        result.release = releases.parse(data, display_path(path) or str(path))
    except ValueError as exc:
        raise ExpectedFailuresError(f"{path}: {exc}") from None
    return result


def load(path: Path) -> list[ExpectedFailure]:
    return load_file(path).entries


def default_for(target_name: str) -> Path | None:
    """The committed expected-failures file of a known implementation, if there is one."""
    candidate = BASELINES_DIR / target_name / "expected-failures.yaml"
    return candidate if candidate.exists() else None


def known_names() -> list[str]:
    """The implementations whose expected failures the suite carries (reports/<name>/, in a wheel baselines/)."""
    return sorted(p.parent.name for p in BASELINES_DIR.glob("*/expected-failures.yaml"))


def resolve_file(value: str) -> Path:
    """The expected-failures file ``--expected-failures`` names: a file, or a known implementation by name.

    A value that is an existing file, or has a path separator, is a file (a folder holding an
    expected-failures.yaml stands for it). Otherwise it is looked up among the implementations the suite
    carries (``langgraph-api-0.16.7-inmem``), so a user of the installed wheel can select one without
    knowing where site-packages keeps it; a name that matches none is refused with the names that exist.
    """
    path = Path(value)
    if path.is_dir() and (path / "expected-failures.yaml").is_file():
        return path / "expected-failures.yaml"  # a report folder, as `conformance baseline` leaves it
    if path.is_file() or "/" in value or "\\" in value:
        return path
    known = default_for(value) if value not in ("", ".", "..") else None
    if known is not None:
        return known
    raise ExpectedFailuresError(
        f"{value!r} is neither an expected-failures file nor the name of a known implementation "
        f"(known: {', '.join(known_names()) or 'none'})"
    )


def _file_for(settings: Any, target_name: str) -> Path | None:
    path = getattr(settings, "expected_failures", None)
    return resolve_file(str(path)) if path else default_for(target_name)


# ------------------------------------------------------------------------------------------ the plan


def area_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("area")
    return str(marker.args[0]) if marker is not None and marker.args else None


def _split_areas(raw: Any) -> list[str]:
    values = raw if isinstance(raw, list | tuple) else [raw] if raw else []
    return [a.strip() for value in values for a in str(value).split(",") if a.strip()]


def precheck(settings: Any, target_name: str) -> None:
    """What can be refused before any test is collected: the profile and the expected-failures file.

    An xdist controller collects nothing, so it calls this before its workers start; the checks that
    need the collected tests (an entry naming no test) are the workers' (conformance/plugin/parallel.py).
    """
    profile = getattr(settings, "profile", None) or DEFAULT_PROFILE
    if profile not in PROFILES:
        raise PlanError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    file = _file_for(settings, target_name)
    if file is not None:
        load_file(file)


def plan(
    config: pytest.Config,
    items: list[pytest.Item],
    settings: Any,
    target_name: str,
    known_areas: tuple[str, ...],
    known_operations: Collection[str] | None = None,
) -> Plan:
    """Select, skip and mark the collected tests for this target; ``items`` is changed in place.

    Runs before pytest's own ``-k``/``-m`` deselection, so an expected failure naming a test that exists
    but was filtered out by the user is not mistaken for an unknown test. ``known_operations`` are the
    contract's (None when it cannot be read: the session reports that).
    """
    profile = getattr(settings, "profile", None) or DEFAULT_PROFILE
    if profile not in PROFILES:
        raise PlanError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    file = _file_for(settings, target_name)
    loaded = load_file(file) if file is not None else ExpectedFile()
    result = Plan(profile=profile, expected_failures_file=display_path(file), entries=loaded.entries)
    result.unsupported_areas = dict(loaded.unsupported_areas)
    result.release = loaded.release.release
    result.unsupported_operations = dict(loaded.release.operations)
    result.unsupported_tests = dict(loaded.release.tests)
    for area in _split_areas(getattr(settings, "unsupported_areas", None)):
        result.unsupported_areas[area] = "declared with --unsupported-areas"

    conformance_items = [i for i in items if area_of(i) is not None]
    present_areas = {area_of(i) for i in conformance_items}
    result.unknown_areas = sorted(a for a in result.unsupported_areas if a not in present_areas | set(known_areas))
    by_node_id = any("::" in str(arg) for arg in config.args)  # only some tests or parameters selected
    listed_unsupported = [ExpectedFailure(test=t, reason=r) for t, r in loaded.release.tests.items()]
    result.unknown_expected_failures = _unknown(loaded.entries + listed_unsupported, conformance_items, by_node_id)
    if result.unknown_expected_failures:
        names = ", ".join(u["test"] for u in result.unknown_expected_failures)
        raise ExpectedFailuresError(
            f"expected-failures file {display_path(file)} names tests the suite does not have: {names}"
        )
    unknown_operations = releases.unknown_operations(loaded.release, known_operations)
    if unknown_operations:
        raise ExpectedFailuresError(
            f"expected-failures file {display_path(file)} declares unsupported operations the spec does not have: "
            + ", ".join(unknown_operations)
        )
    checked = releases.checked_operations(conformance_items) if loaded.release.operations else {}
    if result.unknown_areas:
        raise PlanError(
            f"unsupported areas {', '.join(result.unknown_areas)} are not areas of the suite "
            f"(areas: {', '.join(known_areas)})"
        )

    kept, dropped = [], []
    for item in items:
        area = area_of(item)
        if area is None:
            kept.append(item)
            continue
        if not result.in_profile(area):
            dropped.append(item)
            continue
        kept.append(item)
        if area in result.unsupported_areas:
            why = result.unsupported_areas[area]
            item.add_marker(pytest.mark.skip(reason=f"unsupported: the target does not offer area {area!r} ({why})"))
            continue
        lacking = releases.reason_for(item, loaded.release, checked)
        if lacking is not None:
            item.add_marker(pytest.mark.skip(reason=f"unsupported: {lacking}"))
            result.unsupported_listed.extend(e.test for e in loaded.entries if e.matches(item.nodeid))
            continue
        listed = [entry for entry in loaded.entries if entry.matches(item.nodeid)]
        if listed:
            reason = "; ".join(dict.fromkeys(entry.reason for entry in listed))
            rules = ", ".join(dict.fromkeys(entry.rule for entry in listed if entry.rule))
            item.add_marker(pytest.mark.expected_failure(reason=reason, rule=rules or None, entries=listed))
            item.add_marker(
                pytest.mark.xfail(
                    reason=f"expected failure: {reason}",
                    strict=any(entry.strict for entry in listed),
                    raises=ConformanceFailure,
                )
            )
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    result.deselected = len(dropped)
    return result


def _unknown(
    entries: list[ExpectedFailure], items: list[pytest.Item], by_node_id: bool = False
) -> list[dict[str, Any]]:
    """Entries that name no test. A module this run did not collect is judged by whether its file exists."""
    collected_modules = {i.nodeid.split("::", 1)[0] for i in items}
    folders = {Path(str(i.path)).parent for i in items} | {SUITE_DIR}
    unknown = []
    for entry in entries:
        if any(entry.matches(i.nodeid) for i in items):
            continue
        files = [folder / entry.module for folder in folders if (folder / entry.module).exists()]
        module_collected = any(m == entry.module or m.endswith("/" + entry.module) for m in collected_modules)
        if not files or (module_collected and not _defined_in(entry, files[0], [] if by_node_id else items)):
            unknown.append({"test": entry.test, "rule": entry.rule, "reason": entry.reason})
    return unknown


def _defined_in(entry: ExpectedFailure, module: Path, items: list[pytest.Item]) -> bool:
    """For a module only part of which was selected (node ids on the command line): the test is defined there.

    When the function was collected, its parameters are known and must match exactly; otherwise the
    function's name must be defined in the file.
    """
    name = entry.test.split("::", 1)[1] if "::" in entry.test else ""
    function = name.split("[", 1)[0]
    if any(
        getattr(i, "originalname", None) == function and i.nodeid.split("::", 1)[0].endswith(entry.module)
        for i in items
    ):
        return False  # collected with all its parameters, and none matched
    return re.search(rf"^(async )?def {re.escape(function)}\(", module.read_text(encoding="utf-8"), re.M) is not None


# ------------------------------------------------------------------------- capabilities the server declares

# /info ``flags`` that switch a whole API area off, the areas they cover, and the operations of the
# property layer that belong to them (by path). A server that says ``"crons": false`` is taken at its word:
# those tests are *unsupported (declared by the server)*, never passed and never a hundred failures.
DECLARED_FLAGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "crons": (("crons",), ("/runs/crons", "/threads/{thread_id}/runs/crons")),
}


def declared_unsupported(info: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """flag -> (why, areas, operation paths) for every capability the target's /info declares off."""
    flags = info.get("flags") if isinstance(info, dict) else None
    found = {}
    for flag, (areas, paths) in DECLARED_FLAGS.items():
        if isinstance(flags, dict) and flags.get(flag) is False:
            found[flag] = (f"declared by the server: /info flags.{flag} is false", areas, paths)
    return found


def apply_declared(items: list[pytest.Item], info: dict[str, Any], plan: Plan) -> None:
    """Mark the tests of capabilities the server declares off as unsupported, with the flag as evidence."""
    for why, areas, paths in declared_unsupported(info).values():
        for area in areas:
            plan.unsupported_areas.setdefault(area, why)
        for item in items:
            operation = getattr(getattr(item, "callspec", None), "params", {}).get("operation", "")
            by_path = area_of(item) == "properties" and any(operation.split(" ", 1)[-1].startswith(p) for p in paths)
            if area_of(item) in areas or by_path:
                item.add_marker(pytest.mark.skip(reason=f"unsupported: {why}"))

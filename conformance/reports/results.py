"""Certification results: each test's outcome and evidence, the verdicts, and the data every report renders.

Outcomes are kept apart: passed, failed (the target broke a rule), expected failure (a listed, known
deviation), stale (a listed failure that now passes), unsupported (the target does not offer the
feature), and harness error (the suite could not judge). junit.xml comes from pytest itself.

Two results come out of every run, and every report shows both:

* the **certification**: how far the target conforms, per profile and per area, as "N of M passed".
  ``conforms`` only when every selected test passed; a listed (known) deviation is still a deviation
  (``does not conform``), and an unsupported test is never a pass (``conforms where supported``);
* the **gate**: nothing failed beyond the listed expected failures and none of them is stale. The exit
  code is the gate's: 0 pass, 1 fail.

Harness errors are never the target's failures. At start (target unreachable, fixture graphs missing,
spec unreadable) the plugin ends the session with exit code 6. Inside a test, an exception that is not a
ConformanceFailure is a *harness error* outcome: when nothing failed, the exit code is 6 (gate ``error``),
since nothing wrong was proven about the target but it cannot be called conforming either.

Every string written here passes through :meth:`Results.scrub`, which removes the API key, the values of
``--target-header`` and credentials in URLs, so no report can leak a secret even if a message quoted one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

import conformance
from conformance.contract.document import operation_of  # re-exported: reports name operations with it
from conformance.paths import display_path, spec_dir
from conformance.reports import deviations
from conformance.reports.plan import PROFILES, Plan

if TYPE_CHECKING:
    from conformance.contract.document import Contract


class Certified(Protocol):
    """What the results data needs of a certification session (conformance/plugin/session.py has one);
    a protocol, so the reports never import the plugin that writes them."""

    id: str
    settings: Any
    planned_name: str | None
    cleanup_summary: Any
    contract: Contract | None
    target: Any


OUTCOMES = ("passed", "failed", "expected failure", "stale", "unsupported", "harness error")
# The certification: how far the target conforms (every selected test counts; a listed deviation is still
# a deviation, an unsupported test is not a pass).
CONFORMS = "conforms"  # every test passed
WHERE_SUPPORTED = "conforms where supported"  # every test of a supported area passed; some areas unsupported
DEVIATES = "does not conform"  # some test failed, or is a listed (known) deviation, or is stale
HARNESS = "not certified (harness error)"
PARTIAL = "not certified (partial run)"  # -k, -m, node ids, deselected tests: nothing wrong seen, nothing proven
NOT_EVALUATED = "not evaluated"
# The gate: nothing beyond the listed deviations, none of them stale. The exit code is the gate's.
GATE_PASS = "pass"
GATE_FAIL = "fail"
GATE_ERROR = "error"
DEVIATIONS = ("failed", "expected failure", "stale")
REDACTED = "<redacted>"
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"]+@")


@dataclass
class TestResult:
    nodeid: str
    area: str
    outcome: str
    duration: float = 0.0
    detail: dict[str, Any] | None = None


def secrets_of(settings: Any, extra: Any = ()) -> tuple[str, ...]:
    """The values that must never be shown: the API key, header values (``--target-header`` and each
    ``--auth-user``'s), passwords in the target URLs, and ``extra`` (the tokens of the auth area's own
    deployment, when the suite starts one)."""
    found: list[str] = [str(value) for value in extra if value]
    api_key = getattr(settings, "api_key", None)
    if api_key:
        found.append(str(api_key))
    headers = [*(getattr(settings, "target_header", None) or ())]
    headers += [user.partition("=")[2] for user in getattr(settings, "auth_user", None) or ()]
    for header in headers:
        value = header.split(":", 1)[1].strip() if ":" in header else ""
        if value:
            found.append(value)
            found += [word for word in value.split() if len(word) >= 8]  # the token of "Bearer <token>"
    for url in (getattr(settings, "target_url", None), getattr(settings, "auth_url", None)):
        if url:
            parts = urlsplit(url)
            found += [p for p in (parts.password, parts.username) if p]
    # Longest first, so a value that contains another is replaced whole. Values of one to three characters
    # are not secrets anyone relies on, and replacing them would mangle every report.
    return tuple(sorted({s for s in found if len(s) >= 4}, key=len, reverse=True))


@dataclass
class Results:
    report_dir: Path | None
    tests: dict[str, TestResult] = field(default_factory=dict)
    harness_error: str | None = None
    expected_failures_file: str | None = None
    plan: Plan | None = None
    secrets: tuple[str, ...] = ()
    operations: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # nodeid -> {(method, path)}
    plan_error: str | None = None  # on an xdist worker: why the plan was refused (its controller says it)
    property_summary: dict[str, Any] | None = None  # the property layer's, once its session fixture ends
    partial: str | None = None  # why this run is not the whole suite (-k, -m, node ids, ...), if it is not

    # ---------------------------------------------------------------------------------------- recording
    def add(self, record: dict[str, Any] | None) -> None:
        """Take one phase's record: a later phase changes the outcome only to a worse one."""
        if record is None:
            return
        nodeid, outcome = record["nodeid"], record["outcome"]
        current = self.tests.get(nodeid)
        if current is not None and current.outcome != "passed" and record["when"] == "teardown" and outcome == "passed":
            return
        if current is None or outcome != "passed":
            self.tests[nodeid] = TestResult(nodeid, record["area"], outcome, record["duration"], record["detail"])

    def scrub(self, value: Any) -> Any:
        """``value`` with every secret replaced by a placeholder (strings, and strings inside lists/dicts)."""
        if isinstance(value, str):
            text = _URL_CREDENTIALS.sub(r"\1", value)
            for secret in self.secrets:
                text = text.replace(secret, REDACTED)
            return text
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(v) for v in value]
        return value

    # ------------------------------------------------------------------------------------------ verdicts
    def counts(self, tests: list[TestResult] | None = None, contract: bool = False) -> dict[str, int]:
        """Outcomes per test; ``contract``: a test whose findings all belong to the reference-compatible
        profile (the official server's behaviour where the document is silent) counts as passed."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.tests.values() if tests is None else tests:
            counts[_contract_outcome(result) if contract else result.outcome] += 1
        return counts

    def certify(self, tests: list[TestResult] | None = None, whole: bool = True) -> dict[str, Any]:
        """How far ``tests`` (default: every test of the run) conform: verdict, why, passed of total.

        ``whole``: the verdict speaks for the run or a profile, so a partial run is never a certification
        (an area's verdict speaks for its tests only)."""
        selected = list(self.tests.values()) if tests is None else tests
        counts = self.counts(selected, contract=True)
        total, passed = len(selected), counts["passed"]
        score = {"passed": passed, "total": total}
        deviations = sum(counts[o] for o in DEVIATIONS)
        if self.harness_error:
            return {"verdict": HARNESS, "why": "the suite could not start certifying the target", **score}
        if not selected:
            return {"verdict": NOT_EVALUATED, "why": "no test ran", **score}
        if deviations:
            parts = [f"{counts[o]} {o}" for o in DEVIATIONS if counts[o]]
            return {"verdict": DEVIATES, "why": f"{passed} of {total} passed; " + ", ".join(parts), **score}
        if counts["harness error"]:
            why = f"{passed} of {total} passed; {counts['harness error']} could not be judged"
            return {"verdict": HARNESS, "why": why, **score}
        if self.partial and whole:
            return {
                "verdict": PARTIAL,
                "why": f"{passed} of {total} passed; only part of the suite ran ({self.partial})",
                **score,
            }
        if counts["unsupported"]:
            areas = sorted({t.area for t in selected if t.outcome == "unsupported"})
            why = f"{passed} of {total} passed; {counts['unsupported']} unsupported in {', '.join(areas)}"
            return {"verdict": WHERE_SUPPORTED, "why": why, **score}
        return {"verdict": CONFORMS, "why": f"{passed} of {total} passed", **score}

    def gate(self, tests: list[TestResult] | None = None) -> dict[str, Any]:
        """The regression gate: no failure beyond the listed deviations, none stale, everything judged."""
        selected = list(self.tests.values()) if tests is None else tests
        counts = self.counts(selected)
        if counts["failed"] or counts["stale"]:
            why = f"{counts['failed']} new failure(s), {counts['stale']} stale expected failure(s)"
            return {"verdict": GATE_FAIL, "why": why}
        if self.harness_error or counts["harness error"]:
            return {"verdict": GATE_ERROR, "why": "the suite could not judge every test"}
        listed = counts["expected failure"]
        return {"verdict": GATE_PASS, "why": f"no deviation beyond the {listed} listed" if listed else "no deviation"}

    def judge(self, tests: list[TestResult] | None = None) -> tuple[str, str]:
        """(certification verdict, why), for one-line summaries."""
        cert = self.certify(tests)
        return cert["verdict"], cert["why"]

    def by_area(self) -> dict[str, dict[str, Any]]:
        areas: dict[str, list[TestResult]] = {}
        for result in self.tests.values():
            areas.setdefault(result.area, []).append(result)
        return {
            area: {**self.certify(tests, whole=False), "counts": self.counts(tests)}
            for area, tests in sorted(areas.items())
        }

    def profile_verdicts(self) -> dict[str, dict[str, Any]]:
        plan = self.plan or Plan()
        verdicts = {}
        for name, areas in PROFILES.items():
            entry: dict[str, Any] = {"areas": list(areas) if areas else "all"}
            if not plan.covers(name):
                entry.update(verdict=NOT_EVALUATED, why=f"this run used --profile {plan.profile}")
            else:
                tests = [t for t in self.tests.values() if plan.in_profile(t.area, name)]
                entry.update(self.certify(tests), counts=self.counts(tests), gate=self.gate(tests))
            verdicts[name] = entry
        return verdicts

    # ------------------------------------------------------------------------------------------ as data
    def as_dict(self, cert: Certified) -> dict[str, Any]:
        contract = cert.contract
        spec_sha = None
        if contract is not None:
            spec_sha = hashlib.sha256(json.dumps(contract.upstream, sort_keys=True).encode()).hexdigest()
        target = cert.target
        plan = self.plan or Plan()
        certification = self.certify()
        data = {
            "suite": {"name": "langgraph-conformance", "version": conformance.__version__},
            "spec": {
                "version": contract.version if contract else None,
                "release": contract.release if contract else None,
                "file": display_path(_spec_file(cert)),
                "sha256": _file_sha256(_spec_file(cert)),
                "sha256_canonical": spec_sha,
                "errata": [e.id for e in contract.errata] if contract else [],
            },
            "target": {
                "name": target.name if target else cert.planned_name,
                "url": target.display_url if target else _display_url(cert.settings.target_url),
                "embedded": target.embedded if target else cert.settings.target_url is None,
                "info": target.info if target else {},
                "release": plan.release,
            },
            "profile": plan.as_dict(),
            "expected_failures_file": plan.expected_failures_file or self.expected_failures_file,
            "unknown_expected_failures": plan.unknown_expected_failures,
            "unknown_unsupported_areas": plan.unknown_areas,
            "finished_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "verdict": certification["verdict"],
            "verdict_why": certification["why"],
            "score": {"passed": certification["passed"], "total": certification["total"]},
            "gate": self.gate(),
            "verdicts": self.profile_verdicts(),
            "areas": self.by_area(),
            "harness_error": self.harness_error,
            "partial_run": self.partial,
            "counts": self.counts(),
            "cleanup": cert.cleanup_summary,
            "session_tag": cert.id,
            "tests": [
                {
                    "id": r.nodeid,
                    "area": r.area,
                    "outcome": r.outcome,
                    "duration": round(r.duration, 3),
                    "operations": operation_names(self.operations.get(r.nodeid, set()), contract),
                    **({"detail": r.detail} if r.detail else {}),
                }
                for r in sorted(self.tests.values(), key=lambda r: r.nodeid)
            ],
        }
        prefix = urlsplit(target.url).path.rstrip("/") if target else ""
        for test in data["tests"]:
            for finding in [*deviations.findings_of(test), test.get("detail") or {}]:
                if finding.get("method") and finding.get("path"):  # the operation the exchange belongs to
                    path = finding["path"].split("?", 1)[0]
                    path = path[len(prefix) :] or "/" if prefix and path.startswith(prefix) else path
                    finding["operation"] = operation_of(finding["method"], path, contract)
        found = deviations.collect(data["tests"])
        data["deviations"] = found
        data["deviations_summary"] = deviations.summary(found)
        # What the property layer saw that the document does not forbid: shown with its count in every
        # report, never only in junit properties (docs/PROPERTIES.md says why each is advisory).
        data["advisory"] = {
            op["operation"]: op["advisory"]
            for op in (self.property_summary or {}).get("operations") or []
            if op.get("advisory")
        }
        data["reference_compatible"] = {
            "why": "the official server's behaviour where the document is silent; apart from the contract",
            "verdict": "behaves like the official server"
            if not any(d["profile"] == deviations.REFERENCE_COMPATIBLE for d in found)
            else "differs from the official server",
            "summary": deviations.summary(found, deviations.REFERENCE_COMPATIBLE),
        }
        data["deviations_by_area"] = deviations.by_area(found)
        return self.scrub(data)


def _contract_outcome(result: TestResult) -> str:
    """The test's outcome for the contract certification: passed when every finding it has is of the
    reference-compatible profile (reported there, apart)."""
    if result.outcome not in DEVIATIONS or not result.detail:
        return result.outcome
    test = {"outcome": result.outcome, "detail": result.detail}
    if result.detail.get("stopped"):
        return result.outcome  # it stopped: the contract checks after the stop were not reached
    if deviations.findings_of(test) and not deviations.contract_findings(test):
        return "passed"
    return result.outcome


def _spec_file(cert: Certified) -> Path | None:
    if cert.settings.spec:
        return Path(cert.settings.spec)
    try:
        return spec_dir() / "openapi.yaml"
    except FileNotFoundError:
        return None


def _file_sha256(path: Path | None) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def _display_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


# ------------------------------------------------------------------------------------------ versions


def spec_text(spec: dict[str, Any]) -> str:
    """The contract's origin: "langgraph-api 0.16.7 (OpenAPI info.version 0.1.0)"."""
    version = f"OpenAPI info.version {spec.get('version')}"
    return f"{spec['release']} ({version})" if spec.get("release") else f"langgraph-api OpenAPI ({version})"


def _release_version(text: str | None) -> Version | None:
    """``"langgraph-api 0.17.0rc6"`` -> Version("0.17.0rc6"); None for another product or no version."""
    name, _, version = (text or "").strip().partition(" ")
    if name != "langgraph-api" or not version:
        return None
    try:
        return Version(version)
    except InvalidVersion:
        return None


def newer_than_spec(release: str | None, spec: str | None) -> bool:
    """``release`` and ``spec`` both name langgraph-api releases, and ``release`` is the newer one."""
    stated, vendored = _release_version(release), _release_version(spec)
    return stated is not None and vendored is not None and stated > vendored


def upcoming(data: dict[str, Any]) -> bool:
    """The target states a langgraph-api release newer than the vendored spec's: a preview of what the next
    release does against today's contract (conformance/targets/upcoming.py), not an implementation of it."""
    return newer_than_spec((data.get("target") or {}).get("release"), (data.get("spec") or {}).get("release"))


def release_text(data: dict[str, Any]) -> str:
    """The release the target states, beside the vendored spec's, and what it lacks of the spec."""
    release = (data.get("target") or {}).get("release")
    spec = (data.get("spec") or {}).get("release") or "the vendored spec"
    if not release:
        return f"not stated (certified against the contract of {spec})"
    if release == spec:
        return f"{release}, the release of the vendored spec"
    if upcoming(data):
        return f"{release}, an upcoming release: newer than the vendored spec ({spec}), judged by today's contract"
    profile = data.get("profile") or {}
    operations = len(profile.get("unsupported_operations") or {})
    tests = len(profile.get("unsupported_tests") or {})
    return (
        f"{release}; the vendored spec is {spec}: {operations} operation(s) and {tests} listed test(s) "
        "the release does not have are unsupported"
    )


# ------------------------------------------------------------------------------------------ operations


def operation_names(raw: set[tuple[str, str]], contract: Contract | None) -> list[str]:
    """Concrete requests as the spec's operations ("GET /threads/{thread_id}"), sorted and deduplicated."""
    return sorted({operation_of(method, path, contract) for method, path in raw})


# ------------------------------------------------------------------------------------------ matrices


def area_matrix(tests: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    areas: dict[str, dict[str, int]] = {}
    for test in tests:
        areas.setdefault(test["area"], dict.fromkeys(OUTCOMES, 0))[test["outcome"]] += 1
    return dict(sorted(areas.items()))


def operation_matrix(tests: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per operation, the outcomes of the tests that exercised it (a test counts once per operation)."""
    ops: dict[str, dict[str, int]] = {}
    for test in tests:
        for op in test.get("operations") or ():
            ops.setdefault(op, dict.fromkeys(OUTCOMES, 0))[test["outcome"]] += 1
    return dict(sorted(ops.items(), key=lambda kv: (kv[0].split(" ", 1)[1], kv[0])))

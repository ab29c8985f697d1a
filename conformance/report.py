"""Certification results, collected from pytest's own hooks and written as results.json, report.md and report.html.

Outcomes are kept apart: passed, failed (the target broke a rule), expected failure (a listed, known
deviation), stale (a listed failure that now passes), unsupported (the target does not offer the
feature), and harness error (the suite could not judge). junit.xml comes from pytest itself.

Harness errors are never the target's failures. At start (target unreachable, fixture graphs missing,
spec unreadable) the plugin ends the session with exit code 6. Inside a test, an exception that is not a
ConformanceFailure is a *harness error* outcome, and the session's exit code is decided thus:

* some test failed or went stale: exit 1, verdict ``fails``, since the target is known to break a rule
  whatever the suite could not judge elsewhere;
* otherwise, any harness error: exit 6, verdict ``not certified (harness error)``, since nothing wrong
  was proven about the target but it cannot be called conforming either.

Every string written here passes through :meth:`Results.scrub`, which removes the API key, the values of
``--target-header`` and credentials in URLs, so no report can leak a secret even if a message quoted one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest

import conformance
from conformance import expected
from conformance.failures import ConformanceFailure
from conformance.paths import spec_dir

if TYPE_CHECKING:
    from conformance.contract import Contract
    from conformance.session import CertificationSession

OUTCOMES = ("passed", "failed", "expected failure", "stale", "unsupported", "harness error")
CONFORMS = "conforms"
PARTIAL = "conforms partially"  # everything run passed, but some areas or tests are unsupported
KNOWN = "conforms with known deviations"  # nothing new failed, but some listed expected failures remain
FAILS = "fails"
HARNESS = "not certified (harness error)"
NOT_EVALUATED = "not evaluated"
REDACTED = "<redacted>"
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"]+@")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


@dataclass
class TestResult:
    nodeid: str
    area: str
    outcome: str
    duration: float = 0.0
    detail: dict[str, Any] | None = None


def secrets_of(settings: Any) -> tuple[str, ...]:
    """The values that must never be shown: the API key, header values, and passwords in the target URL."""
    found: list[str] = []
    api_key = getattr(settings, "api_key", None)
    if api_key:
        found.append(str(api_key))
    for header in getattr(settings, "target_header", None) or ():
        value = header.split(":", 1)[1].strip() if ":" in header else ""
        if value:
            found.append(value)
            found += [word for word in value.split() if len(word) >= 8]  # the token of "Bearer <token>"
    url = getattr(settings, "target_url", None)
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
    plan: expected.Plan | None = None
    secrets: tuple[str, ...] = ()
    operations: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # nodeid -> {(method, path)}

    # ---------------------------------------------------------------------------------------- recording
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
            if outcome == "stale":
                detail["message"] = "passed, but is listed as an expected failure: remove its entry from the list"
            if outcome == "harness error" and call.excinfo is not None:
                detail["exception"] = f"{call.excinfo.typename}: {call.excinfo.value}"[:500]
                detail["phase"] = rep.when
        listed = item.get_closest_marker("expected_failure")
        if listed is not None and detail is not None:
            detail["listed_reason"] = listed.kwargs.get("reason")
            if listed.kwargs.get("rule"):
                detail["listed_rule"] = listed.kwargs["rule"]
        if current is None or outcome != "passed":
            self.tests[item.nodeid] = TestResult(item.nodeid, area, outcome, rep.duration, detail)

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
    def counts(self, tests: list[TestResult] | None = None) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.tests.values() if tests is None else tests:
            counts[result.outcome] += 1
        return counts

    def verdict(self, tests: list[TestResult] | None = None) -> str:
        return self.judge(tests)[0]

    def judge(self, tests: list[TestResult] | None = None) -> tuple[str, str]:
        """(verdict, why) for ``tests`` (default: every test of the run); see the module docstring."""
        if self.harness_error:
            return HARNESS, "the suite could not start certifying the target"
        selected = list(self.tests.values()) if tests is None else tests
        counts = self.counts(selected)
        if counts["failed"] or counts["stale"]:
            return FAILS, f"{counts['failed']} failed, {counts['stale']} stale"
        if counts["harness error"]:
            return HARNESS, f"{counts['harness error']} test(s) could not be judged"
        if not selected:
            return NOT_EVALUATED, "no test ran"
        if counts["unsupported"]:
            areas = sorted({t.area for t in selected if t.outcome == "unsupported"})
            return PARTIAL, f"{counts['unsupported']} unsupported test(s) in {', '.join(areas)}"
        if counts["expected failure"]:
            return KNOWN, f"{counts['passed']} passed, {counts['expected failure']} expected failure(s) listed"
        return CONFORMS, f"{counts['passed']} passed"

    def profile_verdicts(self) -> dict[str, dict[str, Any]]:
        plan = self.plan or expected.Plan()
        verdicts = {}
        for name, areas in expected.PROFILES.items():
            entry: dict[str, Any] = {"areas": list(areas) if areas else "all"}
            if not plan.covers(name):
                entry.update(verdict=NOT_EVALUATED, why=f"this run used --profile {plan.profile}")
            else:
                tests = [t for t in self.tests.values() if plan.in_profile(t.area, name)]
                verdict, why = self.judge(tests)
                entry.update(verdict=verdict, why=why, counts=self.counts(tests))
            verdicts[name] = entry
        return verdicts

    # ------------------------------------------------------------------------------------------- writing
    def write(self, cert: CertificationSession) -> list[Path]:
        from conformance import html_report

        assert self.report_dir is not None
        self.report_dir.mkdir(parents=True, exist_ok=True)
        data = self.as_dict(cert)
        json_path = self.report_dir / "results.json"
        json_path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        md_path = self.report_dir / "report.md"
        md_path.write_text(self.scrub(render_markdown(data)), encoding="utf-8")
        html_path = self.report_dir / "report.html"
        html_path.write_text(self.scrub(html_report.render(data)), encoding="utf-8")
        return [json_path, md_path, html_path]

    def as_dict(self, cert: CertificationSession) -> dict[str, Any]:
        contract = cert.contract
        spec_sha = None
        if contract is not None:
            spec_sha = hashlib.sha256(json.dumps(contract.upstream, sort_keys=True).encode()).hexdigest()
        target = cert.target
        plan = self.plan or expected.Plan()
        verdict, why = self.judge()
        data = {
            "suite": {"name": "langgraph-conformance", "version": conformance.__version__},
            "spec": {
                "version": contract.version if contract else None,
                "file": expected.display_path(_spec_file(cert)),
                "sha256": _file_sha256(_spec_file(cert)),
                "sha256_canonical": spec_sha,
                "errata": [e.id for e in contract.errata] if contract else [],
            },
            "target": {
                "name": target.name if target else cert.planned_name,
                "url": target.display_url if target else _display_url(cert.settings.target_url),
                "embedded": target.embedded if target else cert.settings.target_url is None,
                "info": target.info if target else {},
            },
            "profile": plan.as_dict(),
            "expected_failures_file": plan.expected_failures_file or self.expected_failures_file,
            "unknown_expected_failures": plan.unknown_expected_failures,
            "unknown_unsupported_areas": plan.unknown_areas,
            "finished_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "verdict": verdict,
            "verdict_why": why,
            "verdicts": self.profile_verdicts(),
            "harness_error": self.harness_error,
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
        return self.scrub(data)


def _spec_file(cert: CertificationSession) -> Path | None:
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


def _outcome(rep: pytest.TestReport, failure: ConformanceFailure | None) -> str | None:
    if rep.when == "call":
        if hasattr(rep, "wasxfail"):
            return "stale" if rep.passed or rep.failed else "expected failure"
        if rep.passed:
            return "passed"
        if rep.skipped:
            return "unsupported"
        if _is_stale(rep):  # a strict xfail that passed: pytest reports it failed, without wasxfail
            return "stale"
        return "failed" if failure is not None else "harness error"
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


# ------------------------------------------------------------------------------------------ operations


def operation_names(raw: set[tuple[str, str]], contract: Contract | None) -> list[str]:
    """Concrete requests as the spec's operations ("GET /threads/{thread_id}"), sorted and deduplicated."""
    return sorted({operation_of(method, path, contract) for method, path in raw})


def operation_of(method: str, path: str, contract: Contract | None) -> str:
    """The documented operation a request belongs to; literal segments beat parameters (/threads/search)."""
    segments = path.strip("/").split("/")
    best, best_score = None, -1
    for key in contract.operations if contract is not None else ():
        op_method, template = key.split(" ", 1)
        parts = template.strip("/").split("/")
        if op_method != method or len(parts) != len(segments):
            continue
        score = 0
        for want, got in zip(parts, segments, strict=True):
            if want.startswith("{") and want.endswith("}"):
                continue
            if want != got:
                break
            score += 1
        else:
            if score > best_score:
                best, best_score = key, score
    if best is not None:
        return best
    shown = "/".join("{id}" if _UUID.match(s) else s for s in segments)
    return f"{method} /{shown} (undocumented)"


class Recorder:
    """A pytest plugin object: which API operations each test exercised, warnings, and the exit code.

    An operation counts for a test when the test made the request, or when a fixture it uses did (the
    scenario fixtures walk a guide once and many tests check one step each, so "exercised" has to include
    the fixture's requests, or most run tests would name no operation).

    Requests are seen at httpx's transport, so those of every client count: the suite's own and the
    official SDK's (the ``sdk`` area), which builds its own httpx client. Only requests to the target
    are kept, and only their method and path: never a header, so never a secret. The transport is
    restored when pytest unconfigures.
    """

    def __init__(self, cert: CertificationSession, results: Results, harness_exit_code: int) -> None:
        self.cert = cert
        self.results = results
        self.harness_exit_code = harness_exit_code
        self.stack: list[set[tuple[str, str]]] = []
        self.fixture_ops: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self.item_ops: dict[str, set[tuple[str, str]]] = {}
        self.original_send: Any = None
        self.patched: Any = None
        self.exit_changed = False
        results.secrets = secrets_of(cert.settings)

    def _install(self) -> None:
        if self.original_send is not None:
            return
        original = self.original_send = httpx.HTTPTransport.handle_request
        recorder = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            if recorder.stack:
                recorder._on_request(request)
            return original(transport, request)

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
        self.patched = handle_request

    def pytest_unconfigure(self) -> None:
        if self.original_send is not None and httpx.HTTPTransport.handle_request is self.patched:
            httpx.HTTPTransport.handle_request = self.original_send  # type: ignore[method-assign]
        self.stack.clear()  # if another wrapper sits on top of ours, ours now records nothing

    def _on_request(self, request: httpx.Request) -> None:
        target = self.cert.target
        if target is None:
            return
        base = httpx.URL(target.url)
        if (request.url.host, request.url.port) != (base.host, base.port):
            return
        path, prefix = request.url.path, base.path.rstrip("/")
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :] or "/"
        for sink in self.stack:
            sink.add((request.method, path))

    @contextlib.contextmanager
    def _recording(self, sink: set[tuple[str, str]]) -> Iterator[None]:
        self._install()
        self.stack.append(sink)
        try:
            yield
        finally:
            if self.stack:
                self.stack.pop()

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
        with self._recording(self.fixture_ops.setdefault((fixturedef.argname, fixturedef.baseid), set())):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        with self._recording(self.item_ops.setdefault(item.nodeid, set())):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        with self._recording(self.item_ops.setdefault(item.nodeid, set())):
            return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        ops = set(self.item_ops.pop(item.nodeid, set()))
        # The fixtures the test really got (a skipped test got none, though it names some).
        names = set(getattr(item, "funcargs", None) or ())
        for (argname, baseid), seen in self.fixture_ops.items():
            if argname in names and item.nodeid.startswith(baseid):
                ops |= seen
        self.results.operations[item.nodeid] = ops

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        counts = self.results.counts()
        if (
            session.exitstatus == pytest.ExitCode.TESTS_FAILED
            and counts["harness error"]
            and not counts["failed"]
            and not counts["stale"]
        ):
            session.exitstatus = self.harness_exit_code
            self.exit_changed = True

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        plan = self.results.plan
        for warning in plan.warnings() if plan else []:
            terminalreporter.write_line(f"conformance: warning: {warning}", yellow=True)
        if not self.results.tests:
            return
        verdict, why = self.results.judge()
        profiles = ", ".join(f"{n}: {v['verdict']}" for n, v in self.results.profile_verdicts().items())
        terminalreporter.write_line(f"conformance: verdict {verdict} ({why}); profiles {profiles}")
        if self.exit_changed:
            terminalreporter.write_line(
                f"conformance: exit code {self.harness_exit_code}: the suite could not judge "
                f"{self.results.counts()['harness error']} test(s); no conformance failure was found",
                red=True,
            )


# -------------------------------------------------------------------------------------------- markdown


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


def _md(value: Any) -> str:
    """A value for a markdown table cell or inline code: no pipes or newlines to break the layout."""
    return str(value).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def render_markdown(data: dict[str, Any]) -> str:
    counts = data["counts"]
    profile = data.get("profile") or {}
    lines = [
        f"# Conformance report: {_md(data['target']['name'])}",
        "",
        f"**Verdict: {data['verdict']}** ({_md(data.get('verdict_why', ''))})",
        "",
        f"- target: {_md(data['target']['url'])} "
        f"({'embedded reference' if data['target']['embedded'] else 'external'})"
        + (f", version {_md(data['target']['info']['version'])}" if data["target"]["info"].get("version") else ""),
        f"- spec: langgraph-api OpenAPI {data['spec']['version']}, sha256 {data['spec'].get('sha256')}, "
        f"errata {', '.join(data['spec']['errata'])}",
        f"- suite: {data['suite']['name']} {data['suite']['version']}",
        f"- profile: {profile.get('name')} (areas: {_areas_text(profile.get('areas'))})",
        f"- unsupported areas: {_md(', '.join(profile.get('unsupported_areas') or {}) or 'none')}",
        f"- expected failures: {_md(data['expected_failures_file'] or 'none')}",
        "",
        "| profile | areas | verdict | why |",
        "| --- | --- | --- | --- |",
        *[
            f"| {name} | {_areas_text(v['areas'])} | **{v['verdict']}** | {_md(v.get('why', ''))} |"
            for name, v in (data.get("verdicts") or {}).items()
        ],
        "",
        "| outcome | tests |",
        "| --- | ---: |",
        *[f"| {name} | {count} |" for name, count in counts.items()],
        "",
    ]
    if data["harness_error"]:
        lines += ["## Harness error", "", f"    {data['harness_error']}", ""]
    unknown = data.get("unknown_expected_failures") or []
    if unknown or data.get("unknown_unsupported_areas"):
        lines += ["## Warnings", ""]
        lines += [f"- expected failure names no test of the suite: `{_md(u['test'])}`" for u in unknown]
        lines += [f"- unknown unsupported area: `{_md(a)}`" for a in data.get("unknown_unsupported_areas") or []]
        lines.append("")
    header = "| " + " | ".join(OUTCOMES) + " |"
    rule = " ---: |" * len(OUTCOMES)
    areas = area_matrix(data["tests"])
    if areas:
        lines += ["## By area", "", "| area " + header, "| --- |" + rule]
        lines += [f"| {_md(area)} | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |" for area, c in areas.items()]
        lines.append("")
    ops = operation_matrix(data["tests"])
    if ops:
        lines += [
            "## By operation",
            "",
            "Each test counts once for every operation it exercised (its own requests and its fixtures').",
            "",
            "| operation " + header,
            "| --- |" + rule,
        ]
        lines += [f"| `{_md(op)}` | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |" for op, c in ops.items()]
        lines.append("")
    problems = [t for t in data["tests"] if t["outcome"] != "passed"]
    if problems:
        lines += ["## Not passed", ""]
        for test in problems:
            detail = test.get("detail") or {}
            lines.append(f"### `{_md(test['id'])}`: {test['outcome']}")
            lines.append("")
            if detail.get("rule"):
                lines.append(f"- rule **{_md(detail['rule'])}**: {_md(detail.get('rule_text') or '')}")
            lines.append(f"- {_md(detail.get('message', ''))}")
            for key in ("expected", "actual", "exchange", "exception", "listed_rule"):
                if detail.get(key):
                    lines.append(f"- {key.replace('_', ' ')}: `{_md(detail[key])}`")
            if detail.get("reproduce"):
                lines += ["", "```", detail["reproduce"].replace("```", "'''"), "```"]
            lines.append("")
    return "\n".join(lines) + "\n"


def _areas_text(areas: Any) -> str:
    return ", ".join(areas) if isinstance(areas, list) else str(areas or "all")

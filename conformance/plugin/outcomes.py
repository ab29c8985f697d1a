"""Outcomes from pytest's own hooks: each phase's report as an outcome record, which operations each test
exercised, the verdict line, the exit code.

The Recorder is registered by the plugin as a pytest plugin object; what it sees goes into
conformance.reports.results.Results, which the reports render.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from conformance.contract.exchanges import FILE_NAME as EXCHANGES_FILE
from conformance.contract.exchanges import ExchangeFile, ExchangeLog
from conformance.contract.failures import ConformanceFailure
from conformance.reports.results import Results, secrets_of

OPERATIONS = pytest.StashKey[set[tuple[str, str]]]()
EXCHANGES = pytest.StashKey[str]()

if TYPE_CHECKING:
    from conformance.plugin.session import CertificationSession


RECORDER = "conformance-recorder"  # the name the plugin registers the Recorder under


def recorder_of(config: pytest.Config) -> Recorder | None:
    """The session's Recorder, for a test whose client runs in another process."""
    return config.pluginmanager.get_plugin(RECORDER)


class Recorder:
    """A pytest plugin object: which API operations each test exercised, warnings, and the exit code.

    An operation counts for a test when the test made the request, or when a fixture it uses did (the
    scenario fixtures walk a guide once and many tests check one step each, so "exercised" has to include
    the fixture's requests, or most run tests would name no operation).

    Requests are seen at httpx's transport, so those of every client count: the suite's own and the
    official SDK's (the ``sdk`` area), which builds its own httpx client. A client outside this process
    (the JS SDK's Node script, the ``sdk-js`` area) reports the requests it sent and the test hands them
    to :meth:`add`. Only requests to the target are kept, and only their method and path: never a header,
    so never a secret. The transport is restored when pytest unconfigures.
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
        results.secrets = secrets_of(cert.settings, cert.auth_tokens.values())
        # --record-exchanges: each request and answer, per owner (test or fixture), for `conformance spec gate`
        self.exchanges: ExchangeLog | None = None
        self.exchange_file: ExchangeFile | None = None
        self.owners: list[Any] = []
        if getattr(cert.settings, "record_exchanges", None):
            self.exchanges = ExchangeLog(results.scrub)
            self.exchange_file = ExchangeFile()

    def _install(self) -> None:
        if self.original_send is not None:
            return
        original = self.original_send = httpx.HTTPTransport.handle_request
        recorder = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            to_target = bool(recorder.stack) and recorder._on_request(request)
            response = original(transport, request)
            if to_target and recorder.exchanges is not None:
                recorder.exchanges.watch(request, response, list(recorder.owners))
            return response

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
        self.patched = handle_request

    def pytest_unconfigure(self) -> None:
        if self.original_send is not None and httpx.HTTPTransport.handle_request is self.patched:
            httpx.HTTPTransport.handle_request = self.original_send  # type: ignore[method-assign]
        self.stack.clear()  # if another wrapper sits on top of ours, ours now records nothing

    def _on_request(self, request: httpx.Request) -> bool:
        """Note a request to the target for the running test or fixture; True when it went to the target."""
        target = self.cert.target
        if target is None:
            return False
        base = httpx.URL(target.url)
        if (request.url.host, request.url.port) != (base.host, base.port):
            return False
        self._note(request.method, request.url.path, base)
        return True

    def add(self, requests: Iterable[tuple[str, str]]) -> None:
        """Requests another process sent to the target, as (method, path on the target's host), for the
        test or fixture running now; the path may carry the target URL's own prefix."""
        if self.cert.target is None or not self.stack:
            return
        base = httpx.URL(self.cert.target.url)
        for method, path in requests:
            self._note(str(method).upper(), str(path).split("?", 1)[0], base)

    def _note(self, method: str, path: str, base: httpx.URL) -> None:
        prefix = base.path.rstrip("/")
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :] or "/"
        for sink in self.stack:
            sink.add((method, path))

    @contextlib.contextmanager
    def _recording(self, sink: set[tuple[str, str]], owner: Any) -> Iterator[None]:
        self._install()
        self.stack.append(sink)
        self.owners.append(owner)
        try:
            yield
        finally:
            if self.stack:
                self.stack.pop()
            if self.owners:
                self.owners.pop()

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
        key = (fixturedef.argname, fixturedef.baseid)
        with self._recording(self.fixture_ops.setdefault(key, set()), key):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        with self._recording(self.item_ops.setdefault(item.nodeid, set()), item.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        with self._recording(self.item_ops.setdefault(item.nodeid, set()), item.nodeid):
            return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        ops = set(self.item_ops.pop(item.nodeid, set()))
        # The fixtures the test really got (a skipped test got none, though it names some).
        names = set(getattr(item, "funcargs", None) or ())
        used: list[Any] = [item.nodeid]
        for (argname, baseid), seen in self.fixture_ops.items():
            if argname in names and item.nodeid.startswith(baseid):
                ops |= seen
                used.append((argname, baseid))
        item.stash[OPERATIONS] = ops
        if self.exchanges is not None:
            item.stash[EXCHANGES] = self.exchanges.take(used)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        rep = yield
        if call.when == "teardown" and OPERATIONS in item.stash:
            rep.conformance_operations = sorted([method, path] for method, path in item.stash[OPERATIONS])
        if call.when == "teardown" and EXCHANGES in item.stash:
            rep.conformance_exchanges = item.stash[EXCHANGES]
        return rep

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Every phase's report, whether this process ran the test or an xdist worker did."""
        self.results.add(getattr(report, "conformance_record", None))
        operations = getattr(report, "conformance_operations", None)
        if operations is not None:
            self.results.operations[base_nodeid(report.nodeid)] = {(m, p) for m, p in operations}
        carried = getattr(report, "conformance_exchanges", None)
        if carried is not None and self.exchange_file is not None:
            self.exchange_file.add(base_nodeid(report.nodeid), carried)

    def write_exchanges(self, report_dir: Path | None) -> Path | None:
        """The recorded exchanges (``--record-exchanges``: a file, or ``report`` for the report folder)."""
        where = getattr(self.cert.settings, "record_exchanges", None)
        if self.exchange_file is None or not where:
            return None
        if str(where) == "report":
            if report_dir is None:
                return None
            return self.exchange_file.write(report_dir / EXCHANGES_FILE)
        return self.exchange_file.write(Path(where))

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
        gate = self.results.gate()
        profiles = ", ".join(
            f"{n}: {v['verdict']}" + (f" ({v['passed']} of {v['total']})" if "total" in v else "")
            for n, v in self.results.profile_verdicts().items()
        )
        terminalreporter.write_line(f"conformance: certification {verdict} ({why}); profiles {profiles}")
        terminalreporter.write_line(f"conformance: gate {gate['verdict']} ({gate['why']})")
        if self.exit_changed:
            terminalreporter.write_line(
                f"conformance: exit code {self.harness_exit_code}: the suite could not judge "
                f"{self.results.counts()['harness error']} test(s); no conformance failure was found",
                red=True,
            )


# ------------------------------------------------------------------- pytest's reports as outcome records
def base_nodeid(nodeid: str) -> str:
    """The test's id without the ``@group`` suffix pytest-xdist's loadgroup adds (ids as a serial run has them)."""
    if "@" in nodeid and nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.rsplit("@", 1)[0]
    return nodeid


def report_record(
    item: pytest.Item, rep: pytest.TestReport, failure: ConformanceFailure | None, call: pytest.CallInfo
) -> dict[str, Any] | None:
    """What :meth:`Results.add` needs of one phase, as plain JSON: it travels on the report from an xdist
    worker to the controller, which writes the reports."""
    outcome = _outcome(rep, failure)
    if outcome is None:
        return None
    area_marker = item.get_closest_marker("area")
    marker = item.get_closest_marker("expected_failure")
    entries = marker.kwargs.get("entries") if marker is not None else None
    if outcome == "stale" and rep.passed and entries and not any(e.strict for e in entries):
        outcome = "passed"  # non-strict entries: the known bug did not show this time
    detail = None
    if failure is not None:
        detail = failure.as_dict()
        unseen = getattr(rep, "conformance_unseen", None)
        if outcome == "stale" and unseen:
            detail["unseen"] = unseen
            detail["message"] = f"listed finding(s) no longer seen: {'; '.join(unseen)}: remove them from the list"
    elif outcome in ("harness error", "unsupported", "expected failure", "stale"):
        detail = {"message": _longrepr_line(rep)}
        if outcome == "stale":
            detail["message"] = "passed, but is listed as an expected failure: remove its entry from the list"
        if outcome == "harness error" and call.excinfo is not None:
            detail["exception"] = f"{call.excinfo.typename}: {call.excinfo.value}"[:500]
            detail["phase"] = rep.when
    if marker is not None and detail is not None:
        detail["listed_reason"] = marker.kwargs.get("reason")
        if marker.kwargs.get("rule"):
            detail["listed_rule"] = marker.kwargs["rule"]
    return {
        "nodeid": base_nodeid(item.nodeid),
        "area": area_marker.args[0] if area_marker else "other",
        "outcome": outcome,
        "when": rep.when,
        "duration": rep.duration,
        "detail": detail,
    }


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
    if hasattr(rep, "wasxfail"):  # a listed test that failed in a fixture, as listed: never "unsupported"
        return "expected failure"
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

"""The pytest plugin: options, markers, report header, fixtures, outcomes and reports.

Registered through the ``pytest11`` entry point, so ``pytest --target-url=URL`` certifies a server and a
plain ``pytest`` certifies the embedded reference. Harness errors (target unreachable, not an Agent Server,
fixture graphs missing) end the session with one line and exit code 6 (``conformance.HARNESS_EXIT_CODE``);
they are never counted as the target's failures. A suite error inside a test is outcome "harness error"
(exit codes: conformance/reports/results.py); profiles, unsupported areas and expected failures are
decided in conformance/plugin/expected.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx
import pytest

from conformance import HARNESS_EXIT_CODE
from conformance.contract.client import ApiClient
from conformance.contract.failures import ConformanceFailure, HarnessError
from conformance.contract.findings import Findings, collecting, conclude, current, each
from conformance.paths import PackageDataError, spec_dir
from conformance.plugin import expected, parallel, throttle
from conformance.plugin import release as releases
from conformance.plugin.outcomes import RECORDER, Recorder, report_record
from conformance.plugin.session import CertificationSession
from conformance.plugin.settings import SettingsError, add_options, resolve
from conformance.reports.plan import AREAS
from conformance.reports.results import Results, newer_than_spec, secrets_of
from conformance.reports.write import write_reports
from conformance.targets import reference
from conformance.targets.preflight import name_from_url

CONTROLLER = "conformance-xdist-controller"
SESSION = pytest.StashKey[CertificationSession]()
RESULTS = pytest.StashKey[Results]()
FINDINGS = pytest.StashKey[Findings]()
FIXTURE_FINDINGS = pytest.StashKey[dict[int, Findings]]()  # id(FixtureDef) -> its findings


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"area(name): the API area a conformance test certifies ({', '.join(AREAS)})")
    config.addinivalue_line("markers", "expected_failure(reason, rule): set by --expected-failures")
    try:
        settings = resolve(config)
    except SettingsError as exc:
        raise pytest.UsageError(f"conformance: {exc}") from None
    session = CertificationSession(settings)
    config.stash[SESSION] = session
    name = settings.target_name or (
        reference.REFERENCE_NAME if settings.target_url is None else name_from_url(settings.target_url)
    )
    session.planned_name = name
    folder = settings.conformance_report
    report_dir = None if folder == "none" else Path(folder or Path("reports") / name)
    config.stash[RESULTS] = Results(report_dir=report_dir, partial=partial_run(config))
    recorder = Recorder(session, config.stash[RESULTS], HARNESS_EXIT_CODE)
    config.pluginmanager.register(recorder, RECORDER)
    if not _runs_conformance(config):
        return
    try:
        session.request_slots = throttle.share(settings.max_in_flight, parallel.worker_count(config))
    except throttle.CapError as exc:
        raise pytest.UsageError(f"conformance: {exc}") from None
    if parallel.is_worker(config):
        shared = parallel.worker_input(config)
        session.id = shared.get("session_id", session.id)
        session.shared_url = shared.get("url")
        session.auth_tokens = shared.get("auth_tokens") or session.auth_tokens
        config.stash[RESULTS].secrets = secrets_of(settings, session.auth_tokens.values())
        parallel.follow_groups(config)
        config.pluginmanager.register(parallel.Worker(config, session, config.stash[RESULTS]), "conformance-worker")
    elif parallel.distributes(config):
        try:
            expected.precheck(settings, name)
        except expected.PlanError as exc:
            raise pytest.UsageError(f"conformance: {exc}") from None
        parallel.group_tests(config)
        config.pluginmanager.register(parallel.Controller(session, config.stash[RESULTS]), CONTROLLER)
    if not settings.spec:
        try:
            spec_dir()
        except PackageDataError as exc:
            raise pytest.UsageError(f"conformance: {exc}") from None
    if report_dir is not None:
        _check_writable(report_dir)
        if not getattr(config.option, "xmlpath", None):
            config.option.xmlpath = str(report_dir / "junit.xml")


def _check_writable(folder: Path) -> None:
    """Before any test runs: a report folder that cannot be written is bad input, not a late surprise."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".conformance-write-check"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise pytest.UsageError(f"conformance: the report folder {folder} cannot be written ({reason})") from None


def _runs_conformance(config: pytest.Config) -> bool:
    """True unless this pytest run is the project's own tests (which never certify a target)."""
    args = [str(a) for a in config.args]
    return not args or any("conformance" in a for a in args) or config.getoption("target_url", None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = config.stash.get(SESSION, None)
    if session is None:
        return []
    lines = ["conformance: " + line for line in session.settings.describe()]
    target = session.settings.target_url or f"embedded reference ({reference.REFERENCE_NAME})"
    lines.insert(0, config.stash[RESULTS].scrub(f"conformance: target {target}, session tag {session.id}"))
    return lines


def _is_conformance(item: pytest.Item) -> bool:
    return item.get_closest_marker("area") is not None


def _is_conformance_run(items: list[pytest.Item]) -> bool:
    return any(_is_conformance(i) for i in items)


@pytest.hookimpl(tryfirst=True)  # before -k/-m, so a filtered-out listed test is not "unknown"
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Profile, unsupported areas and expected failures: see conformance/plugin/expected.py."""
    cert = config.stash[SESSION]
    try:
        operations = cert.load_contract().operations if _is_conformance_run(items) else None
    except HarnessError:
        operations = None  # the session reports the unreadable spec as its harness error
    try:
        plan = expected.plan(config, items, cert.settings, cert.planned_name, AREAS, operations)
    except expected.PlanError as exc:
        if not parallel.is_worker(config):
            raise pytest.UsageError(f"conformance: {exc}") from None
        # A worker cannot end the session with a usage error: it runs nothing and tells its controller.
        config.stash[RESULTS].plan_error = str(exc)
        items[:] = []
        return
    config.stash[RESULTS].plan = plan
    config.stash[RESULTS].expected_failures_file = plan.expected_failures_file


class _SaidOnce:
    """The harness error of a session ended before it began is written once, not twice.

    An xdist controller connects in pytest_sessionstart; pytest itself writes the exit line of a session
    ended there, and its terminal would repeat it as a summary line at the end.
    """

    def __init__(self, reporter) -> None:
        self.reporter = reporter

    @pytest.hookimpl(trylast=True)
    def pytest_keyboard_interrupt(self) -> None:
        if hasattr(self.reporter, "_keyboardinterrupt_memo"):
            self.reporter._keyboardinterrupt_memo = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """An xdist controller connects before its workers start (xdist starts them last): they get its URL."""
    if session.config.pluginmanager.has_plugin(CONTROLLER):
        _connect(session.config, declared=None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Connect once, before the first test, so a target that cannot be certified is one clear line."""
    config = session.config
    if config.option.collectonly or not any(_is_conformance(i) for i in session.items):
        return
    _connect(config, declared=session.items)


def _connect(config: pytest.Config, declared: list[pytest.Item] | None) -> None:
    cert = config.stash[SESSION]
    reporter = None if parallel.is_worker(config) else config.pluginmanager.get_plugin("terminalreporter")

    def log(message: str) -> None:
        if reporter is not None:
            reporter.write_line(f"conformance: {message}")

    try:
        target = cert.connect(log=log)
    except HarnessError as exc:
        config.stash[RESULTS].harness_error = str(exc)
        _write_reports(config)
        if declared is None and reporter is not None:
            config.pluginmanager.register(_SaidOnce(reporter), "conformance-said-once")
        pytest.exit(config.stash[RESULTS].scrub(f"conformance harness error: {exc}"), returncode=HARNESS_EXIT_CODE)
    log(f"certifying {target.name} at {target.display_url}")
    plan = config.stash[RESULTS].plan
    if plan is not None and plan.release and newer_than_spec(plan.release, cert.contract and cert.contract.release):
        log(f"the target states release {plan.release}, newer than the vendored spec: judged by today's contract")
    elif plan is not None and plan.release:
        spec = cert.contract.release if cert.contract is not None else None
        log(
            f"the target states release {plan.release} (the vendored spec is {spec or 'of no named release'}); "
            f"what it lacks is unsupported: {len(plan.unsupported_operations)} operation(s), "
            f"{len(plan.unsupported_tests)} listed test(s)"
        )
    if plan is not None and declared is not None:
        expected.apply_declared(declared, target.info, plan)
    for flag, (why, _, _) in expected.declared_unsupported(target.info).items():
        log(f"area of flag {flag!r} is unsupported ({why})")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    """A shared fixture's findings belong to the fixture, and so to every test that uses it.

    A module or session fixture is set up once, inside the set-up of whichever test needs it first (under
    xdist that test changes from run to run). Its failed checks are kept on the fixture and added to each
    test whose fixtures include it (:func:`pytest_runtest_setup`), so the same tests carry the same findings
    in every run, in any order, on any worker.
    """
    if fixturedef.scope == "function" or current() is None:
        return (yield)
    kept = Findings()
    fixturedef_findings = request.config.stash.setdefault(FIXTURE_FINDINGS, {})
    fixturedef_findings[id(fixturedef)] = kept
    with collecting(kept):
        return (yield)


def _copy(finding: ConformanceFailure) -> ConformanceFailure:
    """A shallow copy of a finding (an exception: ``copy.copy`` would call its constructor again)."""
    twin = type(finding).__new__(type(finding))
    twin.__dict__.update(finding.__dict__)
    twin.args = finding.args
    return twin


def _shared_fixture_findings(item: pytest.Item) -> list:
    """The findings of the shared fixtures ``item`` uses, in the order of its fixtures."""
    kept = item.config.stash.get(FIXTURE_FINDINGS, {})
    info = getattr(item, "_fixtureinfo", None)
    if not kept or info is None:
        return []
    found = []
    for name in info.names_closure:
        for fixturedef in info.name2fixturedefs.get(name, ()):
            # A copy per test: judging a test marks its findings (new, listed), never another test's.
            found += [_copy(finding) for finding in kept.get(id(fixturedef), Findings()).items]
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """Failed checks in the test's fixtures are findings of the test (conformance/contract/findings.py)."""
    if not _is_conformance(item):
        return (yield)
    found = item.stash.setdefault(FINDINGS, Findings())
    with collecting(found):
        try:
            result = yield
        except BaseException as error:
            for finding in _shared_fixture_findings(item):
                found.add(finding)
            raise conclude(found, error) from None
    for finding in _shared_fixture_findings(item):
        found.add(finding)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Every failed check is recorded and the test goes on; at its end all its findings are raised together."""
    if not _is_conformance(item):
        return (yield)
    found = item.stash.setdefault(FINDINGS, Findings())
    with collecting(found):
        try:
            result = yield
        except BaseException as error:
            raise conclude(found, error) from None
    outcome = conclude(found, None)
    if outcome is not None:
        raise outcome
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    excinfo = call.excinfo
    failure = excinfo.value if excinfo is not None and isinstance(excinfo.value, ConformanceFailure) else None
    marker = item.get_closest_marker("expected_failure")
    entries = marker.kwargs.get("entries") if marker is not None else None
    if failure is not None and _absent_on_the_release(item, rep, failure):
        failure = None
    if failure is not None and entries and getattr(rep, "wasxfail", None) is not None:
        judged = expected.judge(entries, each(failure))
        stopped = getattr(failure, "stopped", None)
        if judged.new:
            # Listed for some findings, showing another: that one is new, whatever else is listed.
            del rep.wasxfail
            rep.outcome = "failed"
        elif not stopped and any(e.strict for e in judged.unseen):
            # Every finding is listed, but a listed one no longer shows although the test ran to its end.
            rep.outcome = "failed"
            rep.conformance_unseen = [f"{e.rule}: {e.message or e.status}" for e in judged.unseen if e.strict]
    if failure is not None and rep.outcome == "failed":
        rep.longrepr = item.config.stash[RESULTS].scrub(f"{failure.render()}\n  test: {item.nodeid}")
    if _is_conformance(item):
        # Recorded from pytest_runtest_logreport (conformance/plugin/outcomes.py), where a serial run and
        # an xdist controller both see every report; the record travels on the report as plain JSON.
        rep.conformance_record = report_record(item, rep, failure, call)
    return rep


def partial_run(config: pytest.Config) -> str | None:
    """Why this run is only part of the suite (then it is never a certification), or None."""
    reasons = []
    if getattr(config.option, "keyword", ""):
        reasons.append(f"-k {config.option.keyword!r}")
    if getattr(config.option, "markexpr", ""):
        reasons.append(f"-m {config.option.markexpr!r}")
    if any("::" in str(arg) for arg in config.args):
        reasons.append("node ids named on the command line")
    if getattr(config.option, "deselect", None):
        reasons.append("--deselect")
    if getattr(config.option, "lf", False) or getattr(config.option, "failedfirst", False):
        reasons.append("--lf/--ff")
    modules = [a for a in config.args if "::" not in str(a) and re.match(r"test_.*\.py$", Path(str(a)).name)]
    if modules:
        reasons.append("modules named on the command line")
    return ", ".join(reasons) or None


def _absent_on_the_release(item: pytest.Item, rep: pytest.TestReport, failure: ConformanceFailure) -> bool:
    """A failure on a request to an operation the target's release does not have (answered 404/405) makes
    the test *unsupported*, with the declared reason (conformance/plugin/release.py); True when it did."""
    plan = item.config.stash[RESULTS].plan
    cert = item.config.stash[SESSION]
    if plan is None or not plan.unsupported_operations or cert.target is None:
        return False
    if not (rep.failed or hasattr(rep, "wasxfail")):
        return False
    base_path = httpx.URL(cert.target.url).path
    lacking = releases.absent(failure, plan.unsupported_operations, cert.contract, base_path)
    if lacking is None:
        return False
    if hasattr(rep, "wasxfail"):
        del rep.wasxfail
    rep.outcome = "skipped"
    rep.longrepr = (str(item.path), item.location[1] or 0, f"unsupported: {lacking}")
    return True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    cert = config.stash.get(SESSION, None)
    if cert is None:
        return
    if parallel.is_worker(config):  # the controller cleans up and reports, once for all workers
        cert.close()
        return
    controller = config.pluginmanager.get_plugin(CONTROLLER)
    if controller is not None and controller.plan_error:
        cert.close()
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"ERROR: conformance: {controller.plan_error}", red=True)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return
    try:
        cert.cleanup()
    finally:
        cert.close()
    _write_reports(config)


def _write_reports(config: pytest.Config) -> None:
    cert = config.stash[SESSION]
    results = config.stash[RESULTS]
    if results.report_dir is None or (not results.tests and not results.harness_error):
        return
    try:
        controller = config.pluginmanager.get_plugin(CONTROLLER)
        merged = controller.write_properties() if controller is not None else None  # before: reports use it
        written = write_reports(results, cert) + ([merged] if merged is not None else [])
        recorder = config.pluginmanager.get_plugin(RECORDER)
        exchanges = recorder.write_exchanges(results.report_dir) if recorder is not None else None
        written += [exchanges] if exchanges is not None else []
    except OSError as exc:
        print(f"conformance: could not write the report: {exc}", file=sys.stderr)
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and written:
        reporter.write_line(
            f"conformance: report written to {results.report_dir}/ ({', '.join(p.name for p in written)})"
        )


# ----------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def certification(request: pytest.FixtureRequest) -> CertificationSession:
    cert = request.config.stash[SESSION]
    if cert.target is None:
        try:
            cert.connect()
        except HarnessError as exc:
            message = request.config.stash[RESULTS].scrub(f"conformance harness error: {exc}")
            pytest.exit(message, returncode=HARNESS_EXIT_CODE)
    return cert


@pytest.fixture(scope="session")
def target(certification: CertificationSession):
    return certification.target


@pytest.fixture(scope="session")
def contract(certification: CertificationSession):
    return certification.contract


@pytest.fixture(scope="session")
def settings(certification: CertificationSession):
    return certification.settings


@pytest.fixture
def client(certification: CertificationSession) -> ApiClient:
    """An HTTP client for one test; its exchanges go into the report."""
    return ApiClient(certification.http, certification.secret_headers)


@pytest.fixture
def tag(certification: CertificationSession) -> dict[str, str]:
    """Metadata that marks a test's resources as the suite's own (and this test's own)."""
    return certification.tag()

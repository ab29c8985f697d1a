"""Parallel certification with pytest-xdist: one target, one session tag, one set of reports.

``pytest -n N`` splits the tests over N worker processes. The controller (the process the user started)
connects to the target once, starting the embedded reference if no URL was given, and hands every worker
the target's URL and the session's id (``pytest_configure_node``), so everything any worker creates
carries the same tag and the controller's single cleanup at the end removes exactly that. Workers never
start a server, clean up or write a report: each report phase carries its record to the controller
(conformance/plugin/outcomes.py ``report_record``), and what a worker knows only at its end (the plan it
collected, the threads it created, its property-layer summary) comes back in ``workeroutput``. The
controller writes junit.xml, results.json, report.md/html and one merged properties.json.

Tests that must not overlap say so with ``pytest.mark.xdist_group(name)``; the plugin turns xdist's
default ``load`` distribution into ``loadgroup`` so a group runs on one worker, in collection order.
Session resources every worker must share (the every-minute cron made at the start and checked at the
end, which may land on different workers) are made once per session by :func:`shared_once`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.plugin.outcomes import RECORDER, base_nodeid

if TYPE_CHECKING:
    from conformance.plugin.session import CertificationSession
    from conformance.reports.results import Results

KEY = "conformance"
SHARED_TIMEOUT = 600.0  # seconds a worker waits for another to make a shared session resource


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def worker_input(config: pytest.Config) -> dict[str, Any]:
    return getattr(config, "workerinput", {}).get(KEY) or {}


def worker_count(config: pytest.Config) -> int:
    """How many processes run tests against the target at once (1 for a serial run)."""
    if is_worker(config):
        return int(config.workerinput.get("workercount", 1))
    if distributes(config):
        return max(1, len(config.getoption("tx", None) or ()))
    return 1


def distributes(config: pytest.Config) -> bool:
    """True in a process that will hand tests to xdist workers (known at pytest_configure, before xdist's)."""
    if is_worker(config) or config.getoption("collectonly", False):
        return False
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def group_tests(config: pytest.Config) -> None:
    """Make xdist_group marks count: ``-n N`` alone distributes with ``load``, which ignores them.

    The units go out in collection order (a serial run's order), not xdist's default for groups of the
    most tests first, which would move the tests that must run first (flows.run_at) behind every module
    and change what the property layer's searches meet. The workers are told (``loadgroup`` in their
    input): each parses the command line anew, where ``-n N`` alone still says ``load``, and a worker that
    does not know adds no group to its test ids, so no group would hold.
    """
    if not is_worker(config) and getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
        config.option.loadscopereorder = False


def follow_groups(config: pytest.Config) -> None:
    """On a worker: group tests as the controller distributes them (see :func:`group_tests`)."""
    if worker_input(config).get("loadgroup"):
        config.option.loadgroup = True


SPLIT = "conformance_split_under_xdist"  # a module attribute: its tests are units of their own under xdist
MODULE_GROUP = "module:"


def group_units(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker: the units of work xdist hands out, named in the test ids as xdist's loadgroup reads them.

    pytest-xdist 3.8 marks a grouped test by appending ``@group`` to ``item._nodeid``; pytest 9.2 keeps
    the id in ``item._id`` and no longer reads ``_nodeid``, so no group held: the property layer's
    operations on one resource were spread over the workers, and each worker made every module fixture
    again. The suffix is set here, where pytest reads it (and the reports strip it: outcomes.base_nodeid).
    """
    if not (is_worker(config) and config.getvalue("loadgroup")):
        return
    group_modules(items)
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        nodeid = item.nodeid
        if not names or nodeid.rfind("@") > nodeid.rfind("]"):
            continue  # no group, or xdist's own suffix took
        grouped = f"{nodeid}@{'_'.join(sorted(names))}"
        if hasattr(item, "_id"):
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(grouped)
        else:  # the pytest releases xdist 3.8 was written for
            item._nodeid = grouped


def group_modules(items: list[pytest.Item]) -> None:
    """Under xdist, the tests of one module run on one worker, in order, as in a serial run.

    Most modules walk their scenarios once in a module fixture (runs started together, waited for once)
    and then check one step per test; split over two workers, each worker made the fixture again (its
    runs, its waits: measured, up to 9 s more on each). A module whose tests are independent units says
    so with ``conformance_split_under_xdist = True`` (the property layer: one operation per test); tests
    that must run first or last of the session (``flows.run_at``) and tests already in a group stay as
    they are.
    """
    for item in items:
        module = getattr(item, "module", None)
        if module is None or getattr(module, SPLIT, False) or item.get_closest_marker("area") is None:
            continue
        ordered = getattr(getattr(item, "function", None), "conformance_order", None)
        if ordered or item.get_closest_marker("xdist_group"):
            continue
        item.add_marker(pytest.mark.xdist_group(MODULE_GROUP + module.__name__.rsplit(".", 1)[-1]))


class Controller:
    """Registered on an xdist controller only: what goes to the workers and what comes back."""

    def __init__(self, cert: CertificationSession, results: Results) -> None:
        self.cert = cert
        self.results = results
        self.property_summaries: list[dict[str, Any]] = []
        self.plan_error: str | None = None  # a worker refused the plan (an entry naming no test)

    def pytest_configure_node(self, node: Any) -> None:
        target = self.cert.target
        node.workerinput[KEY] = {
            "session_id": self.cert.id,
            "url": target.url if target else None,
            "auth_tokens": self.cert.auth_tokens,
            "loadgroup": getattr(node.config.option, "dist", "no") == "loadgroup",
        }

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A worker's report names its test as a serial run does (without the ``@group`` of its unit) in
        the terminal, junit.xml and every report. Only here: the worker itself must keep the id it ran."""
        report.nodeid = base_nodeid(report.nodeid)

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = (getattr(node, "workeroutput", None) or {}).get(KEY) or {}
        self.plan_error = self.plan_error or output.get("plan_error")
        if output.get("plan") and self.results.plan is None:
            from conformance.reports.plan import Plan

            self.results.plan = Plan.from_wire(output["plan"])
            self.results.expected_failures_file = self.results.plan.expected_failures_file
        self.cert.created_threads.update(output.get("created_threads") or ())
        if output.get("properties"):
            self.property_summaries.append(output["properties"])

    def write_properties(self) -> Path | None:
        """One properties.json for the whole session, the workers' summaries merged."""
        if not self.property_summaries or self.results.report_dir is None:
            return None
        order = list(self.cert.contract.operations) if self.cert.contract else []
        merged = self.results.property_summary = merge_property_summaries(self.property_summaries, order)
        self.results.report_dir.mkdir(parents=True, exist_ok=True)
        path = self.results.report_dir / "properties.json"
        path.write_text(json.dumps(self.results.scrub(merged), indent=2) + "\n", encoding="utf-8")
        return path


class Worker:
    """Registered on an xdist worker only: sends back what the controller's reports need."""

    def __init__(self, config: pytest.Config, cert: CertificationSession, results: Results) -> None:
        self.config = config
        self.cert = cert
        self.results = results

    @pytest.hookimpl(trylast=True)  # after xdist's own attempt (see group_units)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        group_units(self.config, items)

    @pytest.hookimpl(trylast=True)  # after the session fixtures' teardown, where the property summary is made
    def pytest_sessionfinish(self) -> None:
        output: dict[str, Any] = {"created_threads": sorted(self.cert.created_threads)}
        if self.results.plan is not None:
            output["plan"] = self.results.plan.to_wire()
        if self.results.plan_error:
            output["plan_error"] = self.results.plan_error
        if self.results.property_summary is not None:
            output["properties"] = self.results.property_summary
        self.config.workeroutput[KEY] = output


def merge_property_summaries(summaries: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    """The workers' property-layer summaries as one, operations in the contract's order (a serial run's)."""
    position = {label: i for i, label in enumerate(order)}
    operations = [op for summary in summaries for op in summary.get("operations", [])]
    operations.sort(key=lambda op: (position.get(op.get("operation"), len(position)), op.get("operation", "")))
    first = summaries[0]
    resources: dict[str, Any] = {}
    for summary in summaries:
        for key, value in (summary.get("resources") or {}).items():
            resources.setdefault(key, value)
    return {
        "plan": first.get("plan"),
        "resources": resources,
        "resource_notes": sorted({n for s in summaries for n in s.get("resource_notes") or []}),
        "victims": sum(s.get("victims") or 0 for s in summaries),
        "cases": sum(s.get("cases") or 0 for s in summaries),
        "workers": len(summaries),
        "operations": operations,
        "cleanup": {key: sum((s.get("cleanup") or {}).get(key, 0) for s in summaries) for key in ("deleted", "failed")},
    }


def shared_once(request: pytest.FixtureRequest, name: str, make: Callable[[], Any]) -> tuple[Any, bool]:
    """``make()`` once per certification session, whatever the number of workers: (value, made here).

    Serial runs just call ``make``. Under xdist the first worker to ask makes the value and leaves it
    (pickled) beside the workers' shared temporary folder, keyed by the session id; the others wait for
    it under a file lock. The value must be picklable. Whoever made it must not delete what it stands
    for at its own end, since another worker may still use it: the session's cleanup removes it.
    """
    config = request.config
    if not is_worker(config):
        return make(), True
    import pickle

    from filelock import FileLock

    session_id = worker_input(config).get("session_id", "serial")
    root = request.getfixturevalue("tmp_path_factory").getbasetemp().parent
    path = Path(root) / f"conformance-{session_id}-{name}.pickle"
    # The operations making it took count for the tests that use it on every worker, as in a serial run.
    recorder = config.pluginmanager.get_plugin(RECORDER)
    sink: set[tuple[str, str]] = recorder.stack[-1] if recorder is not None and recorder.stack else set()
    with FileLock(str(path) + ".lock", timeout=SHARED_TIMEOUT):
        if path.exists():
            value, operations = pickle.loads(path.read_bytes())
            sink |= operations
            return value, False
        before = set(sink)
        value = make()
        path.write_bytes(pickle.dumps((value, sink - before)))
        return value, True

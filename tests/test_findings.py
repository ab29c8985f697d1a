"""One deviation never hides another: every finding of a test is named, and each expected failure
tolerates exactly the finding it names.

Proven on the real reference behind the fault proxy: two independent faults in one scenario are both
named in one run; and, per API area, a shape fault baselined with ``conformance baseline`` and then the
same shape fault plus a behavioural fault of that area fail the gate naming the behavioural one (before
findings, the test stopped at the listed shape failure and the behavioural one was never seen).
"""

from __future__ import annotations

from conformance.reports.baseline import write as write_baseline
from tests.faultkit import Fault, misdated, together
from tests.faultproxy import FaultProxy, Req, Resp
from tests.faults import FAULTS
from tests.runner import run_suite

BY_NAME = {fault.name: fault for fault in FAULTS}


def _findings(test: dict) -> list[dict]:
    detail = test.get("detail") or {}
    return list(detail.get("findings") or [detail])


def test_two_independent_faults_in_one_scenario_are_both_named(reference_url, tmp_path):
    """A run whose status is misspelt (a schema finding) and whose input is lost (a behaviour finding):
    one test, one run, both named with their rules."""
    fault = together("two-faults", BY_NAME["run-status-renamed"], BY_NAME["run-input-lost"])
    catcher = "test_thread_runs.py::test_run_after_join_is_success_with_its_inputs"
    with FaultProxy(reference_url, fault.on_request, fault.on_response) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}", tests=[catcher])
    test = run.find(catcher)
    assert test is not None and test["outcome"] == "failed", run.output[-3000:]
    rules = [finding["rule"] for finding in _findings(test)]
    assert "CONTRACT-SCHEMA" in rules and "RUNS-GET" in rules, rules
    assert all(finding.get("reproduce", "").startswith("curl ") for finding in _findings(test))


# area -> (a shape fault on the answers that area's scenario reads, the behavioural fault of that area)
PAIRS: dict[str, tuple[Fault, str]] = {
    "thread-status": (
        Fault("threads-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("GET /threads/*")),
        "idle-shown-as-busy",
    ),
    "thread-runs": (
        Fault("runs-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("GET /threads/*/runs/*")),
        "run-input-lost",
    ),
    "thread-search": (
        Fault("search-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("POST /threads/search")),
        "search-ids-ignored",
    ),
    "thread-state": (
        Fault("state-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("GET /threads/*/state")),
        "state-next-missing",
    ),
    "store": (
        Fault("store-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("GET /store/items")),
        "store-first-write-wins",
    ),
    "threads": (
        Fault("thread-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("PATCH /threads/*")),
        "thread-patch-replaces-metadata",
    ),
    "thread-history": (
        Fault(
            "history-misdated",
            "",
            (),
            "CONTRACT-SCHEMA",
            None,
            misdated("GET /threads/*/history", "POST /threads/*/history"),
        ),
        "history-before-ignored",
    ),
    "assistants": (
        Fault(
            "assistants-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("POST /assistants", "PATCH /assistants/*")
        ),
        "assistant-patch-same-version",
    ),
    "runs-options": (
        Fault("run-get-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("GET /threads/*/runs/*")),
        "run-metadata-dropped",
    ),
    "crons": (
        Fault(
            "crons-misdated",
            "",
            (),
            "CONTRACT-SCHEMA",
            None,
            misdated("POST /runs/crons", "POST /threads/*/runs/crons"),
        ),
        "cron-payload-input-dropped",
    ),
}


def test_a_listed_shape_finding_does_not_hide_a_behavioural_one(reference_url, tmp_path):
    """Per area: baseline a shape fault, then add a behavioural fault; the gate fails naming exactly the
    behavioural findings as new (two suite runs for every area together)."""
    behaviours = [BY_NAME[name] for _, name in PAIRS.values()]
    # The area's own scenarios (the SDK replays validate no schema: a shape fault shows nothing there).
    catchers = sorted({c for fault in behaviours for c in fault.catches if not c.startswith("test_sdk")})
    shapes = together("shapes", *(shape for shape, _ in PAIRS.values()))
    with FaultProxy(reference_url, shapes.on_request, shapes.on_response) as proxy:
        first = run_suite(tmp_path / "shape", f"--target-url={proxy.url}", tests=catchers)
    listed = tmp_path / "expected-failures.yaml"
    write_baseline(first.report_dir / "results.json", listed)
    for area, (_, name) in PAIRS.items():  # the area's scenario met its shape fault first
        met = [c for c in BY_NAME[name].catches if c in catchers and (first.find(c) or {}).get("outcome") == "failed"]
        assert met, f"{area}: no test of {BY_NAME[name].catches} saw the shape fault"

    both = together("shapes-and-behaviours", shapes, *behaviours)
    with FaultProxy(reference_url, both.on_request, both.on_response) as proxy:
        second = run_suite(
            tmp_path / "both", f"--target-url={proxy.url}", f"--expected-failures={listed}", tests=catchers
        )
    assert second.returncode == 1, second.output[-3000:]
    for area, (_, name) in PAIRS.items():
        fault = BY_NAME[name]
        named = []
        for catcher in (c for c in fault.catches if c in catchers):
            test = second.find(catcher)
            assert test is not None, f"{area}: {catcher} did not run"
            assert test["outcome"] == "failed", f"{area}: {catcher} hid {name}: {test['outcome']}"
            named += [f for f in _findings(test) if f.get("rule") == fault.rule and not f.get("listed")]
        assert named, f"{area}: {name} ({fault.rule}) was not named as a new finding"
    for test in second.results["tests"]:
        shown_before = (first.find(test["id"].rsplit("/", 1)[-1]) or {}).get("outcome") == "failed"
        if test["outcome"] == "failed" and shown_before:  # a listed shape finding never comes back as new
            new = [f for f in _findings(test) if not f.get("listed")]
            assert all(f.get("rule") != "CONTRACT-SCHEMA" for f in new), f"a listed shape finding came back new: {new}"


def _some_searches_fail(req: Req) -> Resp | None:
    """A second, independent deviation of the same operation: a search with an offset answers 500."""
    if req.is_("POST", "/runs/crons/search") and isinstance(req.body, dict) and req.body.get("offset"):
        return Resp(500, {"content-type": "text/plain"}, b"Internal Server Error")
    return None


def test_the_property_layer_names_every_rule_it_finds(reference_url, tmp_path):
    """An operation that breaks two rules (a 500 for some searches, a misdated Cron in the others) reports
    both as findings, not only the first rule of RULE_ORDER."""
    operation = "test_properties.py::test_operation[POST /runs/crons/search]"
    hook = misdated("POST /runs/crons/search")
    with FaultProxy(reference_url, _some_searches_fail, hook) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}", tests=[operation])
    test = run.find(operation)
    assert test is not None and test["outcome"] == "failed", run.output[-3000:]
    assert {"PROPERTY-SERVER-ERROR", "CONTRACT-SCHEMA"} <= {f["rule"] for f in _findings(test)}, _findings(test)


def test_a_shared_fixtures_finding_is_named_by_every_test_that_uses_it(reference_url, tmp_path):
    """The thread-search corpus is a module fixture, set up inside whichever test needs it first (under
    -n 2 that test changes from run to run). Its creates answer a misdated Thread: every test that searches
    the corpus names that finding, on both workers, so a baseline lists the same tests in every run."""
    fault = Fault("threads-created-misdated", "", (), "CONTRACT-SCHEMA", None, misdated("POST /threads"))
    with FaultProxy(reference_url, fault.on_request, fault.on_response) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}", "-n", "2", modules=["test_thread_search.py"])
    users = [t for t in run.results["tests"] if _uses_corpus(t["id"])]
    assert len(users) >= 8, run.output[-3000:]
    for test in users:
        found = [f for f in _findings(test) if f.get("rule") == "CONTRACT-SCHEMA" and "POST /threads" in str(f)]
        assert test["outcome"] == "failed" and found, (test["id"], test.get("detail"))


def _uses_corpus(nodeid: str) -> bool:
    """The tests of test_thread_search.py whose signature takes the module's ``corpus`` fixture."""
    import inspect

    from conformance.tests import test_thread_search

    name = nodeid.split("::")[-1].split("[")[0]
    function = getattr(test_thread_search, name, None)
    return function is not None and "corpus" in inspect.signature(function).parameters

"""Reports tell the truth and nothing secret: outcomes, profiles, exit codes, the matrix, the HTML page.

The suite is run as a user runs it (a pytest subprocess, tests/runner.py) against the real reference,
through the fault proxy where failures are needed. Outcome rules that need a test the real suite does
not have (a suite bug, an area the suite lacks) use pytester with a small conformance module of its own.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from conformance import HARNESS_EXIT_CODE
from conformance.cli import main as cli_main
from conformance.contract.failures import ConformanceFailure
from conformance.plugin import expected
from conformance.reports import html as html_report
from conformance.reports import matrix
from tests.faultproxy import FaultProxy
from tests.faults import FAULTS
from tests.runner import REPO, run_suite

pytest_plugins = ("pytester",)

API_KEY = "SECRET-api-key-7f3a9c"
HEADER_VALUE = "SECRET-header-value-41b2"
URL_PASSWORD = "SECRET-url-password-88d0"
SECRETS = (API_KEY, HEADER_VALUE, URL_PASSWORD)
REPORT_FILES = ("junit.xml", "results.json", "report.md", "report.html")
SCREENSHOT = REPO / "scripts" / "screenshot_report.py"


def _fault(name: str):
    return next(f for f in FAULTS if f.name == name)


# ------------------------------------------------------------------------------- files and secrets


def test_reports_are_complete_and_hold_no_secret(tmp_path, reference_url):
    """A failing run with an API key, a secret header and URL credentials: four files, evidence, no secret."""
    fault = _fault("idle-shown-as-busy")
    with FaultProxy(reference_url, fault.on_request, fault.on_response) as proxy:
        url = proxy.url.replace("http://", f"http://conformance:{URL_PASSWORD}@")
        run = run_suite(
            tmp_path,
            f"--target-url={url}",
            f"--api-key={API_KEY}",
            "--target-header",
            f"X-Token: {HEADER_VALUE}",
            "-rA",
            modules=["test_thread_status.py"],
        )
    assert run.returncode == 1, run.output[-3000:]
    for name in REPORT_FILES:
        assert (tmp_path / name).is_file(), f"{name} was not written:\n{run.output[-2000:]}"
    texts = {name: (tmp_path / name).read_text(encoding="utf-8") for name in REPORT_FILES}
    texts["terminal output"] = run.output
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, f"a secret leaked into the {where}"

    results = run.results
    assert results["suite"]["version"] and results["spec"]["version"]
    assert re.fullmatch(r"[0-9a-f]{64}", results["spec"]["sha256"] or "")
    assert results["target"]["url"] == proxy.url, "the report's target URL must carry no credentials"
    assert results["target"]["info"].get("version"), "the target's /info is missing"
    assert results["profile"]["name"] == "full"
    assert results["verdict"] == "does not conform" and results["verdicts"]["core"]["verdict"] == "does not conform"
    assert results["gate"]["verdict"] == "fail" and results["verdicts"]["core"]["gate"]["verdict"] == "fail"
    assert results["score"]["passed"] < results["score"]["total"]
    failed = [t for t in results["tests"] if t["outcome"] == "failed"]
    assert failed, results["counts"]
    for test in failed:
        detail = test["detail"]
        assert detail["rule"] and detail["expected"] is not None and detail["actual"] is not None, detail
        assert detail["reproduce"].startswith("curl "), detail
        assert "x-api-key: <redacted>" in detail["reproduce"] and "X-Token: <redacted>" in detail["reproduce"]
        assert test["operations"], f"{test['id']} names no operation"
        assert all(re.fullmatch(r"(GET|POST|PATCH|PUT|DELETE) /\S+", op) for op in test["operations"]), test

    page = texts["report.html"]
    assert "<script" not in page.lower() and "http://" not in page.split("<body>")[0], "external assets in <head>"
    assert "<style>" in page and "does not conform" in page and "THREAD-STATUS-IDLE" in page and "curl -s" in page


# ---------------------------------------------------------------------------- stale and unknown entries


def test_listed_failure_that_passes_is_stale(tmp_path, reference_url):
    listed = tmp_path / "expected-failures.yaml"
    listed.write_text(
        "expected_failures:\n"
        "  - test: test_thread_status.py::test_find_thread_by_id\n"
        "    rule: THREADS-GET\n"
        "    reason: listed on purpose, but the reference gets it right\n"
        "  - test: test_thread_search.py::test_values_filter_returns_the_thread_with_that_state\n"
        "    reason: a real test of a module this run does not collect, so not unknown\n"
    )
    run = run_suite(
        tmp_path / "report",
        f"--target-url={reference_url}",
        f"--expected-failures={listed}",
        modules=["test_thread_status.py"],
    )
    assert run.returncode == 1, "a stale expected failure must fail the run:\n" + run.output[-2000:]
    assert run.find("test_thread_status.py::test_find_thread_by_id")["outcome"] == "stale"
    assert run.results["verdict"] == "does not conform" and run.results["gate"]["verdict"] == "fail"


def test_unknown_entry_is_one_line_and_writes_nothing(tmp_path, reference_url):
    """A typo in the list would turn a real failure into a red run nobody can explain: refused up front."""
    listed = tmp_path / "expected-failures.yaml"
    listed.write_text(
        "expected_failures:\n  - test: test_thread_status.py::test_that_does_not_exist\n    reason: a typo\n"
    )
    run = run_suite(
        tmp_path / "report",
        f"--target-url={reference_url}",
        f"--expected-failures={listed}",
        modules=["test_thread_status.py"],
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.output[-2000:]
    lines = [line for line in run.output.splitlines() if "test_that_does_not_exist" in line]
    assert len(lines) == 1 and "names tests the suite does not have" in lines[0], run.output[-2000:]
    assert "Traceback" not in run.output
    assert not (tmp_path / "report" / "results.json").exists(), "nothing may be written half-way"


def test_unwritable_report_folder_is_one_line(tmp_path, reference_url):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run = run_suite(blocker / "report", f"--target-url={reference_url}", modules=["test_thread_status.py"])
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.output[-2000:]
    assert "cannot be written" in run.output and "Traceback" not in run.output, run.output[-2000:]


# ---------------------------------------------------------- an expected failure names one failure, not any


def test_an_entry_names_the_other_shapes_of_its_deviation(tmp_path):
    """``or:`` lists the other shapes a known deviation takes; anything else is still a new failure."""
    listed = tmp_path / "expected-failures.yaml"
    listed.write_text(
        "expected_failures:\n"
        "  - test: test_store.py::test_search_with_a_bad_namespace_label_is_422\n"
        "    rule: STORE-BAD-NAMESPACE\n"
        "    evidence: {status: 500}\n"
        "    or:\n"
        "      - rule: HTTP-TRANSPORT\n"
        "        evidence: {message: 'POST /store/items/search: the connection failed'}\n"
        "    reason: answered 500, or the connection dropped\n"
    )
    [entry] = expected.load_file(listed).entries
    dropped = ConformanceFailure("HTTP-TRANSPORT", "POST /store/items/search: the connection failed (ReadError)")
    assert entry.identifies(ConformanceFailure("STORE-BAD-NAMESPACE", "answered 500, expected 422")) is None
    assert entry.identifies(dropped) is None
    assert entry.identifies(ConformanceFailure("HTTP-TRANSPORT", "GET /ok: the connection failed")) is not None
    assert entry.identifies(ConformanceFailure("STORE-ITEM-ROUNDTRIP", "lost")) == (
        "rule STORE-ITEM-ROUNDTRIP, not the listed STORE-BAD-NAMESPACE"
    )


def test_same_rule_other_failure_is_a_new_failure(tmp_path, reference_url):
    """The entry's evidence (status, message) identifies the failure; the same rule failing otherwise is new."""
    listed = tmp_path / "expected-failures.yaml"
    listed.write_text(
        "expected_failures:\n"
        "  - test: test_thread_status.py::test_thread_shows_its_status[idle]\n"
        "    rule: THREAD-STATUS-IDLE\n"
        "    evidence: {status: 500, message: 'answered # instead'}\n"
        "    reason: listed for a 500 the proxy does not cause\n"
    )
    fault = _fault("idle-shown-as-busy")
    with FaultProxy(reference_url, fault.on_request, fault.on_response) as proxy:
        run = run_suite(
            tmp_path / "report",
            f"--target-url={proxy.url}",
            f"--expected-failures={listed}",
            modules=["test_thread_status.py"],
        )
    test = run.find("test_thread_status.py::test_thread_shows_its_status[idle]")
    assert test["outcome"] == "failed", test
    assert "not the listed expected failure" in test["detail"]["message"], test["detail"]
    assert run.returncode == 1


# ------------------------------------------------------------------------------- unsupported areas


@pytest.mark.parametrize("how", ["option", "file"])
def test_unsupported_area_is_never_passed(tmp_path, reference_url, how):
    args = [f"--target-url={reference_url}"]
    if how == "option":
        args.append("--unsupported-areas=thread-state,no-such-area")
    else:
        declared = tmp_path / "expected-failures.yaml"
        declared.write_text("unsupported_areas:\n  - area: thread-state\n    reason: no checkpointer\n")
        args.append(f"--expected-failures={declared}")
    run = run_suite(tmp_path / "report", *args, modules=["test_thread_state.py", "test_thread_status.py"])
    if how == "option":
        assert run.returncode == pytest.ExitCode.USAGE_ERROR and "no-such-area" in run.output, run.output[-2000:]
        args[-1] = "--unsupported-areas=thread-state"
        run = run_suite(tmp_path / "report", *args, modules=["test_thread_state.py", "test_thread_status.py"])
    assert run.returncode == 0, run.output[-2000:]
    state = [t for t in run.results["tests"] if t["area"] == "thread-state"]
    assert state and {t["outcome"] for t in state} == {"unsupported"}, state
    assert {t["outcome"] for t in run.results["tests"] if t["area"] == "thread-status"} == {"passed"}
    assert "thread-state" in run.results["profile"]["unsupported_areas"]
    # Two modules named on the command line: a partial run, never a certification; the areas it ran say
    # what they can (an unsupported area is never passed).
    assert run.results["verdict"] == "not certified (partial run)", run.results["verdict_why"]
    assert run.results["verdicts"]["core"]["verdict"] == "not certified (partial run)"
    assert run.results["areas"]["thread-state"]["verdict"] == "conforms where supported"
    assert run.results["partial_run"] == "modules named on the command line"
    assert run.results["gate"]["verdict"] == "pass"
    assert run.results["areas"]["thread-state"]["passed"] == 0


# ---------------------------------------------------------------- profiles and harness errors (pytester)

FAKE_SUITE = """
import pytest

@pytest.mark.area("thread-status")
def test_core_passes(client):
    assert client.get("/info").status == 200

@pytest.mark.area("properties")
def test_outside_core(client):
    assert client.get("/info").status == 200
"""

SUITE_BUG = """
import pytest
from conformance.contract.checks import expect

@pytest.mark.area("thread-status")
def test_suite_bug(client):
    {}["missing"]

@pytest.mark.area("thread-status")
def test_target_failure(client):
    expect(FAIL, "THREADS-GET", "GET /info: made to fail", expected=1, actual=2)
"""


def _pytester_run(pytester: pytest.Pytester, url: str, source: str, *args: str):
    pytester.makepyfile(test_fake=source)
    report = pytester.path / "report"
    result = pytester.runpytest_subprocess(
        f"--target-url={url}", f"--conformance-report={report}", "-p", "no:cacheprovider", *args
    )
    return result, json.loads((report / "results.json").read_text())


def test_core_profile_deselects_other_areas(pytester, reference_url):
    result, results = _pytester_run(pytester, reference_url, FAKE_SUITE, "--profile=core")
    assert result.ret == 0, result.stdout.str()
    assert [t["id"].split("::")[-1] for t in results["tests"]] == ["test_core_passes"]
    assert results["profile"]["name"] == "core" and results["profile"]["deselected"] == 1
    assert results["verdicts"]["core"]["verdict"] == "conforms"
    assert results["verdicts"]["full"]["verdict"] == "not evaluated"
    assert results["tests"][0]["operations"] == ["GET /info"]


def test_full_profile_runs_every_area(pytester, reference_url):
    result, results = _pytester_run(pytester, reference_url, FAKE_SUITE)
    assert result.ret == 0, result.stdout.str()
    assert {t["area"] for t in results["tests"]} == {"thread-status", "properties"}
    assert results["verdicts"]["full"]["verdict"] == "conforms"


def test_unknown_profile_is_a_usage_error(pytester, reference_url):
    pytester.makepyfile(test_fake=FAKE_SUITE)
    result = pytester.runpytest_subprocess(f"--target-url={reference_url}", "--profile=everything")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*profile must be one of core, full*"])


def test_suite_bug_alone_is_a_harness_error_exit(pytester, reference_url):
    """An exception that is not a ConformanceFailure is the suite's, never the target's: exit 6."""
    result, results = _pytester_run(pytester, reference_url, SUITE_BUG.replace("FAIL", "True"))
    assert result.ret == HARNESS_EXIT_CODE, result.stdout.str()
    outcomes = {t["id"].split("::")[-1]: t for t in results["tests"]}
    assert outcomes["test_suite_bug"]["outcome"] == "harness error"
    assert "KeyError" in outcomes["test_suite_bug"]["detail"]["exception"]
    assert outcomes["test_target_failure"]["outcome"] == "passed"
    assert results["verdict"] == "not certified (harness error)" and results["counts"]["failed"] == 0
    assert results["gate"]["verdict"] == "error"
    result.stdout.fnmatch_lines([f"*conformance: exit code {HARNESS_EXIT_CODE}*"])


def test_target_failure_beside_a_suite_bug_still_fails_the_target(pytester, reference_url):
    result, results = _pytester_run(pytester, reference_url, SUITE_BUG.replace("FAIL", "False"))
    assert result.ret == 1, result.stdout.str()
    assert results["verdict"] == "does not conform" and results["gate"]["verdict"] == "fail"
    assert results["counts"]["failed"] == 1 and results["counts"]["harness error"] == 1


FIXTURE_FAILS = """
import pytest
from conformance.contract.checks import expect

@pytest.fixture
def made(client):
    expect(False, "CRONS-CREATE", "POST /runs/crons: answered 500, expected 200", expected=200, actual=500)

@pytest.mark.area("crons")
def test_needs_what_the_fixture_makes(made):
    pass
"""


def test_listed_failure_in_a_fixture_is_an_expected_failure_not_unsupported(pytester, reference_url):
    """A listed test whose fixture fails as listed is an expected failure; only a skip is *unsupported*."""
    listed = pytester.path / "expected-failures.yaml"
    listed.write_text(
        "expected_failures:\n"
        "  - test: test_fake.py::test_needs_what_the_fixture_makes\n"
        "    rule: CRONS-CREATE\n"
        "    reason: the fixture's create answers 500\n"
    )
    result, results = _pytester_run(pytester, reference_url, FIXTURE_FAILS, f"--expected-failures={listed}")
    assert result.ret == 0, result.stdout.str()
    assert [t["outcome"] for t in results["tests"]] == ["expected failure"], results["tests"]
    assert results["counts"]["unsupported"] == 0 and results["gate"]["verdict"] == "pass"


# ------------------------------------------------------------------------------------------ matrix


def _fake_results(name: str, outcomes: dict[str, str], verdict: str) -> dict:
    tests = [
        {
            "id": f"conformance/tests/{test}",
            "area": "thread-search" if "search" in test else "thread-status",
            "outcome": outcome,
            "operations": [],
            **({"detail": {"rule": "SEARCH-VALUES"}} if outcome in ("failed", "expected failure") else {}),
        }
        for test, outcome in outcomes.items()
    ]
    counts = {o: sum(1 for t in tests if t["outcome"] == o) for o in html_report.OUTCOMES}
    return {
        "suite": {"name": "langgraph-conformance", "version": "0.1.0"},
        "spec": {"version": "0.1.0", "sha256": "ab" * 32},
        "target": {"name": name, "info": {"version": "9.9"}},
        "profile": {"name": "full"},
        "verdict": verdict,
        "gate": {"verdict": "pass" if verdict == "conforms" else "fail"},
        "verdicts": {
            "core": {"verdict": verdict, "passed": counts["passed"], "total": len(tests)},
            "full": {"verdict": verdict, "passed": counts["passed"], "total": len(tests)},
        },
        "counts": counts,
        "tests": tests,
    }


def test_matrix_from_two_implementations(tmp_path):
    reports = tmp_path / "reports"
    a = {"test_thread_search.py::test_values": "expected failure", "test_thread_status.py::test_idle": "passed"}
    b = {"test_thread_search.py::test_values": "failed", "test_thread_search.py::test_limit": "unsupported"}
    for name, outcomes, verdict in (("impl-b", b, "does not conform"), ("impl-a", a, "does not conform")):
        (reports / name).mkdir(parents=True)
        data = _fake_results(name, outcomes, verdict)
        if name == "impl-b":
            data["target"]["release"] = "langgraph-api 0.1.0"
        (reports / name / "results.json").write_text(json.dumps(data))
    assert cli_main(["matrix", "--reports", str(reports)]) == 0
    text = (reports / "README.md").read_text(encoding="utf-8")
    assert "| area | impl-a | impl-b |" in text, "columns are the implementations, sorted"
    assert "| thread-search | 0/1 ⚠️ 1 Δ 1 | 0/2 ❌ 1 ⏭️ 1 Δ 1 |" in text, "a listed deviation is never shown passed"
    assert "| thread-status | 1/1 ✅ | — |" in text
    assert (
        "| `test_thread_search.py::test_values` | ⚠️ expected failure (SEARCH-VALUES) | ❌ failed (SEARCH-VALUES) |"
        in text
    )
    assert "| `test_thread_search.py::test_limit` | — | ⏭️ unsupported |" in text
    assert (
        "[impl-a](impl-a/report.md) | 9.9 | — | 1/2 (50%) | 1/2 (50%) | **does not conform** | "
        "1 distinct deviation, affecting 1 test | fail |" in text
    )
    assert "[impl-b](impl-b/report.md) | 9.9 | langgraph-api 0.1.0 |" in text, "the release a target states"
    assert cli_main(["matrix", "--reports", str(reports), "--check"]) == 0, "rebuilding must be deterministic"
    (reports / "impl-a" / "results.json").write_text(json.dumps(_fake_results("impl-a", a, "conforms")))
    assert cli_main(["matrix", "--reports", str(reports), "--check"]) == 1
    (reports / "impl-a" / "results.json").write_text("{not json")
    assert cli_main(["matrix", "--reports", str(reports)]) == 1


def _committed(path: str) -> bytes | None:
    """``path`` as the checkout's HEAD commit holds it (None outside a git checkout)."""
    import subprocess

    done = subprocess.run(["git", "show", f"HEAD:{path}"], cwd=REPO, capture_output=True, check=False)
    return done.stdout if done.returncode == 0 else None


def test_committed_matrix_is_current(tmp_path):
    """reports/README.md is rebuilt from the committed results.json files, not edited by hand.

    Read from the commit, not the working tree: a certification run just before (CI's first command writes
    the reference's report into reports/) may differ in a finding listed as not strict, and is not what
    was committed."""
    import subprocess

    listed = subprocess.run(["git", "ls-files", "reports"], cwd=REPO, capture_output=True, text=True, check=False)
    committed_readme = _committed("reports/README.md")
    if listed.returncode != 0 or committed_readme is None:
        output, text = matrix.build(REPO / "reports")  # not a git checkout: the files as they are
        assert output.exists() and output.read_text(encoding="utf-8") == text, "run `conformance matrix`"
        return
    for path in listed.stdout.split():
        if not path.endswith((".gz", ".html", ".xml")):  # what the matrix reads: results, lists, notes
            target = tmp_path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_committed(path) or b"")
    _, text = matrix.build(tmp_path / "reports", include_ignored=True)
    expected = committed_readme.decode("utf-8")
    assert expected == text, "reports/README.md is out of date: run `conformance matrix` and commit it"


# -------------------------------------------------------------------------------------------- HTML

HOSTILE = "<script>alert('x')</script>&<b>"


def _page_data() -> dict:
    data = _fake_results("hostile<i>", {"test_thread_search.py::test_values": "failed"}, "does not conform")
    data["target"]["url"] = "http://127.0.0.1:1"
    data["tests"][0]["operations"] = ["POST /threads/search"]
    data["tests"][0]["detail"] = {
        "rule": "SEARCH-VALUES",
        "rule_text": "values: only matching threads",
        "message": HOSTILE,
        "expected": "200",
        "actual": HOSTILE,
        "exchange": "POST /threads/search -> 500 (text/html)",
        "reproduce": 'curl -s -X POST \'http://127.0.0.1:1/threads/search\' -d \'{"values":{"a":"</pre>"}}\'',
    }
    return data


def test_html_escapes_everything_the_target_said():
    page = html_report.render(_page_data())
    assert HOSTILE not in page and "<script" not in page and '</pre>"' not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&lt;b&gt;" in page
    assert "hostile&lt;i&gt;" in page
    assert "<link" not in page and "src=" not in page, "the page must be self-contained"


def test_html_renders_in_headless_chromium(tmp_path):
    """The reference report, laid out by a real browser: a full-width, non-blank screenshot."""
    if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        pytest.skip("chromium is not installed (apt-get install -y chromium); cannot render report.html")
    import subprocess
    import sys

    page = tmp_path / "report.html"
    page.write_text(html_report.render(_page_data()), encoding="utf-8")
    png = tmp_path / "report.png"
    done = subprocess.run(
        [sys.executable, str(SCREENSHOT), str(page), str(png), "--width", "1280", "--height", "1400"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 1280
    # A blank page compresses to a few kilobytes; text, tables and coloured badges do not.
    assert png.stat().st_size > 20_000, f"the screenshot looks blank ({png.stat().st_size} bytes)"


def test_reference_report_is_committed_with_every_file():
    folder = REPO / "reports" / "langgraph-api-0.16.7-inmem"
    for name in (*REPORT_FILES, "expected-failures.yaml"):
        assert (folder / name).is_file(), f"{folder.name}/{name} is missing"
    results = json.loads((folder / "results.json").read_text())
    assert results["gate"]["verdict"] == "pass", "the committed reference report must pass its gate"
    assert results["counts"]["failed"] == results["counts"]["stale"] == 0
    assert not results["unknown_expected_failures"]


def test_screenshot_script_without_a_browser_says_so(tmp_path, monkeypatch):
    """Exit 3 and one line when chromium is missing, so CI logs say what to install."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshot_report", SCREENSHOT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    page = tmp_path / "r.html"
    page.write_text("<p>x</p>")
    assert module.main([str(page), str(tmp_path / "r.png")]) == module.NO_BROWSER_EXIT


def test_report_folder_is_not_ignored_by_git():
    import subprocess

    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "reports/langgraph-api-0.16.7-inmem/results.json"], cwd=REPO, check=False
    )
    assert ignored.returncode == 1, "the reference's results.json must be committed (see .gitignore)"


def test_matrix_names_the_implementations_not_runnable_here(tmp_path):
    """An implementation that cannot run here is listed with its reason, never silently absent; a file
    without reasons is refused."""
    from conformance.reports import matrix

    (tmp_path / matrix.NOT_RUNNABLE).write_text(
        "not_runnable:\n  - {name: Example, version: '1.0', reason: needs a toolchain CI lacks}\n", encoding="utf-8"
    )
    _, text = matrix.build(tmp_path, None)
    assert "## Not certified here" not in text  # no implementation certified: the page says so first
    rows = matrix._not_runnable_lines(matrix.load_not_runnable(tmp_path))
    assert any("Example" in row and "needs a toolchain CI lacks" in row for row in rows)
    (tmp_path / matrix.NOT_RUNNABLE).write_text("not_runnable:\n  - {name: Example}\n", encoding="utf-8")
    with pytest.raises(matrix.MatrixError):
        matrix.load_not_runnable(tmp_path)

"""Upcoming releases: pre-releases of the official server certified against today's contract, as rows apart.

No server is started here: ``./run.sh upcoming VERSION`` certifies one (about two minutes each), and its
committed report is what the matrix shows. These tests hold what that rests on: the runtime paired with
each release is the one its wheel requires, a row that states a newer release than the vendored spec's
goes to "Upcoming releases" beside the reference of the spec's release and never among the
implementations, and each committed upcoming row says, for every listed finding, whether the server or
the contract moved.
"""

from __future__ import annotations

import json

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conformance.cli import main as cli_main
from conformance.reports import matrix
from conformance.reports.results import release_text, upcoming
from conformance.targets import install
from conformance.targets import upcoming as bringup
from tests.runner import REPO
from tests.test_reports import _fake_results


def test_each_release_is_paired_with_the_runtime_its_wheel_requires():
    for version, pairing in bringup.RELEASES.items():
        name, _, specifier = pairing.requires.partition("<")
        assert name == "langgraph-runtime-inmem", pairing
        allowed = SpecifierSet("<" + specifier, prereleases=True)
        assert Version(pairing.runtime) in allowed, f"{version}: {pairing.runtime} is not in {pairing.requires}"
        assert f"langgraph-api=={version}" in pairing.requirements
        assert f"langgraph-runtime-inmem=={pairing.runtime}" in pairing.requirements
        assert pairing.name == f"langgraph-api-{version}-inmem"


def test_an_unknown_release_is_refused_with_the_known_ones(capsys):
    assert bringup.main([]) == 2
    assert bringup.main(["0.99.0", "-k", "ok"]) == 2
    assert "0.17.0rc6" in capsys.readouterr().err
    assert "upcoming" in install._installers()


def _result(name: str, outcomes: dict[str, str], release: str | None) -> dict:
    data = _fake_results(name, outcomes, "does not conform")
    data["spec"]["release"] = "langgraph-api 0.16.7"
    if release:
        data["target"]["release"] = release
    return data


def test_a_newer_release_is_upcoming_an_older_or_another_product_is_not():
    def stated(release):
        return _result("x", {}, release)

    assert upcoming(stated("langgraph-api 0.17.0rc6")) and upcoming(stated("langgraph-api 0.18.0.dev12"))
    assert not upcoming(stated("langgraph-api 0.11.1")), "an older release is an implementation that lacks things"
    assert not upcoming(stated("langgraph-api 0.16.7"))
    assert not upcoming(stated(None)) and not upcoming(stated("graphharbor 9.0")) and not upcoming(stated("x y z"))
    assert "an upcoming release: newer than the vendored spec (langgraph-api 0.16.7)" in release_text(
        stated("langgraph-api 0.17.0rc6")
    )


def test_the_matrix_puts_upcoming_releases_apart_beside_the_reference(tmp_path):
    reports = tmp_path / "reports"
    rows = {
        "langgraph-api-0.16.7-inmem": ({"test_a.py::t1": "passed", "test_a.py::t2": "expected failure"}, None),
        "langgraph-api-0.17.0rc6-inmem": (
            {"test_a.py::t1": "expected failure", "test_a.py::t2": "passed"},
            "langgraph-api 0.17.0rc6",
        ),
        "older": ({"test_a.py::t1": "passed"}, "langgraph-api 0.11.1"),
    }
    for name, (outcomes, release) in rows.items():
        (reports / name).mkdir(parents=True)
        (reports / name / "results.json").write_text(json.dumps(_result(name, outcomes, release)))
    (reports / "langgraph-api-0.17.0rc6-inmem" / "DEVIATIONS-CHECKED.md").write_text("# checked\n")
    assert cli_main(["matrix", "--reports", str(reports)]) == 0
    text = (reports / "README.md").read_text(encoding="utf-8")
    implementations, _, rest = text.partition("## Upcoming releases")
    assert "[older](older/report.md)" in implementations and "[langgraph-api-0.16.7-inmem]" in implementations
    assert "0.17.0rc6" not in implementations, "an upcoming release is not an implementation"
    row = next(line for line in rest.splitlines() if line.startswith("| [langgraph-api 0.17.0rc6]"))
    assert "| [langgraph-api-0.16.7-inmem](langgraph-api-0.16.7-inmem/report.md) |" in row
    assert "| now passes 1, now fails 1 |" in row, "moved: test by test against the reference"
    assert "[DEVIATIONS-CHECKED.md](langgraph-api-0.17.0rc6-inmem/DEVIATIONS-CHECKED.md)" in row
    assert "| area | langgraph-api-0.16.7-inmem | langgraph-api-0.17.0rc6-inmem | older |" in rest


def test_every_committed_upcoming_row_says_who_moved_for_each_listed_finding():
    rows = [impl for impl in matrix.load(REPO / "reports") if impl.upcoming]
    assert {impl.folder for impl in rows} >= {pairing.name for pairing in bringup.RELEASES.values()}
    for impl in rows:
        folder = REPO / "reports" / impl.folder
        assert impl.checked, f"{impl.folder} has no DEVIATIONS-CHECKED.md"
        listed = yaml.safe_load((folder / "expected-failures.yaml").read_text(encoding="utf-8"))
        assert listed["release"] == impl.data["target"]["release"]
        for entry in listed["expected_failures"]:
            reason = entry["reason"]
            assert reason.startswith(("Server moved", "Server did not move", "Contract moved")), entry
            assert "contract" in reason.lower(), f"says nothing of the contract: {entry}"

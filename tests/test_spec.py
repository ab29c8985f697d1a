"""The vendored spec, its errata, the rule ids and the fixture-graph facts stay consistent."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from conformance import graphs
from conformance.contract.document import Contract, Erratum, SpecError, apply_erratum, load_errata
from conformance.contract.rules import load_rules
from conformance.paths import GRAPHS_DIR, PACKAGE_DIR, spec_dir
from conformance.spectools import vendor
from conformance.targets import reference
from tests import faults

REPO = PACKAGE_DIR.parent


def test_vendored_copy_is_untouched():
    assert vendor.verify(spec_dir()) == []


def test_vendoring_is_byte_for_byte_reproducible():
    """Rendering the wheel's openapi.json again gives exactly the committed YAML."""
    source = reference.openapi_path(reference.ensure_installed()).read_bytes()
    provenance = yaml.safe_load((spec_dir() / "SOURCE.yaml").read_text())
    assert hashlib.sha256(source).hexdigest() == provenance["source_sha256"]
    assert vendor.render_yaml(json.loads(source)) == (spec_dir() / "openapi.yaml").read_text(encoding="utf-8")


def test_every_erratum_applies_and_has_evidence():
    errata = load_errata(spec_dir() / "errata.yaml")
    contract = Contract.load()
    assert len(contract.operations) == 64
    for erratum in errata:
        assert erratum.evidence.strip() and erratum.summary.strip(), erratum.id
    assert len({e.id for e in errata}) == len(errata), "duplicate errata ids"


def test_erratum_on_a_missing_location_is_refused():
    document = {"paths": {}, "components": {"schemas": {}}}
    bad = Erratum("X1", "spec-bug", "/components/schemas/Nope/type", "replace", "object", "e", "s")
    with pytest.raises(SpecError, match="does not exist"):
        apply_erratum(document, bad)


RULE_ID = re.compile(r"""["']([A-Z]+(?:-[A-Z0-9]+)+)["']""")


def test_every_rule_id_used_is_defined():
    rules = load_rules()
    sources = list((PACKAGE_DIR).rglob("*.py"))
    used = {
        m
        for path in sources
        for m in RULE_ID.findall(path.read_text())
        if m.split("-")[0] in {r.split("-")[0] for r in rules}
    }
    used |= {f.rule for f in faults.FAULTS}
    assert used - set(rules) == set(), f"rule ids used but not in spec/rules.yaml: {sorted(used - set(rules))}"


def test_fixture_graph_facts_match_the_graphs():
    """graphs.py runs inside the target and cannot import the suite: its constants must agree."""
    tree = ast.parse((GRAPHS_DIR / "graphs.py").read_text())
    constants = {
        t.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name) and t.id.isupper()
    }
    for name in ("ECHO_PREFIX", "INTERRUPT_QUESTION", "FAILURE_MESSAGE", "STEP_NODES", "CUSTOM_EVENTS"):
        assert constants[name] == getattr(graphs, name), name
    config = json.loads((GRAPHS_DIR / "langgraph.json").read_text())
    assert tuple(config["graphs"]) == graphs.GRAPHS


def test_fault_table_is_generated_from_the_catalogue():
    assert (REPO / "docs" / "FAULTS.md").read_text() == faults.render_table(), "run: python -m tests.faults"
    assert len(faults.FAULTS) >= 30
    assert len({f.name for f in faults.FAULTS}) == len(faults.FAULTS)


def test_fault_catchers_exist():
    """Every test a fault names is a real conformance test."""
    names = set()
    for path in (PACKAGE_DIR / "tests").glob("test_*.py"):
        names |= {f"{path.name}::{n}" for n in re.findall(r"^def (test_\w+)", path.read_text(), re.M)}
    for fault in faults.FAULTS:
        for catcher in fault.catches:
            assert catcher.split("[", 1)[0] in names, f"{fault.name}: {catcher} is not a test"


def test_spec_check_command_passes(capsys):
    from conformance.cli import main

    assert main(["spec", "check"]) == 0
    assert "64 operations" in capsys.readouterr().out


def test_bad_spec_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "openapi.yaml"
    bad.write_text("just: [text\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        Contract.load(bad)
    bad.write_text("openapi: 3.1.0\n")
    with pytest.raises(SpecError, match="no 'paths'"):
        Contract.load(bad)


def test_a_schema_finding_inside_an_any_of_names_where_the_value_broke_it():
    """A state whose checkpoint is an object with a null checkpoint_map (the JS server's): the finding's
    place is the anyOf's ($['checkpoint'], which may be null by E003), so its actual must say that the
    value that broke the schema is checkpoint_map's, not the checkpoint's."""
    from conformance.contract.findings import Findings, collecting

    state = {
        "values": {},
        "next": [],
        "tasks": [],
        "metadata": {},
        "created_at": "2026-12-05T00:00:00+00:00",
        "checkpoint": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c", "checkpoint_map": None},
    }
    with collecting(Findings()) as found:
        Contract.load().validate_body(state, "ThreadState")
    places = [(f.message, str(f.actual)) for f in found.items]
    assert any("$['checkpoint']" in message and "checkpoint_map" in actual for message, actual in places), places

"""The suite works installed: the wheel carries the same spec, errata, rules, baselines and fixture graphs as
the checkout, and the drop-in CI workflows in docs/ci/ use only commands and options that exist."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest
import yaml

from conformance.graphs import deploy
from conformance.paths import PACKAGE_DIR
from conformance.plugin.settings import OPTIONS

REPO = PACKAGE_DIR.parent
WORKFLOWS = sorted((REPO / "docs" / "ci").glob("*.yml"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def test_wheel_carries_the_checkout_data_byte_for_byte(wheel):
    names = set(wheel.namelist())
    expected = {f"conformance/spec/{p.name}": p for p in (REPO / "spec").glob("*.yaml")}
    expected |= {
        f"conformance/baselines/{p.parent.name}/expected-failures.yaml": p
        for p in (REPO / "reports").glob("*/expected-failures.yaml")
    }
    expected |= {
        f"conformance/graphs/{name}": REPO / "conformance" / "graphs" / name
        for name in ("graphs.py", "langgraph.json", "deploy.py", "auth.py", f"js/{deploy.JS_AUTH_FILE}",
                     *(f"js/{js}" for js in deploy.JS_FILES))
    }
    missing = sorted(set(expected) - names)
    assert not missing, f"the wheel lacks {missing}"
    for name, source in expected.items():
        assert wheel.read(name) == source.read_bytes(), f"{name} in the wheel differs from {source}"
    assert not [n for n in names if n.startswith("conformance/baselines/") and not n.endswith("expected-failures.yaml")]


def _run_lines(workflow: dict) -> list[str]:
    return [" ".join(str(step.get("run", "")).split()) for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_ci_workflow_uses_the_documented_commands(path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert workflow["jobs"], f"{path.name} has no job"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    flags = {option.flag for option in OPTIONS}
    commands = [line for line in _run_lines(workflow) if line.split()[:1] == ["conformance"]]
    assert any(line.startswith("conformance run ") for line in commands), f"{path.name} never certifies"
    for line in commands:
        sub = line.split()[1]
        assert f"conformance {sub}" in readme, f"{path.name}: `conformance {sub}` is not in the README"
        for flag in re.findall(r"(--[a-z-]+)=", line):
            assert flag in flags, f"{path.name}: {flag} is not an option of the suite"
    assert f"docs/ci/{path.name}" in readme, f"the README does not link docs/ci/{path.name}"

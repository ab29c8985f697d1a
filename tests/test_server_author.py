"""A server author's path (README, "Certify your own server"), piece by piece.

What ``conformance graphs`` writes (every supported server's deployment), naming a known implementation's
expected failures from an installed suite, and what a real official server configured otherwise than the
suite needs gets: without the fixture graphs, one line saying to deploy them; refusing the receiver's
loopback webhook URL (its default policy), webhook tests that are unsupported with the setting to change,
never passed and never blamed on the run's creation. ``.ci/server-author`` runs the whole path end to end.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conformance import HARNESS_EXIT_CODE
from conformance.cli import main as cli_main
from conformance.graphs import GRAPHS, deploy
from conformance.paths import BASELINES_DIR, GRAPHS_DIR
from conformance.plugin.expected import ExpectedFailuresError, known_names, resolve_file
from conformance.targets import reference
from conformance.targets.preflight import NOT_DEPLOYED
from conformance.targets.processes import free_port
from tests.runner import run_suite

REFERENCE = reference.REFERENCE_NAME


# ------------------------------------------------------------------------------------- conformance graphs


def test_graphs_command_writes_what_every_supported_server_needs(tmp_path, capsys):
    folder = tmp_path / "deploy"
    assert cli_main(["graphs", str(folder)]) == 0
    config = json.loads((folder / "langgraph.json").read_text())
    assert config["webhooks"] == {"url": {"disable_loopback": False, "require_https": False}}
    assert config["webhooks"] == deploy.WEBHOOKS_POLICY
    package = json.loads((GRAPHS_DIR / "langgraph.json").read_text())
    assert {k: v for k, v in config.items() if k != "webhooks"} == package, "the graphs are the package's"
    assert tuple(config["graphs"]) == GRAPHS
    assert json.loads((folder / "aegra.json").read_text()) == config, "Aegra reads the same keys"
    assert (folder / "graphs.py").read_bytes() == (GRAPHS_DIR / "graphs.py").read_bytes()
    for name in ("graphs.ts", "langgraph.json", "package.json", "package-lock.json"):
        assert (folder / "js" / name).read_bytes() == (GRAPHS_DIR / "js" / name).read_bytes(), f"js/{name}"
    assert tuple(json.loads((folder / "js" / "langgraph.json").read_text())["graphs"]) == GRAPHS
    said = capsys.readouterr().out
    assert "langgraph dev" in said and "aegra.json" in said and "npm ci" in said


def test_graphs_command_with_auth_writes_the_fixture_auth_for_every_server(tmp_path, capsys):
    """--auth: auth.py for the Python servers and js/auth.ts for the JS server, each configuration's auth key
    pointing at its own, with the Studio's bypass switched off."""
    folder = tmp_path / "deploy"
    assert cli_main(["graphs", str(folder), "--auth"]) == 0
    wanted = {"path": "./auth.py:auth", "disable_studio_auth": True}
    for name in ("langgraph.json", "aegra.json"):
        assert json.loads((folder / name).read_text())["auth"] == wanted, name
    assert (folder / "auth.py").read_bytes() == (GRAPHS_DIR / "auth.py").read_bytes()
    js = json.loads((folder / "js" / "langgraph.json").read_text())
    assert js["auth"] == {"path": "./auth.ts:auth", "disable_studio_auth": True}
    package = json.loads((GRAPHS_DIR / "js" / "langgraph.json").read_text())
    assert {k: v for k, v in js.items() if k != "auth"} == package
    assert (folder / "js" / "auth.ts").read_bytes() == (GRAPHS_DIR / "js" / "auth.ts").read_bytes()
    said = capsys.readouterr().out
    assert "CONFORMANCE_AUTH_TOKEN_A" in said and "langgraphjs dev" in said and "--auth-user" in said


def test_the_fixture_auth_twins_name_the_same_users_tokens_and_owner_key():
    """auth.ts is a port of auth.py: the same identities, token variables, fallback tokens and owner key."""
    python = (GRAPHS_DIR / "auth.py").read_text()
    typescript = (GRAPHS_DIR / "js" / "auth.ts").read_text()
    users = re.findall(r'"(conformance-user-\w)": \("(\w+)", "([\w-]+)"\)', python)
    assert len(users) == 2, "auth.py's USERS changed shape: update this test and auth.ts"
    for identity, variable, fallback in users:
        assert f'"{identity}": ["{variable}", "{fallback}"]' in typescript, identity
        assert variable.startswith(deploy.AUTH_TOKEN_VARIABLE)
    assert 'OWNER_KEY = "owner"' in python and 'OWNER_KEY = "owner"' in typescript


def test_graphs_command_into_an_existing_folder_rewrites_it(tmp_path):
    folder = tmp_path / "deploy"
    (folder / "js").mkdir(parents=True)
    (folder / "langgraph.json").write_text("{}")
    assert cli_main(["graphs", str(folder)]) == 0
    assert json.loads((folder / "langgraph.json").read_text())["webhooks"] == deploy.WEBHOOKS_POLICY


# -------------------------------------------------------------------------- expected failures by name


def test_known_names_are_the_carried_implementations():
    names = known_names()
    assert REFERENCE in names and len(names) >= 4
    assert all((BASELINES_DIR / name / "expected-failures.yaml").is_file() for name in names)


def test_expected_failures_by_name_file_or_folder(tmp_path, monkeypatch):
    assert resolve_file(REFERENCE) == BASELINES_DIR / REFERENCE / "expected-failures.yaml"
    monkeypatch.chdir(tmp_path)
    (tmp_path / REFERENCE).write_text("expected_failures: []\n")  # a file of that name, here: the file wins
    assert resolve_file(REFERENCE) == Path(REFERENCE)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "expected-failures.yaml").write_text("expected_failures: []\n")
    assert resolve_file("mine") == Path("mine") / "expected-failures.yaml"  # a report folder
    assert resolve_file("sub/absent.yaml") == Path("sub/absent.yaml")  # a path: read (and refused) later


@pytest.mark.parametrize("value", ["langgraph-api-9.9.9-inmem", "absent.yaml", ".."])
def test_an_unknown_name_lists_the_known_ones(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpectedFailuresError) as caught:
        resolve_file(value)
    assert str(caught.value) == (
        f"{value!r} is neither an expected-failures file nor the name of a known implementation "
        f"(known: {', '.join(known_names())})"
    )


def test_an_unknown_name_is_one_line_and_exit_4_before_the_target_is_reached(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: the name is refused first
    run = run_suite(tmp_path / "r", f"--target-url={url}", "--expected-failures=langgraph-api-9.9.9-inmem")
    assert run.returncode == 4, run.output[-2000:]
    errors = [line for line in run.output.splitlines() if "ERROR" in line or "error" in line]
    assert len(errors) == 1, run.output[-2000:]
    assert (
        "expected_failures from command line --expected-failures: 'langgraph-api-9.9.9-inmem' is neither" in (errors[0])
    )
    assert f"known: {', '.join(known_names())}" in errors[0]
    assert "Traceback" not in run.output and "unreachable" not in run.output


# ------------------------------------------------------- real official servers, deployed otherwise


def _start(tmp_path: Path, name: str, config: dict) -> reference.RunningReference:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copyfile(GRAPHS_DIR / "graphs.py", folder / "graphs.py")
    (folder / "langgraph.json").write_text(json.dumps(config))
    return reference.start(deployment=folder)


@pytest.fixture(scope="module")
def default_policy_server(tmp_path_factory):
    """The official server with the fixture graphs as the package has them: langgraph-api's default webhook
    policy, which refuses loopback URLs (what `conformance graphs` wrote before it added the policy)."""
    running = _start(
        tmp_path_factory.mktemp("server"), "graphs", json.loads((GRAPHS_DIR / "langgraph.json").read_text())
    )
    try:
        yield running.url
    finally:
        running.stop()


def test_a_refused_webhook_url_is_unsupported_with_the_setting_to_change(tmp_path, default_policy_server):
    """Certified with the reference's own expected failures by name (README step 4), as a wheel user would."""
    run = run_suite(
        tmp_path / "r",
        f"--target-url={default_policy_server}",
        f"--expected-failures={REFERENCE}",
        modules=["test_webhooks.py", "test_system.py"],
    )
    assert run.returncode == 0, run.output[-3000:]
    results = run.results
    assert results["expected_failures_file"].endswith(f"{REFERENCE}/expected-failures.yaml")
    webhooks = [t for t in results["tests"] if "test_webhooks.py" in t["id"]]
    assert len(webhooks) == 4
    for test in webhooks:
        assert test["outcome"] == "unsupported", test
        said = json.dumps(test["detail"])
        assert "refuses the URL of the suite's webhook receiver" in said, said
        assert "Webhook host blocked: loopback IP range" in said and "422" in said
        assert "webhooks.url.disable_loopback: false" in said and "--callback-host" in said
        assert "RUNS-CREATE" not in said and "STATELESS" not in said
    assert run.find("test_system.py::test_info_carries_the_version_fields_and_flags")["outcome"] == "expected failure"
    assert "gate pass" in run.output


def test_a_server_without_the_fixture_graphs_is_told_to_deploy_them(tmp_path):
    running = _start(tmp_path, "other", {"dependencies": ["."], "graphs": {"other": "./graphs.py:agent"}})
    try:
        run = run_suite(tmp_path / "r", f"--target-url={running.url}", modules=["test_system.py"])
    finally:
        running.stop()
    assert run.returncode == HARNESS_EXIT_CODE, run.output[-2000:]
    lines = [line for line in run.output.splitlines() if "conformance harness error" in line]
    assert len(lines) == 1, run.output[-2000:]
    assert NOT_DEPLOYED in lines[0]
    assert "run `conformance graphs DIR` and start the server from DIR" in lines[0]
    assert "Graph 'agent' not found" in lines[0]  # the server's own words
    assert "does not look like an Agent Server" not in run.output and "Traceback" not in run.output

"""Bad input to the suite itself gets one clear line and a distinct exit code, never a traceback or a hang."""

from __future__ import annotations

import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance import HARNESS_EXIT_CODE
from conformance.targets.preflight import NOT_DEPLOYED
from conformance.targets.processes import free_port
from tests.faultkit import hang, no_graphs
from tests.faultproxy import FaultProxy
from tests.runner import REPO, run_suite
from tests.servers import StaticServer


def _one_clear_line(run, text: str) -> None:
    assert run.returncode == HARNESS_EXIT_CODE, f"exit {run.returncode}, expected {HARNESS_EXIT_CODE}:\n{run.output}"
    lines = [line for line in run.output.splitlines() if "conformance harness error" in line]
    assert len(lines) == 1, f"expected one harness error line:\n{run.output}"
    assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    assert "Traceback" not in run.output, run.output


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "parallel"])
def test_unreachable_target_is_one_line_and_fast(tmp_path, workers):
    url = f"http://127.0.0.1:{free_port()}"
    run = run_suite(tmp_path, f"--target-url={url}", *workers)
    _one_clear_line(run, f"the target at {url} is unreachable")
    assert run.seconds < 30, f"took {run.seconds:.1f} s to report an unreachable target"
    assert run.results["verdict"] == "not certified (harness error)"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "text"),
    [
        (200, "text/html", b"<html><body>Welcome to nginx</body></html>", "not JSON"),
        (500, "text/html", b"<html><h1>500 Internal Server Error</h1></html>", "answered 500"),
        (502, "text/plain", b"bad gateway", "answered 502"),
        (200, "application/json", b'{"hello": "world"}', "not a list of assistants"),
    ],
    ids=["html-200", "html-500", "text-502", "json-not-api"],
)
def test_target_that_is_not_an_agent_server(tmp_path, status, content_type, body, text):
    with StaticServer(status, content_type, body) as server:
        run = run_suite(tmp_path, f"--target-url={server.url}")
    _one_clear_line(run, text)


def test_target_without_fixture_graphs_is_one_setup_error(tmp_path, reference_url):
    with FaultProxy(reference_url, on_request=no_graphs) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}")
    _one_clear_line(run, NOT_DEPLOYED)
    _one_clear_line(run, "has no assistant of agent, interrupt, fail, slow")


def test_endpoint_that_never_answers_fails_at_the_timeout(tmp_path, reference_url):
    with FaultProxy(reference_url, on_request=hang("GET", "/threads/*/state")) as proxy:
        run = run_suite(tmp_path, f"--target-url={proxy.url}", "--request-timeout=1", modules=["test_thread_state.py"])
    assert run.returncode == 1, run.output[-2000:]
    state_tests = [t for t in run.results["tests"] if "test_thread_state.py" in t["id"]]
    assert state_tests and all(t["outcome"] == "failed" for t in state_tests), state_tests
    assert all(t["detail"]["rule"] == "HTTP-TIMEOUT" for t in state_tests)
    assert "did not answer within 1 s" in run.output
    assert "Traceback" not in run.output


def test_spec_that_does_not_parse_is_one_line(tmp_path):
    bad = tmp_path / "openapi.yaml"
    bad.write_text("openapi: 3.1.0\npaths: [unclosed\n")
    run = run_suite(tmp_path / "report", f"--spec={bad}", f"--target-url=http://127.0.0.1:{free_port()}")
    _one_clear_line(run, "is not valid YAML")


def test_bad_option_value_names_its_source(tmp_path):
    run = run_suite(tmp_path, "--request-timeout=soon")
    assert run.returncode == 4, run.output
    assert "request_timeout from command line --request-timeout: expected a number of seconds, got 'soon'" in run.output
    assert "Traceback" not in run.output


def _gone(pid: int) -> bool:
    """No such process, or a zombie nobody has reaped yet (it runs nothing any more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith(("Z", "X"))
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_killed_suite_leaves_no_reference_running():
    """A CI runner's timeout SIGKILLs the suite, which then stops nothing itself: its server must go too."""
    script = (
        "import signal\n"
        "from conformance.targets.reference import start\n"
        "running = start()\n"
        "print(running.process.pid, running.workdir, flush=True)\n"
        "signal.pause()\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([holder.stdout], [], [], 120)
        assert ready, "the reference did not start within 120 s"
        pid, workdir = holder.stdout.readline().split()
    finally:
        holder.kill()
        holder.wait(timeout=10)
    deadline = time.monotonic() + 30
    while not _gone(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)  # poll interval, bounded by the deadline
    shutil.rmtree(workdir, ignore_errors=True)
    assert _gone(int(pid)), f"the reference (pid {pid}) outlived the SIGKILLed process that started it"

"""The auth area's outcomes beyond its faults: unsupported without users, and no token in any report.

A certification of a server's auth handles its users' tokens: they are sent on every request of the area
and must never be shown, even when the server under test echoes them back in what it answers (a finding
quotes the body). And a ``--target-url`` target certified without users is *unsupported* in the area,
never passed.
"""

from __future__ import annotations

import socket
import time

from conformance.targets.processes import free_port, wait_until_listening
from tests.faultproxy import FaultProxy, Req, Resp
from tests.faults_auth import AUTH_OPTIONS, TOKENS
from tests.runner import run_suite


def test_the_auth_area_without_users_is_unsupported(reference_url, tmp_path):
    """No --auth-user on a --target-url target: every auth test is unsupported, with the reason."""
    run = run_suite(tmp_path, f"--target-url={reference_url}", modules=["test_auth.py"])
    outcomes = set(run.outcomes().values())
    assert outcomes == {"unsupported"}, run.output[-3000:]
    reasons = {(t.get("detail") or {}).get("message", "") for t in run.results["tests"]}
    assert all("auth unsupported here" in reason and "--auth-user" in reason for reason in reasons), reasons
    assert run.returncode == 0, run.output[-3000:]


def _echo_the_token(req: Req, resp: Resp) -> None:
    """A server that lets B read A's thread and quotes the caller's credentials in the answer."""
    if req.is_("GET", "/threads/*") and resp.status == 404:
        resp.status, resp.json = 200, {"detail": f"served to {req.headers.get('authorization')}", "thread_id": "x"}


def test_tokens_never_reach_a_report(reference_url, auth_reference_url, tmp_path):
    """Even when the server echoes a user's token in a body that a finding quotes, neither the terminal
    output nor any report file holds it: only the placeholder."""
    with FaultProxy(auth_reference_url, on_response=_echo_the_token) as proxy:
        where = (f"--target-url={reference_url}", f"--auth-url={proxy.url}")
        test = "test_auth.py::test_other_users_thread_is_out_of_reach"
        run = run_suite(tmp_path, *where, *AUTH_OPTIONS, tests=[test])
    assert run.returncode == 1, run.output[-3000:]
    shown = [run.output] + [path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()]
    assert any("served to" in text for text in shown), "the echoed body is not in the report: nothing was tested"
    for token in TOKENS.values():
        assert not any(token in text for text in shown), f"a user's token reached the output or a report: {token}"
    assert any("<redacted>" in text for text in shown)


def test_an_auth_deployment_still_starting_is_waited_for_then_named():
    """--auth-wait: a deployment that accepts connections is used at once; one that never does is named with
    the time waited (a harness error, never a pass or a finding)."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert wait_until_listening(f"http://127.0.0.1:{listening.getsockname()[1]}", 1.0) is None
    closed = free_port()
    began = time.monotonic()
    failed = wait_until_listening(f"http://127.0.0.1:{closed}/", 0.5)
    assert failed is not None and "accepted no connection within 0.5 s" in failed, failed
    assert 0.4 < time.monotonic() - began < 5

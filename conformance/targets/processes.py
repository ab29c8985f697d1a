"""Starting and stopping the servers the suite brings up (the reference, Aegra, PostgreSQL clients).

Each server runs in a process group of its own, so stopping it stops whatever it spawned, and no
process outlives the session that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    """A loopback port nobody listens on now (servers that move to another port silently must not guess)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` for a server the suite starts: SIGTERM it when the suite's process dies.

    A suite stopped normally stops its servers itself; one killed with SIGKILL (a CI runner's timeout)
    runs no clean-up, and without this its server would keep running with init as its parent. Linux only;
    elsewhere a no-op.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not gone after ``grace`` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def wait_until_healthy(process: subprocess.Popen, url: str, deadline: float, fail: Callable[[str], Exception]) -> None:
    """Poll ``url`` until it answers 200; raise ``fail(reason)`` if the process dies or time runs out."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise fail(f"exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)  # poll interval while waiting for start-up, bounded by the deadline
    raise fail(f"did not answer {url} within {deadline:g} s")



def wait_until_listening(url: str, deadline: float) -> str | None:
    """Wait until the server at ``url`` accepts connections (a server someone else started, with no process
    to watch: uvicorn listens only once its start-up is done); None then, else why not. A TCP connection,
    no request: nothing is asked of the server, nothing recorded as a test's exchange."""
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    end, reason = time.monotonic() + deadline, "no answer"
    while True:
        try:
            with socket.create_connection((parsed.host, port), timeout=2):
                return None
        except OSError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= end:
            return f"{url} accepted no connection within {deadline:g} s ({reason})"
        time.sleep(0.2)  # poll interval while it starts, bounded by the deadline

"""Run the conformance suite as a user would (a pytest subprocess) and read what it reported."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "conformance" / "tests"


@dataclass
class SuiteRun:
    returncode: int
    output: str
    seconds: float
    report_dir: Path

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "results.json").read_text())

    def outcomes(self) -> dict[str, str]:
        return {t["id"]: t["outcome"] for t in self.results["tests"]}

    def find(self, suffix: str) -> dict[str, Any] | None:
        for test in self.results["tests"]:
            if test["id"].endswith("/" + suffix) or test["id"].endswith(suffix):
                return test
        return None


def run_suite(
    report_dir: Path,
    *args: str,
    modules: list[str] | None = None,
    tests: list[str] | None = None,
    timeout: float = 600,
) -> SuiteRun:
    """``modules``: test files of conformance/tests; ``tests``: node ids there ("test_x.py::test_y[a]")."""
    files = [str(SUITE / m) for m in modules or ()] + [str(SUITE / t) for t in tests or ()] or [str(SUITE)]
    command = [
        sys.executable,
        "-m",
        "pytest",
        *files,
        f"--conformance-report={report_dir}",
        "-p",
        "no:cacheprovider",
        "-q",
        "-o",
        "console_output_style=classic",
        *args,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    # Each run is a fresh pytest process that rewrites the asserts of every plugin module (schemathesis's
    # whole package among them): with bytecode writes off, that is ~5 s of compiling per run, every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.monotonic()
    forked = _ZYGOTE.run(command[3:], env, report_dir, timeout) if _ZYGOTE.enabled else None
    if forked is not None:
        code, output = forked
        return SuiteRun(code, output, time.monotonic() - started, report_dir)
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return SuiteRun(done.returncode, done.stdout + done.stderr, time.monotonic() - started, report_dir)


class Zygote:
    """The client of tests/zygote.py: one warm launcher per self-test process, started on first use.

    ``run`` answers (exit code, output) or None when the launcher cannot take the run (off, busy with
    another thread's run, or refused): the caller then starts a plain subprocess, so a run is never lost.
    """

    def __init__(self) -> None:
        self.enabled = os.environ.get("CONFORMANCE_SELFTEST_FORK", "1") != "0" and hasattr(os, "fork")
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.zygote"], cwd=REPO, env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            atexit.register(self.process.kill)
        return self.process

    def _answer(self, process: subprocess.Popen, deadline: float | None) -> dict | None:
        assert process.stdout is not None
        while deadline is None or time.monotonic() < deadline:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([process.stdout], [], [], wait)
            if ready:
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError("the self-tests' zygote ended")
                return json.loads(line)
        return None

    def run(self, args: list[str], env: dict[str, str], report_dir: Path, timeout: float) -> tuple[int, str] | None:
        if not self.lock.acquire(blocking=False):
            return None
        try:
            process = self._start()
            handle, name = tempfile.mkstemp(prefix="conformance-suite-output-")
            os.close(handle)
            output = Path(name)
            quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]  # the launcher imported the plugins
            request = {"args": [*args, *quiet], "cwd": str(REPO), "env": env, "output": str(output)}
            assert process.stdin is not None
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            first = self._answer(process, time.monotonic() + 60)
            if first is None or "pid" not in first:
                return None
            done = self._answer(process, time.monotonic() + timeout)
            if done is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(first["pid"], signal.SIGKILL)
                self._answer(process, None)
                raise subprocess.TimeoutExpired(args, timeout)
            text = output.read_text(encoding="utf-8", errors="replace")
            output.unlink()
            return done["code"], text
        finally:
            self.lock.release()


_ZYGOTE = Zygote()

"""Run the conformance suite as a user would (a pytest subprocess) and read what it reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return SuiteRun(done.returncode, done.stdout + done.stderr, time.monotonic() - started, report_dir)

"""What every bring-up of a real implementation does around its own server.

    certify(name, up, argv): a temporary folder; ``up(root, stack)`` starts the target's services
    (PostgreSQL, Redis, the Agent Server ...) and registers how to stop each on ``stack``; then the suite
    runs against the URL ``up`` returned, with --target-url/--target-name/--conformance-report and the
    target's expected failures (reports/<name>/expected-failures.yaml) when it has any; then everything
    stops, in reverse order, even on Ctrl-C or a failed start. Exit code: the suite's.

Also the pieces each bring-up shares: an environment of its own installed once into the cache (with a
marker naming what was installed, and a lock so two sessions do not install at once), and a server
process started in a process group of its own, polled until healthy and stopped as a group.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance import HARNESS_EXIT_CODE
from conformance.paths import REPO_DIR
from conformance.targets.processes import die_with_parent, free_port, stop_group, wait_until_healthy
from conformance.targets.reference import cache_root


@dataclass
class Target:
    """A started target: where it answers and the name its report folder takes."""

    url: str
    name: str


Up = Callable[[Path, contextlib.ExitStack], Target]


def logger(prefix: str) -> Callable[[str], None]:
    def log(message: str) -> None:
        print(f"{prefix}: {message}", file=sys.stderr, flush=True)

    return log


@contextlib.contextmanager
def install_lock(env_dir: Path):
    """Held while ``env_dir`` is (re)installed: a second session waits, then finds the marker."""
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(env_dir.parent / f".lock-{env_dir.name}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def cached_env(name: str) -> Path:
    return cache_root() / name


def installed(env_dir: Path, wanted: str) -> bool:
    marker = env_dir / ".installed"
    return marker.exists() and marker.read_text() == wanted


def mark_installed(env_dir: Path, wanted: str) -> None:
    (env_dir / ".installed").write_text(wanted)


def run_checked(command: list[str], what: str, **kwargs) -> None:
    """Run an install step; on failure raise with the last lines of its output, not a bare exit code."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-8:]
        raise RuntimeError(f"could not {what} (exit {result.returncode}):\n" + "\n".join(tail))


def cached_install(
    target: Path, wanted: str, what: str, log: Callable[[str], None], fill: Callable[[Path], None]
) -> Path:
    """``fill(target)`` once, under the lock; again only when ``wanted`` (what it installs) changes."""
    if installed(target, wanted):
        return target
    with install_lock(target):
        if installed(target, wanted):
            return target
        log(f"installing {what} into {target} (first use only)")
        shutil.rmtree(target, ignore_errors=True)
        fill(target)
        mark_installed(target, wanted)
    return target


def python_env(target: Path, requirements: Sequence[str], what: str, log: Callable[[str], None]) -> Path:
    """A virtual environment at ``target`` holding ``requirements``, installed once."""

    def fill(folder: Path) -> None:
        venv.EnvBuilder(with_pip=True).create(folder)
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        run_checked([*pip, *requirements], f"install {what}", env=clean_env())

    return cached_install(target, "\n".join(requirements), what, log, fill)


class Server:
    """One server process in a process group of its own, its output in ``<workdir>/server.log``."""

    def __init__(self, label: str, workdir: Path, health_path: str = "/ok", deadline: float = 90.0) -> None:
        self.label = label
        self.workdir = workdir
        self.health_path = health_path
        self.deadline = deadline
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.started_in: float | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def start(self, command: list[str], env: dict[str, str]) -> str:
        began = time.monotonic()
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        wait_until_healthy(
            self.process,
            f"{self.url}{self.health_path}",
            self.deadline,
            lambda reason: RuntimeError(f"{self.label} on port {self.port} {reason}:\n{self.log_tail()}"),
        )
        self.started_in = time.monotonic() - began
        return self.url

    def log_tail(self, lines: int = 25) -> str:
        path = self.log_path
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=15)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without its virtual environment, plus ``extra``."""
    env = {**os.environ, **extra}
    env.pop("VIRTUAL_ENV", None)
    return env


def suite_command(target: Target, report: str, pytest_args: list[str]) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(REPO_DIR / "conformance" / "tests"),
        f"--target-url={target.url}",
        f"--target-name={target.name}",
        f"--conformance-report={report}",
        *pytest_args,
    ]
    expected = REPO_DIR / "reports" / target.name / "expected-failures.yaml"
    if expected.exists() and not any(arg.startswith("--expected-failures") for arg in pytest_args):
        command.append(f"--expected-failures={expected}")
    return command


def certify(prefix: str, up: Up, argv: list[str] | None = None, description: str | None = None) -> int:
    """Bring the target up, run the suite against it, bring everything down; the suite's exit code."""
    log = logger(prefix)
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", help="report folder (default: reports/<target name>/)")
    args, pytest_args = parser.parse_known_args(argv)
    root = Path(tempfile.mkdtemp(prefix=f"conformance-{prefix.removeprefix('certify-')}-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        stack.callback(log, "stopped everything the bring-up started")
        began = time.monotonic()
        try:
            target = up(root, stack)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            log(f"could not bring the target up: {exc}")
            return HARNESS_EXIT_CODE  # not certified: the target never came up
        log(f"{target.name} answers at {target.url} ({time.monotonic() - began:.1f} s to bring up)")
        report = args.report or str(REPO_DIR / "reports" / target.name)
        command = suite_command(target, report, pytest_args)
        log("running the suite: " + " ".join(command[3:]))
        return subprocess.run(command, cwd=REPO_DIR, check=False).returncode
    return 1  # unreachable: the with-block returns or raises

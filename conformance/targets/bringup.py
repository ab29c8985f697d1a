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
import signal
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from conformance import HARNESS_EXIT_CODE
from conformance.graphs import deploy
from conformance.paths import REPO_DIR
from conformance.targets.processes import die_with_parent, free_port, stop_group, wait_until_healthy
from conformance.targets.reference import cache_root


@dataclass
class Target:
    """A started target: where it answers, the name its report folder takes, and what else the suite needs
    to reach it (``--target-header=...`` with a credential the bring-up made, say)."""

    url: str
    name: str
    suite_args: tuple[str, ...] = ()


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


def find_python(versions: Sequence[str], what: str) -> Path:
    """An interpreter of one of ``versions`` ("3.12", ...), in that order of preference.

    Looked for as ``pythonX.Y`` on PATH and in pyenv's versions folder (``$PYENV_ROOT`` or ~/.pyenv); a
    pyenv shim is not taken on its word: each candidate must run and report the version asked for.
    """
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for version in versions:
        if version == f"{sys.version_info.major}.{sys.version_info.minor}":
            return Path(sys.executable)
        candidates = [shutil.which(f"python{version}")]
        candidates += sorted(str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
        for candidate in filter(None, candidates):
            probe = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
            if probe.returncode == 0 and probe.stdout.strip() == version:
                return Path(candidate)
    raise RuntimeError(
        f"{what} needs Python {' or '.join(versions)}, and none was found on PATH or under {pyenv_root} "
        f"(install one, e.g. `pyenv install {versions[0]}`)"
    )


def python_env(
    target: Path,
    requirements: Sequence[str],
    what: str,
    log: Callable[[str], None],
    python: Sequence[str] | None = None,
) -> Path:
    """A virtual environment at ``target`` holding ``requirements``, installed once.

    ``python``: the interpreter versions the release supports ("3.12", "3.13"), in order of preference,
    found by ``find_python``; None: this interpreter. None of them found: RuntimeError saying so, which a
    bring-up reports in one line (exit 6).
    """
    wanted = "\n".join([*requirements, *([f"python {' or '.join(python)}"] if python else [])])
    if installed(target, wanted):
        return target
    interpreter = None if python is None else find_python(python, what)  # before the install says it starts

    def fill(folder: Path) -> None:
        if interpreter is None:
            venv.EnvBuilder(with_pip=True).create(folder)
        else:
            run_checked([str(interpreter), "-m", "venv", str(folder)], f"create a Python venv for {what}")
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        run_checked([*pip, *requirements], f"install {what}", env=clean_env())

    return cached_install(target, wanted, what, log, fill)


class Process:
    """One process in a process group of its own, its output in ``<workdir>/<log_name>``.

    For a process that serves no HTTP (a queue worker): ``start`` returns once it runs, ``check`` says
    whether it still does; ``stop`` stops its whole group.
    """

    def __init__(self, label: str, workdir: Path, log_name: str = "server.log") -> None:
        self.label = label
        self.workdir = workdir
        self.log_name = log_name
        self.process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / self.log_name

    def start(self, command: list[str], env: dict[str, str]) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log_file:  # the child keeps its own descriptor
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

    def check(self) -> None:
        """RuntimeError, with the end of its log, if the process has exited."""
        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            raise RuntimeError(f"{self.label} exited with code {code}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 25) -> str:
        path = self.log_path
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=15)


class Server(Process):
    """A ``Process`` that serves HTTP on a free loopback port; ``start`` returns once ``health_path`` answers 200."""

    def __init__(self, label: str, workdir: Path, health_path: str = "/ok", deadline: float = 90.0) -> None:
        super().__init__(label, workdir)
        self.health_path = health_path
        self.deadline = deadline
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started_in: float | None = None

    def start(self, command: list[str], env: dict[str, str]) -> str:  # type: ignore[override]
        began = time.monotonic()
        super().start(command, env)
        assert self.process is not None
        wait_until_healthy(
            self.process,
            f"{self.url}{self.health_path}",
            self.deadline,
            lambda reason: RuntimeError(f"{self.label} on port {self.port} {reason}:\n{self.log_tail()}"),
        )
        self.started_in = time.monotonic() - began
        return self.url

    def launch(self, command: list[str], env: dict[str, str]) -> str:
        """Start the process and return at once, without waiting for it to answer (whoever uses the URL
        waits: the suite's auth area does, ``--auth-wait``)."""
        Process.start(self, command, env)
        return self.url


def fixture_auth_beside_the_suite(
    server: Server, tokens: dict[str, str], stack: contextlib.ExitStack, log: Callable[[str], None]
) -> tuple[str, ...]:
    """The auth area's deployment for a bring-up: ``server`` (launched next, not waited for) serves what
    ``conformance graphs DIR --auth`` writes with ``tokens`` in its environment; the suite options
    that certify it (``--auth-url``, ``--auth-user`` per user, ``--auth-wait`` as long as the server may
    take to start). The other areas stay on the plain server: the fixture auth answers nobody without a
    token, stamps an owner into metadata and prefixes store namespaces, which their checks would see.

    It starts while the plain server and the suite do, and only the auth area waits for it, so it costs
    the bring-up no start-up of its own. It is stopped with the bring-up; if it died during the run, the
    end of its log says why (the area's tests then report it unreachable)."""

    def stop() -> None:
        process = server.process
        if process is not None and process.poll() is not None:
            log(f"{server.label} exited during the run (code {process.returncode}):\n{server.log_tail()}")
        server.stop()

    stack.callback(stop)
    return (*deploy.auth_options(server.url, tokens), f"--auth-wait={server.deadline:g}")


def first_run(url: str, label: str, timeout: float = 120.0) -> None:
    """One background run of the ``agent`` graph on a new thread reaches ``success``: the worker takes runs.

    For servers whose API process runs no graph; without it a dead or unready worker would show as a
    hundred failed runs. Polls the run (no join, no wait: only the worker is being proven) and deletes the
    thread afterwards. RuntimeError (a one-line failed start) if the run does not succeed in ``timeout``.
    """
    body = {"assistant_id": "agent", "input": {"messages": [{"role": "human", "content": "ready?"}]}}
    end = time.monotonic() + timeout
    status = "not created"
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            thread = http.post("/threads", json={}).raise_for_status().json()["thread_id"]
            try:
                run = http.post(f"/threads/{thread}/runs", json=body).raise_for_status().json()["run_id"]
                while time.monotonic() < end:
                    status = str(http.get(f"/threads/{thread}/runs/{run}").raise_for_status().json().get("status"))
                    if status not in ("pending", "running"):
                        break
                    time.sleep(0.5)  # poll interval, bounded by the deadline
            finally:
                http.delete(f"/threads/{thread}")
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise RuntimeError(f"{label} could not run a first run: {type(exc).__name__}: {exc}") from exc
    if status != "success":
        raise RuntimeError(f"{label}'s first run ended {status!r} after up to {timeout:g} s, not 'success'")


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
        *target.suite_args,
        *pytest_args,
    ]
    expected = REPO_DIR / "reports" / target.name / "expected-failures.yaml"
    if expected.exists() and not any(arg.startswith("--expected-failures") for arg in pytest_args):
        command.append(f"--expected-failures={expected}")
    return command


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def certify(prefix: str, up: Up, argv: list[str] | None = None, description: str | None = None) -> int:
    """Bring the target up, run the suite against it, bring everything down; the suite's exit code."""
    log = logger(prefix)
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", help="report folder (default: reports/<target name>/)")
    args, pytest_args = parser.parse_known_args(argv)
    # A SIGTERM (a CI runner's timeout, `kill`) unwinds like Ctrl-C: every server started so far is stopped
    # (PostgreSQL daemonizes itself, so it does not die with this process on its own).
    signal.signal(signal.SIGTERM, _exit_on_signal)
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
        shown = [arg.split("=", 1)[0] + "=<redacted>" if arg in target.suite_args else arg for arg in command[3:]]
        log("running the suite: " + " ".join(shown))
        return subprocess.run(command, cwd=REPO_DIR, check=False).returncode
    return 1  # unreachable: the with-block returns or raises

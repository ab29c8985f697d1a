"""The embedded default target: the official in-memory Agent Server, as ``langgraph dev`` runs it.

It lives in a virtual environment of its own (langgraph-api pins a jsonschema-rs that schemathesis
cannot share), installed on first use and reused after. Each start is clean: a fresh temporary folder
holds the deployment ``conformance graphs`` writes (conformance/graphs/deploy.py: the fixture graphs and the
webhook policy), so no thread survives from an earlier session.

The server process is started with the pieces every bring-up uses (conformance/targets/processes.py: a
free loopback port, a process group of its own that dies with the suite, a health poll with a deadline),
not with ``bringup.Server``: bringup.py imports this module (``cache_root``), so importing it back would
make an import circle, and Server differs where the reference must not (the graphs folder as working
directory, a HarnessError rather than a RuntimeError, a port the caller may choose, its folder removed
on a failed start).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass
from pathlib import Path

from conformance.contract.failures import HarnessError
from conformance.graphs import deploy
from conformance.targets.processes import die_with_parent, free_port, stop_group, wait_until_healthy

LANGGRAPH_API_VERSION = "0.16.7"
REQUIREMENTS = (
    "langgraph-cli[inmem]==0.4.40",
    f"langgraph-api=={LANGGRAPH_API_VERSION}",
    "langgraph-runtime-inmem==0.36.7",
    "langgraph>=1.2,<1.3",
)
REFERENCE_NAME = f"langgraph-api-{LANGGRAPH_API_VERSION}-inmem"
OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGGRAPH_DISABLE_FILE_PERSISTENCE": "true",
}
START_DEADLINE = 90.0


def cache_root(configured: str | None = None) -> Path:
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "langgraph-conformance"


def environment_dir(configured: str | None = None) -> Path:
    return cache_root(configured) / f"reference-{LANGGRAPH_API_VERSION}"


def _bin(env_dir: Path, name: str) -> Path:
    return env_dir / "bin" / name


def ensure_installed(configured_cache: str | None = None, log=None) -> Path:
    """Create the reference environment once; concurrent sessions wait for the first one's install."""
    env_dir = environment_dir(configured_cache)
    marker = env_dir / ".installed"
    wanted = "\n".join(REQUIREMENTS)
    if marker.exists() and marker.read_text() == wanted:
        return env_dir
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(env_dir.parent / f".lock-{env_dir.name}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == wanted:
            return env_dir
        if log:
            log(f"installing the reference server into {env_dir} (first use only)")
        shutil.rmtree(env_dir, ignore_errors=True)
        venv.EnvBuilder(with_pip=True).create(env_dir)
        command = [
            str(_bin(env_dir, "python")),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *REQUIREMENTS,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise HarnessError("could not install the reference server: " + " | ".join(tail))
        marker.write_text(wanted)
    return env_dir


def openapi_path(env_dir: Path) -> Path:
    """The wheel's own openapi.json: the upstream document this suite vendors."""
    result = subprocess.run(
        [str(_bin(env_dir, "python")), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(result.stdout.strip()) / "openapi.json"


@dataclass
class RunningReference:
    url: str
    process: subprocess.Popen
    workdir: Path
    log_path: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        stop_group(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


def dev_command(binary: Path | str, port: int, config: Path | str = "langgraph.json") -> list[str]:
    """``langgraph dev`` (or the JS server's ``langgraphjs dev``, which takes the same flags) serving
    ``config`` on loopback ``port``: no browser, no reload, ten runs at once per worker."""
    return [
        str(binary),
        "dev",
        "--no-browser",
        "--no-reload",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n-jobs-per-worker",
        "10",
        "--config",
        str(config),
    ]


def start(
    configured_cache: str | None = None,
    log=None,
    port: int | None = None,
    deployment: Path | None = None,
    auth_tokens: dict[str, str] | None = None,
) -> RunningReference:
    """Start the reference on a free loopback port and wait until it answers /ok.

    It serves what ``conformance graphs DIR`` writes (conformance/graphs/deploy.py: the fixture graphs and
    the webhook policy), so a server author's ``langgraph dev`` from DIR is this very server. The project's
    own tests pass ``deployment``, a folder holding another langgraph.json, to start it otherwise
    configured (no fixture graphs, no webhook policy); it is copied, never changed.

    ``auth_tokens`` (user "A" and "B" -> bearer token) starts what ``conformance graphs DIR --auth`` writes
    instead: the same graphs behind the fixture auth (conformance/graphs/auth.py), which reads the two
    tokens from its environment. The auth area runs against such a second server; everything else stays
    unauthenticated.
    """
    env_dir = ensure_installed(configured_cache, log)
    workdir = Path(tempfile.mkdtemp(prefix="conformance-reference-"))
    if deployment is None:
        deploy.write(workdir / "graphs", js=False, auth=auth_tokens is not None)
    else:
        shutil.copytree(deployment, workdir / "graphs", ignore=shutil.ignore_patterns("__pycache__", ".langgraph_api"))
    port = port or free_port()
    log_path = workdir / "server.log"
    env = {**os.environ, **OFFLINE_ENV, "PYTHONUNBUFFERED": "1"}
    env.update(deploy.auth_environment(auth_tokens or {}))
    env.pop("VIRTUAL_ENV", None)
    command = dev_command(_bin(env_dir, "langgraph"), port)
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=workdir / "graphs",
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    running = RunningReference(url=f"http://127.0.0.1:{port}", process=process, workdir=workdir, log_path=log_path)

    def fail(reason: str) -> HarnessError:
        tail = running.log_tail()
        running.stop()
        return HarnessError(f"the reference server on port {port} {reason}:\n{tail}")

    wait_until_healthy(process, f"{running.url}/ok", START_DEADLINE, fail)
    return running


def main() -> int:
    """``python -m conformance.reference``: run the embedded reference in the foreground (for debugging)."""
    running = start(log=lambda m: print(m, file=sys.stderr))
    print(running.url, flush=True)
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Certify Aegra (a self-hosted Agent Server) on a real PostgreSQL 15, then tear everything down.

    python -m conformance.targets.aegra [--profile core|full] [extra pytest args]

Brings up a private PostgreSQL cluster (Debian's postgresql 15: initdb + pg_ctl as the postgres user,
in a temporary folder, loopback only), installs Aegra 0.6.0 into an environment of its own, deploys the
suite's fixture graphs as aegra.json, runs the conformance suite against it, writes reports/aegra-0.6.0/,
and stops both servers, leaving no process behind. Exit code: the suite's; 6 when Aegra cannot be brought up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conformance.paths import GRAPHS_DIR
from conformance.targets.bringup import Target, certify, python_env
from conformance.targets.postgres import Postgres
from conformance.targets.processes import die_with_parent, free_port, stop_group, wait_until_healthy
from conformance.targets.reference import cache_root

AEGRA_VERSION = "0.6.0"
NAME = f"aegra-{AEGRA_VERSION}"
REQUIREMENTS = (f"aegra-api=={AEGRA_VERSION}", "greenlet")  # SQLAlchemy 2.1 no longer pulls greenlet in
DEADLINE = 90.0


def log(message: str) -> None:
    print(f"certify-aegra: {message}", file=sys.stderr, flush=True)


def ensure_aegra() -> Path:
    return python_env(cache_root() / f"aegra-{AEGRA_VERSION}", REQUIREMENTS, f"Aegra {AEGRA_VERSION}", log)


class Aegra:
    def __init__(self, env_dir: Path, root: Path, database_url: str) -> None:
        self.env_dir = env_dir
        self.workdir = root / "aegra"
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        shutil.copytree(GRAPHS_DIR, self.workdir, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(self.workdir / "langgraph.json", self.workdir / "aegra.json")
        env = {
            **os.environ,
            "AEGRA_CONFIG": str(self.workdir / "aegra.json"),
            "DATABASE_URL": self.database_url,
            "LANGSMITH_TRACING": "false",
            "PYTHONUNBUFFERED": "1",
        }
        log_file = open(self.workdir / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [
                str(self.env_dir / "bin" / "python"),
                "-m",
                "uvicorn",
                "aegra_api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
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
            f"{self.url}/health",
            DEADLINE,
            lambda reason: RuntimeError(f"Aegra {reason}:\n{self.log_tail()}"),
        )
        return self.url

    def log_tail(self) -> str:
        path = self.workdir / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-20:]) if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=15)


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    env_dir = ensure_aegra()
    postgres = Postgres(root, database="aegra")
    stack.callback(postgres.stop)
    log("starting PostgreSQL")
    database_url = postgres.start()
    aegra = Aegra(env_dir, root, database_url)
    stack.callback(aegra.stop)
    log("starting Aegra")
    return Target(url=aegra.start(), name=NAME)


def main(argv: list[str] | None = None) -> int:
    return certify("certify-aegra", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

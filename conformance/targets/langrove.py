"""Certify Langrove (a self-hosted Agent Server on PostgreSQL + Redis + Celery), then tear everything down.

    python -m conformance.targets.langrove [--report DIR] [extra pytest args]

Installs Langrove 0.3.0 (PyPI ``langrove``; MIT; it needs Python >= 3.12, found on PATH or under pyenv)
into an environment of its own (~/.cache/langgraph-conformance/langrove-0.3.0/, first use only), starts a
private PostgreSQL cluster and a private Redis (Debian postgresql and redis-server, loopback only, nothing
kept), applies its schema (``langrove migrate``: its server refuses a database with pending migrations),
starts its Celery worker (``langrove worker``: the API process runs no graph) and its API (``langrove
serve``) from a temporary copy of the Python fixture graphs, waits for one run to go through, runs the
suite, writes reports/langrove-0.3.0/ and stops the four processes. Exit code: the suite's; 6, in one
line, when it cannot be brought up.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import httpx

from conformance.paths import GRAPHS_DIR
from conformance.targets.bringup import (
    Process,
    Server,
    Target,
    cached_env,
    certify,
    clean_env,
    first_run,
    logger,
    python_env,
    run_checked,
)
from conformance.targets.postgres import Postgres
from conformance.targets.redis import Redis

LANGROVE_VERSION = "0.3.0"
NAME = f"langrove-{LANGROVE_VERSION}"
PYTHON = ("3.12", "3.13")  # langrove 0.3.0 requires Python >= 3.12
REQUIREMENTS = (f"langrove=={LANGROVE_VERSION}",)
START_DEADLINE = 120.0
NETWORK_VARIABLES = ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT")

log = logger("certify-langrove")


def ensure_installed() -> Path:
    return python_env(cached_env(NAME), REQUIREMENTS, f"Langrove {LANGROVE_VERSION}", log, python=PYTHON)


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    env_path = ensure_installed()
    langrove = str(env_path / "bin" / "langrove")
    postgres = Postgres(root, database="langrove")
    stack.callback(postgres.stop)
    log("starting PostgreSQL")
    database_url = postgres.start()
    redis = Redis(root)
    stack.callback(redis.stop)
    log("starting Redis")
    redis_url = redis.start()
    workdir = root / "langrove"
    shutil.copytree(GRAPHS_DIR, workdir, ignore=shutil.ignore_patterns("__pycache__", "js"))
    config_path = str(workdir / "langgraph.json")
    env = clean_env(
        LANGROVE_DATABASE_URL=database_url,
        LANGROVE_REDIS_URL=redis_url,
        LANGROVE_CONFIG_PATH=config_path,  # what Settings reads; `serve --config` alone does not reach it
        LANGROVE_WORKER_CONCURRENCY="10",
        LANGSMITH_TRACING="false",
        LANGCHAIN_TRACING_V2="false",
        PYTHONUNBUFFERED="1",
    )
    for name in NETWORK_VARIABLES:
        env.pop(name, None)
    log("applying its schema (langrove migrate)")
    run_checked([langrove, "migrate", "--config", config_path], "apply Langrove's schema", cwd=workdir, env=env)
    worker = Process(f"Langrove {LANGROVE_VERSION} worker", workdir, log_name="worker.log")
    stack.callback(worker.stop)
    worker.start([langrove, "worker", "--config", config_path, "--concurrency", "10", "--log-level", "warning"], env)
    server = Server(f"Langrove {LANGROVE_VERSION}", workdir, deadline=START_DEADLINE)
    stack.callback(server.stop)
    log(f"starting Langrove {LANGROVE_VERSION} (worker and API)")
    command = [langrove, "serve", "--config", config_path, "--host", "127.0.0.1", "--port", str(server.port)]
    server.start([*command, "--log-level", "warning"], env)
    worker.check()
    first_run(server.url, f"Langrove {LANGROVE_VERSION}")
    worker.check()
    version = httpx.get(f"{server.url}/info", timeout=10).json().get("version")
    log(f"Langrove answered /ok after {server.started_in:.1f} s and ran a first run; /info version {version}")
    return Target(url=server.url, name=NAME)


def main(argv: list[str] | None = None) -> int:
    return certify("certify-langrove", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

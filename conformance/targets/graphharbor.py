"""Certify GraphHarbor (a self-hosted Agent Server on PostgreSQL + Redis), then tear everything down.

    python -m conformance.targets.graphharbor [--report DIR] [extra pytest args]

Installs GraphHarbor 0.13.0.post45 (PyPI ``graphharbor`` + ``graphharbor-runtime``; MIT; the standalone
successor of langhost / langgraph-runtime-pg, shipping the same module names, so in an environment of its
own: ~/.cache/langgraph-conformance/graphharbor-0.13.0.post45/, first use only), starts a private
PostgreSQL cluster and a private Redis (Debian postgresql and redis-server, loopback only, nothing kept),
applies its schema (``graphharbor migrate upgrade``: its server never migrates at start), starts its queue
worker (``graphharbor worker``: the API process runs no graph) and its API (``graphharbor serve``) from a
temporary copy of the Python fixture graphs, waits for one run to go through, runs the suite, writes
reports/graphharbor-0.13.0.post45/ and stops the four processes. Exit code: the suite's; 6, in one line,
when it cannot be brought up.

Its /info reports ``version: 0.13.0``, the langgraph-api release whose API it reproduces (an older one
than the vendored spec's 0.16.7).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import httpx

from conformance.graphs.deploy import WEBHOOKS_POLICY
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

GRAPHHARBOR_VERSION = "0.13.0.post45"
NAME = f"graphharbor-{GRAPHHARBOR_VERSION}"
REQUIREMENTS = (f"graphharbor=={GRAPHHARBOR_VERSION}", f"graphharbor-runtime=={GRAPHHARBOR_VERSION}")
START_DEADLINE = 120.0
# The suite's webhook receiver is on loopback: the reference's policy, plus GraphHarbor's own switch for
# addresses that are not global (on by default, and 127.0.0.1 is not global).
WEBHOOKS = {"url": {**WEBHOOKS_POLICY["url"], "disable_private_ips": False}}
NETWORK_VARIABLES = ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT")

log = logger("certify-graphharbor")


def env_dir() -> Path:
    return cached_env(NAME)


def ensure_installed() -> Path:
    return python_env(env_dir(), REQUIREMENTS, f"GraphHarbor {GRAPHHARBOR_VERSION}", log)


def deploy_graphs(workdir: Path) -> Path:
    """A copy of the Python fixture graphs whose langgraph.json allows loopback webhooks; its path."""
    shutil.copytree(GRAPHS_DIR, workdir, ignore=shutil.ignore_patterns("__pycache__", "js"))
    config_path = workdir / "langgraph.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["webhooks"] = WEBHOOKS
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return config_path


def server_env(database_uri: str, redis_uri: str) -> dict[str, str]:
    env = clean_env(
        DATABASE_URI=database_uri,
        REDIS_URI=redis_uri,
        N_JOBS_PER_WORKER="10",
        LANGSMITH_TRACING="false",
        LANGCHAIN_TRACING_V2="false",
        PYTHONUNBUFFERED="1",
    )
    for name in NETWORK_VARIABLES:
        env.pop(name, None)
    return env


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    env_path = ensure_installed()
    graphharbor = str(env_path / "bin" / "graphharbor")
    postgres = Postgres(root, database="graphharbor")
    stack.callback(postgres.stop)
    log("starting PostgreSQL")
    database_uri = postgres.start()
    redis = Redis(root)
    stack.callback(redis.stop)
    log("starting Redis")
    redis_uri = redis.start()
    workdir = root / "graphharbor"
    config_path = deploy_graphs(workdir)
    env = server_env(database_uri, redis_uri)
    log("applying its schema (graphharbor migrate upgrade)")
    run_checked([graphharbor, "migrate", "upgrade"], "apply GraphHarbor's schema", cwd=workdir, env=env)
    worker = Process(f"GraphHarbor {GRAPHHARBOR_VERSION} worker", workdir, log_name="worker.log")
    stack.callback(worker.stop)
    worker.start([graphharbor, "worker", "--config", str(config_path), "--n-jobs-per-worker", "10"], env)
    server = Server(f"GraphHarbor {GRAPHHARBOR_VERSION}", workdir, deadline=START_DEADLINE)
    stack.callback(server.stop)
    log(f"starting GraphHarbor {GRAPHHARBOR_VERSION} (worker and API)")
    command = [graphharbor, "serve", "--config", str(config_path), "--host", "127.0.0.1", "--port", str(server.port)]
    server.start([*command, "--n-jobs-per-worker", "10", "--server-log-level", "WARNING"], env)
    worker.check()
    first_run(server.url, f"GraphHarbor {GRAPHHARBOR_VERSION}")
    worker.check()
    version = httpx.get(f"{server.url}/info", timeout=10).json().get("version")
    log(f"GraphHarbor answered /ok after {server.started_in:.1f} s and ran a first run; /info version {version}")
    return Target(url=server.url, name=NAME)


def main(argv: list[str] | None = None) -> int:
    return certify("certify-graphharbor", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

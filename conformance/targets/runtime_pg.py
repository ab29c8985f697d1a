"""Certify langgraph-runtime-pg (stock langgraph-api on PostgreSQL + Redis), then tear everything down.

    python -m conformance.targets.runtime_pg [--report DIR] [extra pytest args]

Installs langgraph-runtime-pg 0.11.1.post1 (MIT; it pins the official langgraph-api 0.11.1) into an
environment of its own (~/.cache/langgraph-conformance/runtime-pg-0.11.1.post1/, first use only), starts
a private PostgreSQL cluster and a private Redis (Debian postgresql and redis-server, loopback only,
nothing kept), starts ``uvicorn langgraph_api.server:app`` with LANGGRAPH_RUNTIME_EDITION=pg from a
temporary copy of the Python fixture graphs, runs the suite, writes
reports/langgraph-runtime-pg-0.11.1.post1/ and stops the three servers. Exit code: the suite's.

The server is langgraph-api 0.11.1, older than the vendored spec (0.16.7): its expected-failures file
states ``release: langgraph-api 0.11.1`` and what that release lacks (``unsupported_operations``,
``unsupported_tests``; conformance/plugin/release.py), so those tests are unsupported with the reason, and
the report names both releases.
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
    Server,
    Target,
    cached_env,
    certify,
    clean_env,
    logger,
    python_env,
)
from conformance.targets.postgres import Postgres
from conformance.targets.redis import Redis

RUNTIME_PG_VERSION = "0.11.1.post1"
LANGGRAPH_API_VERSION = "0.11.1"  # what langgraph-runtime-pg 0.11.1.post1 pins
NAME = f"langgraph-runtime-pg-{RUNTIME_PG_VERSION}"
REQUIREMENTS = (f"langgraph-runtime-pg=={RUNTIME_PG_VERSION}", f"langgraph-api=={LANGGRAPH_API_VERSION}")
START_DEADLINE = 120.0
# Variables that would make the server talk to LangSmith or a licence service: never passed on.
NETWORK_VARIABLES = (
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "LANGSMITH_CONTROL_PLANE_API_KEY",
    "LANGSMITH_ENDPOINT",
    "LANGCHAIN_ENDPOINT",
)

log = logger("certify-runtime-pg")


def env_dir() -> Path:
    return cached_env(f"runtime-pg-{RUNTIME_PG_VERSION}")


def ensure_installed() -> Path:
    return python_env(env_dir(), REQUIREMENTS, f"langgraph-runtime-pg {RUNTIME_PG_VERSION}", log)


def graphs_map() -> dict[str, str]:
    """LANGSERVE_GRAPHS: the graphs of the Python langgraph.json (name -> ./graphs.py:name)."""
    return json.loads((GRAPHS_DIR / "langgraph.json").read_text())["graphs"]


class RuntimePg(Server):
    """``uvicorn langgraph_api.server:app`` on the pg runtime, from a copy of the Python fixture graphs."""

    def __init__(self, root: Path, database_uri: str, redis_uri: str) -> None:
        super().__init__(
            f"langgraph-api {LANGGRAPH_API_VERSION} (runtime pg)", root / "runtime-pg", deadline=START_DEADLINE
        )
        self.database_uri = database_uri
        self.redis_uri = redis_uri

    def start(self) -> str:  # type: ignore[override]
        env_path = ensure_installed()
        shutil.copytree(GRAPHS_DIR, self.workdir, ignore=shutil.ignore_patterns("__pycache__", "js"))
        env = clean_env(
            LANGGRAPH_RUNTIME_EDITION="pg",
            DATABASE_URI=self.database_uri,
            REDIS_URI=self.redis_uri,
            LANGSERVE_GRAPHS=json.dumps(graphs_map()),
            N_JOBS_PER_WORKER="10",
            LANGSMITH_TRACING="false",
            LANGCHAIN_TRACING_V2="false",
            LANGGRAPH_NO_VERSION_CHECK="true",
            # The suite's webhook receiver is on loopback; langgraph-api blocks such URLs unless told
            # (the same policy as the embedded reference's, conformance/targets/reference.py).
            LANGGRAPH_WEBHOOKS=json.dumps(WEBHOOKS_POLICY),
            PYTHONUNBUFFERED="1",
        )
        for name in NETWORK_VARIABLES:
            env.pop(name, None)
        command = [
            str(env_path / "bin" / "python"),
            "-m",
            "uvicorn",
            "langgraph_api.server:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        return super().start(command, env)

    def version(self) -> str:
        return str(httpx.get(f"{self.url}/info", timeout=10).json().get("version") or LANGGRAPH_API_VERSION)


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    ensure_installed()
    postgres = Postgres(root, database="langgraph")
    stack.callback(postgres.stop)
    log("starting PostgreSQL")
    database_uri = postgres.start()
    redis = Redis(root)
    stack.callback(redis.stop)
    log("starting Redis")
    redis_uri = redis.start()
    server = RuntimePg(root, database_uri, redis_uri)
    stack.callback(server.stop)
    log(f"starting langgraph-api {LANGGRAPH_API_VERSION} on the pg runtime")
    server.start()
    log(f"langgraph-api answered /ok after {server.started_in:.1f} s; /info version {server.version()}")
    return Target(url=server.url, name=NAME)


def main(argv: list[str] | None = None) -> int:
    return certify("certify-runtime-pg", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

"""Certify langgraph-runtime-pg (stock langgraph-api on PostgreSQL + Redis), then tear everything down.

    python -m conformance.targets.runtime_pg [--report DIR] [extra pytest args]

Installs langgraph-runtime-pg 0.11.1.post1 (MIT; it pins the official langgraph-api 0.11.1) into an
environment of its own (~/.cache/langgraph-conformance/runtime-pg-0.11.1.post1/, first use only), starts
a private PostgreSQL cluster and a private Redis (Debian postgresql and redis-server, loopback only,
nothing kept), starts ``uvicorn langgraph_api.server:app`` with LANGGRAPH_RUNTIME_EDITION=pg from a
temporary copy of the Python fixture graphs, runs the suite, writes
reports/langgraph-runtime-pg-0.11.1.post1/ and stops every server. Exit code: the suite's. A second server
on a database and a Redis of its own serves the same graphs behind the fixture auth (``conformance graphs
DIR --auth``, its ``auth`` key as LANGGRAPH_AUTH) for the auth area; it starts beside the suite, which is
given its URL and two users (bringup.fixture_auth_beside_the_suite).

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

from conformance.graphs import deploy
from conformance.graphs.deploy import WEBHOOKS_POLICY
from conformance.paths import GRAPHS_DIR
from conformance.targets.bringup import (
    Server,
    Target,
    cached_env,
    certify,
    clean_env,
    fixture_auth_beside_the_suite,
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
    """``uvicorn langgraph_api.server:app`` on the pg runtime, from a copy of the Python fixture graphs; with
    ``auth_tokens``, what ``conformance graphs DIR --auth`` writes, its ``auth`` key handed over as
    LANGGRAPH_AUTH (what ``langgraph dev`` and the official images do with langgraph.json's key), the two
    users' tokens in the environment, for the auth area."""

    def __init__(
        self, root: Path, database_uri: str, redis_uri: str, auth_tokens: dict[str, str] | None = None
    ) -> None:
        label = f"langgraph-api {LANGGRAPH_API_VERSION} (runtime pg)"
        label += " with the fixture auth" if auth_tokens else ""
        super().__init__(label, root / ("runtime-pg-auth" if auth_tokens else "runtime-pg"), deadline=START_DEADLINE)
        self.database_uri = database_uri
        self.redis_uri = redis_uri
        self.auth_tokens = auth_tokens

    def _command(self) -> tuple[list[str], dict[str, str]]:
        env_path = ensure_installed()
        if self.auth_tokens is None:
            shutil.copytree(GRAPHS_DIR, self.workdir, ignore=shutil.ignore_patterns("__pycache__", "js"))
        else:
            deploy.write(self.workdir, js=False, auth=True)
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
        if self.auth_tokens is not None:
            env["LANGGRAPH_AUTH"] = json.dumps(deploy.langgraph_config(auth=True)["auth"])
            env.update(deploy.auth_environment(self.auth_tokens))
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
        return command, env

    def start(self) -> str:  # type: ignore[override]
        return super().start(*self._command())

    def launch(self) -> str:  # type: ignore[override]
        return super().launch(*self._command())

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
    # The auth area's server: a database and a Redis of its own (the pg runtime's queue and its pub/sub
    # channels live in Redis; sharing one would let each server's workers see the other's run signals).
    auth_redis = Redis(root / "auth")
    stack.callback(auth_redis.stop)
    tokens = deploy.auth_tokens()
    with_auth = RuntimePg(root, postgres.create_database("langgraph_auth"), auth_redis.start(), auth_tokens=tokens)
    auth_options = fixture_auth_beside_the_suite(with_auth, tokens, stack, log)
    log(f"starting {with_auth.label} (for the auth area, beside the suite)")
    with_auth.launch()
    server = RuntimePg(root, database_uri, redis_uri)
    stack.callback(server.stop)
    log(f"starting langgraph-api {LANGGRAPH_API_VERSION} on the pg runtime")
    server.start()
    log(f"langgraph-api answered /ok after {server.started_in:.1f} s; /info version {server.version()}")
    return Target(url=server.url, name=NAME, suite_args=auth_options)


def main(argv: list[str] | None = None) -> int:
    return certify("certify-runtime-pg", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

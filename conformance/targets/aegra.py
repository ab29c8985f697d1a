"""Certify Aegra (a self-hosted Agent Server) on a real PostgreSQL 15, then tear everything down.

    python -m conformance.targets.aegra [--report DIR] [extra pytest args]

Installs Aegra 0.11.0 (aegra-api; Apache-2.0; it needs Python >= 3.12, found on PATH or under pyenv) into
an environment of its own (~/.cache/langgraph-conformance/aegra-0.11.0/, first use only), starts a private
PostgreSQL cluster (Debian's postgresql 15: initdb + pg_ctl as the postgres user, in a temporary folder,
loopback only), deploys the suite's fixture graphs as aegra.json, starts ``uvicorn aegra_api.main:app`` in
production mode (the default local mode formats a traceback for every 500, ~1.5 s each) with its
Prometheus /metrics switched on, runs the suite, writes reports/aegra-0.11.0/ and stops every server,
leaving no process behind. A second Aegra on a database of its own serves the same graphs behind the
fixture auth (``conformance graphs DIR --auth``: Aegra reads aegra.json's ``auth`` key, a
``langgraph_sdk.Auth`` like the official server's) for the auth area; it starts beside the suite, which
is given its URL and two users (bringup.fixture_auth_beside_the_suite). Exit code: the suite's; 6, in one
line, when Aegra cannot be brought up (no Python 3.12, no PostgreSQL, a failed install or start).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import httpx

from conformance.graphs import deploy
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

AEGRA_VERSION = "0.11.0"
NAME = f"aegra-{AEGRA_VERSION}"
PYTHON = ("3.12", "3.13")  # aegra-api 0.11.0 requires Python >= 3.12
REQUIREMENTS = (f"aegra-api=={AEGRA_VERSION}",)  # greenlet is a declared dependency since 0.11
START_DEADLINE = 90.0  # 17 migrations at start: /health after 4-8 s on an idle machine

log = logger("certify-aegra")


def ensure_aegra() -> Path:
    return python_env(cached_env(NAME), REQUIREMENTS, f"Aegra {AEGRA_VERSION}", log, python=PYTHON)


class Aegra(Server):
    """``uvicorn aegra_api.main:app`` serving the fixture graphs (aegra.json) from a copy under ``root``;
    with ``auth_tokens``, what ``conformance graphs DIR --auth`` writes (the fixture auth, its two users'
    tokens in the environment), for the auth area."""

    def __init__(self, root: Path, database_url: str, auth_tokens: dict[str, str] | None = None) -> None:
        label = f"Aegra {AEGRA_VERSION}" + (" with the fixture auth" if auth_tokens else "")
        folder = root / ("aegra-auth" if auth_tokens else "aegra")
        super().__init__(label, folder, health_path="/health", deadline=START_DEADLINE)
        self.database_url = database_url
        self.auth_tokens = auth_tokens

    def _command(self) -> tuple[list[str], dict[str, str]]:
        env_path = ensure_aegra()
        if self.auth_tokens is None:
            shutil.copytree(GRAPHS_DIR, self.workdir, ignore=shutil.ignore_patterns("__pycache__", "js"))
            shutil.copy(self.workdir / "langgraph.json", self.workdir / "aegra.json")
        else:  # Aegra reads the `auth` key of aegra.json, a langgraph_sdk.Auth like the official server's
            deploy.write(self.workdir, js=False, auth=True)
        env = clean_env(
            AEGRA_CONFIG=str(self.workdir / "aegra.json"),
            DATABASE_URL=self.database_url,
            ENV_MODE="PRODUCTION",
            ENABLE_PROMETHEUS_METRICS="true",  # /metrics, which the reference serves by default, is a switch here
            LANGSMITH_TRACING="false",
            LANGCHAIN_TRACING_V2="false",
            PYTHONUNBUFFERED="1",
            **deploy.auth_environment(self.auth_tokens or {}),
        )
        command = [str(env_path / "bin" / "python"), "-m", "uvicorn", "aegra_api.main:app"]
        return [*command, "--host", "127.0.0.1", "--port", str(self.port)], env

    def start(self) -> str:  # type: ignore[override]
        return super().start(*self._command())

    def launch(self) -> str:  # type: ignore[override]
        return super().launch(*self._command())

    def version(self) -> str:
        return str(httpx.get(f"{self.url}/info", timeout=10).json().get("version") or AEGRA_VERSION)


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    ensure_aegra()
    postgres = Postgres(root, database="aegra")
    stack.callback(postgres.stop)
    log("starting PostgreSQL")
    database_url = postgres.start()
    tokens = deploy.auth_tokens()
    with_auth = Aegra(root, postgres.create_database("aegra_auth"), auth_tokens=tokens)
    auth_options = fixture_auth_beside_the_suite(with_auth, tokens, stack, log)
    log(f"starting {with_auth.label} (for the auth area, beside the suite)")
    with_auth.launch()
    aegra = Aegra(root, database_url)
    stack.callback(aegra.stop)
    log(f"starting Aegra {AEGRA_VERSION}")
    aegra.start()
    log(f"Aegra answered /health after {aegra.started_in:.1f} s; /info version {aegra.version()}")
    return Target(url=aegra.url, name=NAME, suite_args=auth_options)


def main(argv: list[str] | None = None) -> int:
    return certify("certify-aegra", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

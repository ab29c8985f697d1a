"""Certify fractal-agents-runtime (a Robyn Agent Server on PostgreSQL), then tear everything down.

    python -m conformance.targets.fractal [--report DIR] [extra pytest args]

Installs fractal-agents-runtime 0.1.1 (PyPI; Python >= 3.11, < 3.13: found on PATH or under pyenv) into an
environment of its own (~/.cache/langgraph-conformance/fractal-agents-runtime-0.1.1/, first use only),
starts a private PostgreSQL cluster (Debian postgresql, loopback only, nothing kept), and starts the
server with the suite's fixture graphs registered.

Authentication: without Supabase configured the server lets every request through its middleware, and then
refuses every owner-scoped route (401 "Authentication required": its routes need a user). With
``SUPABASE_JWT_SECRET`` it verifies HS256 tokens locally, never calling Supabase; so the bring-up picks a
random secret, gives the server a Supabase URL on a closed loopback port (never contacted) and a dummy key,
mints one token for one user (``sub``, ``exp`` a day ahead) and hands it to the suite as ``--target-header
"Authorization: Bearer ..."`` (redacted in every report).

fractal-agents-runtime reads no langgraph.json: its graphs are built-in (a ReAct agent that calls an LLM,
and two more), and others are added in Python with ``graphs.registry.register_graph``, its documented
extension point. So the bring-up writes a launcher (``launch.py``, below) that registers each fixture
graph under its name, then calls the server's own ``main()``. The server makes no assistant for a graph
either (its assistants are synced from its platform on demand); the bring-up creates one per fixture
graph through the server's own ``POST /assistants``, unmarked (no ``created_by: system``), as that
platform would. Those assistants are the bring-up's, not the server's: ASSISTANTS-DEFAULTS results on this
target prove nothing about the server. Writes reports/fractal-agents-runtime-0.1.1/; exit code: the
suite's; 6, in one line, when it cannot be brought up.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import shutil
import sys
import time
import uuid
from pathlib import Path

import httpx

from conformance.graphs import GRAPHS as FIXTURE_GRAPHS
from conformance.paths import GRAPHS_DIR
from conformance.targets.bringup import Server, Target, cached_env, certify, clean_env, logger, python_env
from conformance.targets.postgres import Postgres

FRACTAL_VERSION = "0.1.1"
NAME = f"fractal-agents-runtime-{FRACTAL_VERSION}"
PYTHON = ("3.12", "3.11")  # fractal-agents-runtime 0.1.1 requires Python >= 3.11, < 3.13
REQUIREMENTS = (f"fractal-agents-runtime=={FRACTAL_VERSION}",)
START_DEADLINE = 120.0
# Variables that would reach a real Supabase, tracing or an LLM: never passed on (the Supabase three are set anew).
NETWORK_VARIABLES = (
    "SUPABASE_URL",
    "SUPABASE_KEY",
    "SUPABASE_SECRET",
    "SUPABASE_JWT_SECRET",
    "LANGFUSE_PUBLIC_KEY",
    "LANGFUSE_SECRET_KEY",
    "LANGFUSE_HOST",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "TAVILY_API_KEY",
    "LANGSMITH_API_KEY",
)
# Registers the fixture graphs (loaded from their file: the server's own top-level package is also called
# ``graphs``) as factories of the shape the server calls: (config, *, checkpointer, store) -> compiled graph.
LAUNCHER = '''\
"""Written by conformance/targets/fractal.py: the fixture graphs registered, then the server's main()."""
import importlib.util
import sys

spec = importlib.util.spec_from_file_location("conformance_fixture_graphs", sys.argv[1])
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

from graphs.registry import register_graph  # noqa: E402  (the server's package)


def factory_of(compiled):
    async def build(config, *, checkpointer=None, store=None, **_):
        return compiled.copy(update={"checkpointer": checkpointer, "store": store})

    return build


for name in sys.argv[2].split(","):
    register_graph(name, factory_of(getattr(fixtures, name)))

from server.app import main  # noqa: E402

main()
'''

log = logger("certify-fractal")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_token(secret: str, user: str, lifetime: float = 86400.0) -> str:
    """An HS256 JWT of the shape Supabase issues (sub, email, role, aud, exp), signed with ``secret``."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {
        "sub": user,
        "email": "conformance@example.invalid",
        "role": "authenticated",
        "aud": "authenticated",
        "exp": int(time.time() + lifetime),
    }
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def ensure_installed() -> Path:
    what = f"fractal-agents-runtime {FRACTAL_VERSION}"
    return python_env(cached_env(NAME), REQUIREMENTS, what, log, python=PYTHON)


class Fractal(Server):
    """``launch.py``: the server's main() with the fixture graphs registered, from a folder under ``root``."""

    def __init__(self, root: Path, database_url: str) -> None:
        super().__init__(
            f"fractal-agents-runtime {FRACTAL_VERSION}", root / "fractal", health_path="/ok", deadline=START_DEADLINE
        )
        self.database_url = database_url
        self.jwt_secret = secrets.token_hex(32)
        self.token = mint_token(self.jwt_secret, str(uuid.uuid4()))

    def start(self) -> str:  # type: ignore[override]
        env_path = ensure_installed()
        self.workdir.mkdir(parents=True)
        shutil.copy(GRAPHS_DIR / "graphs.py", self.workdir / "fixture_graphs.py")
        (self.workdir / "launch.py").write_text(LAUNCHER, encoding="utf-8")
        env = clean_env(
            ROBYN_HOST="127.0.0.1",
            ROBYN_PORT=str(self.port),
            ROBYN_WORKERS="1",
            DATABASE_URL=self.database_url,
            SUPABASE_URL="http://127.0.0.1:9",  # discard port, never contacted: tokens are verified locally
            SUPABASE_KEY="conformance",
            SUPABASE_JWT_SECRET=self.jwt_secret,
            LOG_LEVEL="WARNING",
            LANGSMITH_TRACING="false",
            LANGCHAIN_TRACING_V2="false",
            PYTHONUNBUFFERED="1",
        )
        for name in NETWORK_VARIABLES:
            if name not in ("SUPABASE_URL", "SUPABASE_KEY", "SUPABASE_JWT_SECRET"):
                env.pop(name, None)
        command = [str(env_path / "bin" / "python"), "launch.py", "fixture_graphs.py", ",".join(FIXTURE_GRAPHS)]
        return super().start(command, env)

    def create_assistants(self) -> None:
        """One assistant per fixture graph, made through the server's own API (it makes none itself)."""
        with httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.token}"}) as http:
            for graph in FIXTURE_GRAPHS:
                answer = http.post("/assistants", json={"graph_id": graph, "name": graph, "metadata": {}})
                if answer.status_code != 200:
                    raise RuntimeError(
                        f"fractal-agents-runtime refused an assistant for graph {graph!r}: "
                        f"{answer.status_code} {answer.text[:200]}"
                    )


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    ensure_installed()
    postgres = Postgres(root, database="fractal")
    stack.callback(postgres.stop)
    log("starting PostgreSQL")
    database_url = postgres.start()
    server = Fractal(root, database_url)
    stack.callback(server.stop)
    log(f"starting fractal-agents-runtime {FRACTAL_VERSION} with the fixture graphs registered")
    server.start()
    server.create_assistants()
    log(f"it answered /ok after {server.started_in:.1f} s; one assistant per fixture graph created through its API")
    return Target(url=server.url, name=NAME, suite_args=(f"--target-header=Authorization: Bearer {server.token}",))


# Its runs never reach a final status (seen in every run: RUNS-LIFECYCLE), so every scenario that waits for
# one waits out the whole run timeout: 13 of them at the default 60 s made a certification take 15 minutes.
# At 15 s it takes under 4 and names the same deviations ("the run did not finish within 15 s"); the fixture
# graphs' runs end within a few seconds on a server that runs them. An explicit --run-timeout wins.
RUN_TIMEOUT = "--run-timeout=15"


def main(argv: list[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    return certify("certify-fractal", up, [RUN_TIMEOUT, *given], __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

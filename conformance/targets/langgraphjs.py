"""Certify the official JavaScript Agent Server (langgraphjs), then tear it down.

    python -m conformance.targets.langgraphjs [--report DIR] [extra pytest args]

Installs the versions pinned in conformance/graphs/js/package.json + package-lock.json with ``npm ci``
into the cache (~/.cache/langgraph-conformance/langgraphjs-<version>/, first use only), starts
``langgraphjs dev`` offline (no analytics, no browser, no reload, no tracing) on a free loopback port in
a fresh temporary folder holding the TypeScript fixture graphs (it saves its state to .langgraph_api/ in
that folder, with no switch to turn it off), runs the suite against it, writes
reports/langgraphjs-api-<version>/ (the version /info reports) and stops the server's process group.
A second ``langgraphjs dev`` serves the same graphs behind the fixture auth's TypeScript twin (js/auth.ts,
``conformance graphs DIR --auth``) for the auth area; it starts beside the suite, which is given its URL
and two users (bringup.fixture_auth_beside_the_suite). Needs Node 20+ and npm on PATH. Exit code: the
suite's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from pathlib import Path

import httpx

from conformance.graphs import deploy
from conformance.paths import GRAPHS_DIR
from conformance.targets import reference
from conformance.targets.bringup import (
    Server,
    Target,
    cached_env,
    cached_install,
    certify,
    clean_env,
    fixture_auth_beside_the_suite,
    installed,
    logger,
    run_checked,
)

JS_DIR = GRAPHS_DIR / "js"
PACKAGE_FILES = ("package.json", "package-lock.json")
GRAPH_FILES = ("graphs.ts", "langgraph.json")
OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "BROWSER": "none",
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "NO_UPDATE_NOTIFIER": "1",
}
WARM_UP_TIMEOUT = 180.0  # seconds for one graph's schemas on first request
# The server gives up extracting a graph's schemas after 30 s by default and answers 500, caching nothing,
# so every later request starts over; a 2-core machine running other suites needs longer than that.
SCHEMA_RESOLVE_TIMEOUT_MS = str(int(WARM_UP_TIMEOUT * 1000))
START_DEADLINE = 120.0

log = logger("certify-langgraphjs")


def api_version() -> str:
    """The @langchain/langgraph-api version package.json pins."""
    return json.loads((JS_DIR / "package.json").read_text())["dependencies"]["@langchain/langgraph-api"]


def env_dir() -> Path:
    return cached_env(f"langgraphjs-{api_version()}")


def node_missing() -> str | None:
    """Why the JS environment cannot be used here, or None when node and npm are on PATH."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not found on PATH (install Node.js 20+)" if missing else None


def _wanted() -> str:
    digest = hashlib.sha256()
    for name in PACKAGE_FILES:
        digest.update((JS_DIR / name).read_bytes())
    return digest.hexdigest()


def is_installed() -> bool:
    return installed(env_dir(), _wanted())


def ensure_installed() -> Path:
    """``npm ci`` the pinned packages into the cache once; reinstall when package files change."""
    missing = node_missing()
    if missing:
        raise RuntimeError(missing)

    def fill(target: Path) -> None:
        target.mkdir(parents=True)
        for name in PACKAGE_FILES:
            shutil.copy(JS_DIR / name, target / name)
        run_checked(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            "install the JS packages with npm ci",
            cwd=target,
            env=clean_env(**OFFLINE_ENV),
        )

    return cached_install(env_dir(), _wanted(), "the JS Agent Server with npm ci", log, fill)


def node_modules() -> Path:
    return env_dir() / "node_modules"


class LanggraphJs(Server):
    """``langgraphjs dev`` serving the TypeScript fixture graphs from a fresh folder under ``root``; with
    ``auth_tokens``, behind the fixture auth's TypeScript twin (js/auth.ts, as ``conformance graphs DIR
    --auth`` writes it), the two users' tokens in the environment, for the auth area."""

    def __init__(self, root: Path, auth_tokens: dict[str, str] | None = None) -> None:
        label = "the JS Agent Server (langgraphjs dev)" + (" with the fixture auth" if auth_tokens else "")
        folder = root / ("langgraphjs-auth" if auth_tokens else "langgraphjs")
        super().__init__(label, folder, deadline=START_DEADLINE)
        self.auth_tokens = auth_tokens

    def _command(self) -> tuple[list[str], dict[str, str]]:
        installed_dir = ensure_installed()
        self.workdir.mkdir(parents=True)
        if self.auth_tokens is None:
            for name in GRAPH_FILES:
                shutil.copy(JS_DIR / name, self.workdir / name)
        else:
            written = deploy.write(self.workdir / "deployment", js=True, auth=True)
            for path in written:
                if path.parent.name == "js" and path.name in (*GRAPH_FILES, deploy.JS_AUTH_FILE):
                    shutil.copy(path, self.workdir / path.name)
        (self.workdir / "node_modules").symlink_to(installed_dir / "node_modules", target_is_directory=True)
        binary = installed_dir / "node_modules" / ".bin" / "langgraphjs"
        command = reference.dev_command(binary, self.port, self.workdir / "langgraph.json")
        env = clean_env(
            **OFFLINE_ENV,
            LANGGRAPH_SCHEMA_RESOLVE_TIMEOUT_MS=SCHEMA_RESOLVE_TIMEOUT_MS,
            **deploy.auth_environment(self.auth_tokens or {}),
        )
        return command, env

    def start(self) -> str:  # type: ignore[override]
        return super().start(*self._command())

    def launch(self) -> str:  # type: ignore[override]
        return super().launch(*self._command())

    def version(self) -> str:
        return str(httpx.get(f"{self.url}/info", timeout=10).json().get("version") or api_version())

    def warm_up(self) -> dict[str, str]:
        """Ask once for each fixture graph's schemas, as a deployment's readiness check would; graph -> how it went.

        langgraphjs extracts a graph's schemas by type-checking its TypeScript on the first request (16 to 30 s
        a graph on an idle 2-core machine, more on a loaded one) and keeps only an extraction that finished
        within LANGGRAPH_SCHEMA_RESOLVE_TIMEOUT_MS; which test happened to ask first would otherwise decide
        which one times out. One at a time: in parallel on 2 cores they took no less in all, and each one
        longer. The answers are not judged here: the assistants area judges them.
        """
        with httpx.Client(base_url=self.url, timeout=WARM_UP_TIMEOUT) as http:
            graphs = {
                str(a.get("graph_id")): str(a["assistant_id"])
                for a in http.post("/assistants/search", json={"limit": 100}).json()
                if isinstance(a, dict) and (a.get("metadata") or {}).get("created_by") == "system"
            }

            def extract(assistant_id: str) -> str:
                began = time.monotonic()
                try:
                    status = str(http.get(f"/assistants/{assistant_id}/schemas").status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                return f"{status} in {time.monotonic() - began:.1f} s"

            return {graph: extract(assistant_id) for graph, assistant_id in graphs.items()}


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    ensure_installed()
    tokens = deploy.auth_tokens()
    with_auth = LanggraphJs(root, auth_tokens=tokens)
    auth_options = fixture_auth_beside_the_suite(with_auth, tokens, stack, log)
    log(f"starting {with_auth.label} (for the auth area, beside the suite)")
    with_auth.launch()
    server = LanggraphJs(root)
    stack.callback(server.stop)
    log("starting langgraphjs dev")
    server.start()
    log(f"langgraphjs dev answered /ok after {server.started_in:.1f} s")
    started = time.monotonic()
    outcomes = server.warm_up()
    log(
        f"graph schemas extracted in {time.monotonic() - started:.1f} s: "
        + ", ".join(f"{g} {o}" for g, o in outcomes.items())
    )
    return Target(url=server.url, name=f"langgraphjs-api-{server.version()}", suite_args=auth_options)


def main(argv: list[str] | None = None) -> int:
    return certify("certify-langgraphjs", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

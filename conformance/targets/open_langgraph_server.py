"""Certify open-langgraph-server (@langgraph-js/pure-graph) mounted in a small Hono host, then tear it down.

    python -m conformance.targets.open_langgraph_server [--report DIR] [extra pytest args]

open-langgraph-server is a library, not a server: an app mounts it under a prefix. The bring-up installs
the versions pinned in conformance/targets/open_langgraph/package.json + package-lock.json
(@langgraph-js/pure-graph 3.3.3, MIT; hono and @hono/node-server; tsx to run TypeScript; the same
@langchain/langgraph and @langchain/core as the JS fixture graphs) with ``npm ci`` into the cache
(~/.cache/langgraph-conformance/open-langgraph-server-3.3.3/, first use only), writes a fresh folder
holding the host app (host.ts: registers the suite's TypeScript fixture graphs, mounts the library under
/api/langgraph as its README shows for Hono) and the graphs, starts it on a free loopback port with the
library's default storage (in memory; no database, no Redis), runs the suite against
http://127.0.0.1:P/api/langgraph, writes reports/open-langgraph-server-3.3.3/ and stops it. Needs Node 20+
and npm on PATH. Exit code: the suite's; 6, in one line, when it cannot be brought up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

from conformance.paths import GRAPHS_DIR
from conformance.targets.bringup import (
    Server,
    Target,
    cached_env,
    cached_install,
    certify,
    clean_env,
    logger,
    run_checked,
)
from conformance.targets.langgraphjs import OFFLINE_ENV, node_missing

HOST_DIR = Path(__file__).parent / "open_langgraph"
PACKAGE_FILES = ("package.json", "package-lock.json")
PREFIX = "/api/langgraph"
START_DEADLINE = 120.0

log = logger("certify-open-langgraph-server")


def library_version() -> str:
    """The @langgraph-js/pure-graph version package.json pins."""
    return json.loads((HOST_DIR / "package.json").read_text())["dependencies"]["@langgraph-js/pure-graph"]


def name() -> str:
    return f"open-langgraph-server-{library_version()}"


def _wanted() -> str:
    digest = hashlib.sha256()
    for file in PACKAGE_FILES:
        digest.update((HOST_DIR / file).read_bytes())
    return digest.hexdigest()


def ensure_installed() -> Path:
    """``npm ci`` the pinned packages into the cache once; again when the package files change."""
    missing = node_missing()
    if missing:
        raise RuntimeError(missing)

    def fill(target: Path) -> None:
        target.mkdir(parents=True)
        for file in PACKAGE_FILES:
            shutil.copy(HOST_DIR / file, target / file)
        run_checked(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            "install open-langgraph-server and its host with npm ci",
            cwd=target,
            env=clean_env(**OFFLINE_ENV),
        )

    return cached_install(cached_env(name()), _wanted(), "open-langgraph-server with npm ci", log, fill)


class OpenLanggraphHost(Server):
    """The Hono host app (host.ts, run by tsx) serving the library under PREFIX from a fresh folder."""

    def __init__(self, root: Path) -> None:
        super().__init__(
            f"open-langgraph-server {library_version()} (Hono host)",
            root / "open-langgraph-server",
            health_path="/healthz",
            deadline=START_DEADLINE,
        )

    def start(self) -> str:  # type: ignore[override]
        installed_dir = ensure_installed()
        self.workdir.mkdir(parents=True)
        shutil.copy(HOST_DIR / "host.ts", self.workdir / "host.ts")
        shutil.copy(HOST_DIR / "package.json", self.workdir / "package.json")
        shutil.copy(GRAPHS_DIR / "js" / "graphs.ts", self.workdir / "graphs.ts")
        (self.workdir / "node_modules").symlink_to(installed_dir / "node_modules", target_is_directory=True)
        command = [str(installed_dir / "node_modules" / ".bin" / "tsx"), "host.ts"]
        env = clean_env(**OFFLINE_ENV, PORT=str(self.port), CONFORMANCE_PREFIX=PREFIX)
        for variable in ("DATABASE_URL", "SQLITE_DATABASE_URI", "REDIS_URL", "CHECKPOINT_TYPE"):
            env.pop(variable, None)  # the library's default storage: in memory
        super().start(command, env)
        return self.url + PREFIX


def up(root: Path, stack: contextlib.ExitStack) -> Target:
    host = OpenLanggraphHost(root)
    stack.callback(host.stop)
    log(f"starting the Hono host of open-langgraph-server {library_version()}")
    url = host.start()
    log(f"the host answered /healthz after {host.started_in:.1f} s; the library is mounted at {PREFIX}")
    return Target(url=url, name=name())


def main(argv: list[str] | None = None) -> int:
    return certify("certify-open-langgraph-server", up, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

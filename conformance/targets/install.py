"""Install the environments of the bring-ups ahead of time, without starting anything.

    python -m conformance.targets.install [reference] [aegra] [runtime-pg] [langgraphjs] [graphharbor] [langrove]
                                            [fractal] [open-langgraph-server] [upcoming]

Each bring-up installs its server into the cache on first use (once; a lock makes a second session wait
for the first). CI runs this in the background while the self-tests use the cores, so the installs, which
mostly wait on the network, are done when the gates start. Exit 1, with the reason, if one fails.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def _installers() -> dict[str, Callable[[], Path | list[Path]]]:
    from conformance.targets import (
        aegra,
        fractal,
        graphharbor,
        langgraphjs,
        langrove,
        open_langgraph_server,
        reference,
        runtime_pg,
        upcoming,
    )

    return {
        "reference": reference.ensure_installed,
        "aegra": aegra.ensure_aegra,
        "runtime-pg": runtime_pg.ensure_installed,
        "langgraphjs": langgraphjs.ensure_installed,
        "graphharbor": graphharbor.ensure_installed,
        "langrove": langrove.ensure_installed,
        "fractal": fractal.ensure_installed,
        "open-langgraph-server": open_langgraph_server.ensure_installed,
        "upcoming": upcoming.ensure_all,
    }


def main(argv: list[str] | None = None) -> int:
    installers = _installers()
    names = (sys.argv[1:] if argv is None else argv) or list(installers)
    unknown = [name for name in names if name not in installers]
    if unknown:
        print(f"install: unknown bring-up(s) {', '.join(unknown)}; known: {', '.join(installers)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        try:
            print(f"install: {name} ready in {installers[name]()}", file=sys.stderr, flush=True)
        except Exception as exc:
            print(f"install: {name} failed: {exc}", file=sys.stderr, flush=True)
            failed = 1
    return failed


if __name__ == "__main__":
    raise SystemExit(main())

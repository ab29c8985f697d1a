"""Certify an upcoming langgraph-api pre-release (the official in-memory server) against the vendored contract.

    python -m conformance.targets.upcoming VERSION [--report DIR] [extra pytest args]
    ./run.sh upcoming 0.17.0rc6 -n 2

What a server author will face once the next release ships: the very server the embedded reference is
(``langgraph dev`` on the in-memory runtime, the suite's fixture graphs and webhook policy from
conformance/graphs/deploy.py), only of a newer release, judged by today's contract (spec/openapi.yaml
of 0.16.7 with spec/errata.yaml). Each release is installed once into an environment of its own
(~/.cache/langgraph-conformance/upcoming-langgraph-api-VERSION/) and its report goes to
reports/langgraph-api-VERSION-inmem/, a row "upcoming releases" of the matrix (conformance/reports/matrix.py).
Like the embedded reference, it starts a second server of the release behind the fixture auth for the
``auth`` area (``--auth-url``, two users with random tokens).

A langgraph-api release works only with the langgraph-runtime-inmem series its wheel names
(``Requires-Dist: langgraph-runtime-inmem<0.38.0.dev0,>=0.37.0.dev0`` in 0.17.0rc6's METADATA); the
runtime is a separate package and pip would take the newest pre-release of that series at install time,
so the pairing is pinned here to the newest runtime of the series published with the release, for a
repeatable environment. ``pip download langgraph-api==VERSION --no-deps`` and the wheel's METADATA show
the range. langgraph-cli 0.4.40 (the reference's) starts both: its ``inmem`` extra allows
``langgraph-api<1.0.0,>=0.5.35``.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from conformance.graphs import deploy
from conformance.targets import reference
from conformance.targets.bringup import Server, Target, cached_env, certify, clean_env, logger, python_env
from conformance.targets.reference import OFFLINE_ENV


@dataclass(frozen=True)
class Upcoming:
    """One pre-release and the in-memory runtime it is paired with."""

    api: str  # langgraph-api version
    runtime: str  # langgraph-runtime-inmem version, the newest of the series the api wheel requires
    requires: str  # the wheel's own Requires-Dist for the runtime: the evidence for the pairing

    @property
    def name(self) -> str:
        return f"langgraph-api-{self.api}-inmem"

    @property
    def requirements(self) -> tuple[str, ...]:
        return (
            "langgraph-cli[inmem]==0.4.40",
            f"langgraph-api=={self.api}",
            f"langgraph-runtime-inmem=={self.runtime}",
            "langgraph>=1.2,<1.3",
        )


# Checked 2026-12-04 with `pip download --no-deps` and each wheel's METADATA; `pip index versions --pre
# langgraph-runtime-inmem` lists 0.37.0.dev1-dev5, 0.37.0rc1-rc6 and 0.38.0.dev1-dev12 in those series.
RELEASES: dict[str, Upcoming] = {
    u.api: u
    for u in (
        Upcoming("0.17.0rc6", "0.37.0rc6", "langgraph-runtime-inmem<0.38.0.dev0,>=0.37.0.dev0"),
        Upcoming("0.18.0.dev12", "0.38.0.dev12", "langgraph-runtime-inmem<0.39.0.dev0,>=0.38.0.dev0"),
    )
}
START_DEADLINE = 90.0

log = logger("certify-upcoming")


def release(version: str) -> Upcoming:
    """The pairing of ``version``; KeyError naming the known ones for a release not checked yet."""
    if version not in RELEASES:
        raise KeyError(f"no runtime pairing known for langgraph-api {version}; known: {', '.join(RELEASES)}")
    return RELEASES[version]


def ensure_installed(version: str) -> Path:
    upcoming = release(version)
    return python_env(cached_env(f"upcoming-{upcoming.name}"), upcoming.requirements, upcoming.name, log)


def ensure_all() -> list[Path]:
    """Every known pre-release's environment (conformance/targets/install.py: ``upcoming``)."""
    return [ensure_installed(version) for version in RELEASES]


class LanggraphDev(Server):
    """``langgraph dev`` of one release, run exactly as the embedded reference runs (reference.py).

    ``auth_tokens`` (user "A" and "B" -> bearer token): the deployment ``conformance graphs DIR --auth``
    writes instead, the same graphs behind the fixture auth, as the embedded reference starts a second
    server of its own for the ``auth`` area.
    """

    def __init__(self, root: Path, upcoming: Upcoming, auth_tokens: dict[str, str] | None = None) -> None:
        label = f"langgraph-api {upcoming.api}" + (" (fixture auth)" if auth_tokens else "")
        super().__init__(label, root / ("auth" if auth_tokens else "graphs"), deadline=START_DEADLINE)
        self.upcoming = upcoming
        self.auth_tokens = auth_tokens or {}

    def start(self) -> str:  # type: ignore[override]
        env_path = ensure_installed(self.upcoming.api)
        deploy.write(self.workdir, js=False, auth=bool(self.auth_tokens))
        tokens = {f"{deploy.AUTH_TOKEN_VARIABLE}_{user}": token for user, token in self.auth_tokens.items()}
        command = reference.dev_command(env_path / "bin" / "langgraph", self.port)
        return super().start(command, clean_env(**OFFLINE_ENV, **tokens, PYTHONUNBUFFERED="1"))

    def version(self) -> str:
        return str(httpx.get(f"{self.url}/info", timeout=10).json().get("version") or "?")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in RELEASES:
        print(f"usage: ./run.sh upcoming VERSION [pytest args]; VERSION one of {', '.join(RELEASES)}", file=sys.stderr)
        return 2
    upcoming = release(args.pop(0))

    def up(root: Path, stack: contextlib.ExitStack) -> Target:
        ensure_installed(upcoming.api)
        server = LanggraphDev(root, upcoming)
        stack.callback(server.stop)
        log(f"starting langgraph dev: langgraph-api {upcoming.api} + langgraph-runtime-inmem {upcoming.runtime}")
        server.start()
        log(f"it answered /ok after {server.started_in:.1f} s; /info version {server.version()}")
        # The auth area, as for the embedded reference: a second server of the release behind the fixture
        # auth, two users with random tokens (passed to the suite as --auth-user, redacted when shown).
        tokens = {user: secrets.token_urlsafe(24) for user in ("A", "B")}
        with_auth = LanggraphDev(root, upcoming, auth_tokens=tokens)
        stack.callback(with_auth.stop)
        with_auth.start()
        log(f"the same release with the fixture auth answered /ok after {with_auth.started_in:.1f} s")
        users = tuple(f"--auth-user={user}=Authorization: Bearer {token}" for user, token in tokens.items())
        return Target(url=server.url, name=upcoming.name, suite_args=(f"--auth-url={with_auth.url}", *users))

    return certify("certify-upcoming", up, args, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())

"""A private PostgreSQL cluster for a bring-up: Debian's server binaries, a temporary folder, loopback only.

``initdb`` + ``pg_ctl`` as the postgres user (when run as root), trust authentication, fsync off: a
throw-away database for one certification, stopped and removed with its folder afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from conformance.targets.processes import free_port

PG_BIN_CANDIDATES = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"))


def pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if (candidate / "initdb").exists():
            return candidate
    raise RuntimeError("PostgreSQL server binaries not found; install them: apt-get install -y postgresql")


def as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kwargs)


class Postgres:
    """A private cluster in a temporary folder, on a free loopback port."""

    def __init__(self, root: Path, database: str = "conformance") -> None:
        self.bin = pg_bin()
        self.root = root / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self.database = database

    def start(self) -> str:
        self.root.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.root.parent, "postgres")
        as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self.create_database(self.database)

    def create_database(self, name: str) -> str:
        """A database of its own in the cluster (a second server beside the first, each with its own
        schema and migrations); its URL."""
        as_postgres(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql://postgres:postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

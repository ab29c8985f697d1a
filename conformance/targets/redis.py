"""A private Redis for a bring-up: Debian's ``redis-server`` on a free loopback port, nothing saved to disk.

Stock langgraph-api on PostgreSQL (langgraph-runtime-pg) needs Redis beside the database; this starts
one in its own process group and stops it with the bring-up.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from conformance.targets.processes import die_with_parent, free_port, stop_group

START_DEADLINE = 20.0


def redis_server() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("redis-server not found; install it: apt-get install -y redis-server")
    return found


class Redis:
    """``redis-server --port P --bind 127.0.0.1 --save '' --appendonly no`` in a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root / "redis"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "redis.log", "wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    redis_server(),
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.root),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        end = time.monotonic() + START_DEADLINE
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
            if self._pong():
                return self.url
            time.sleep(0.1)  # poll interval while waiting for start-up, bounded by the deadline
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} within {START_DEADLINE:g} s")

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=10)

"""The session's webhook receiver: an HTTP server of the suite's own that records what the target POSTs.

A run created with ``webhook`` set to one of the receiver's URLs must be followed by a POST of that run
when it finishes. Each test takes a hook of its own (a unique path), so tests never see each other's
calls. The server is the standard library's, in a thread; every read and every wait is bounded.

Where the target can reach it: by default the receiver listens on 127.0.0.1 and is used only when the
target's URL is on loopback too (the embedded reference, a server started beside the suite). For any
other target the address must be given (``callback_host``: the host, or host:port, at which the target
reaches the machine the suite runs on); the receiver then listens on every interface, on that port when
one is given. Without it the webhook tests are unsupported, with the reason: never passed.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

PATH_PREFIX = "/conformance-webhooks"
MAX_BODY = 5_000_000  # bytes of one call kept; a larger body is read no further
READ_TIMEOUT = 10.0  # seconds a caller may take to send its request


@dataclass(frozen=True)
class Call:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.monotonic()

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def describe(self) -> dict[str, Any]:
        payload = self.json()
        return {
            "method": self.method,
            "path": self.path,
            "content-type": self.headers.get("content-type"),
            "body": payload if payload is not None else self.body[:200].decode("utf-8", "replace"),
        }


@dataclass
class Hook:
    """One test's webhook: a URL of the receiver and the calls made to it."""

    receiver: WebhookReceiver
    path: str

    @property
    def url(self) -> str:
        return self.receiver.public_base + self.path

    def calls(self) -> list[Call]:
        return self.receiver.calls_to(self.path)

    def wait(self, seconds: float, count: int = 1) -> list[Call]:
        """The calls made so far, once there are ``count`` of them or ``seconds`` have passed."""
        return self.receiver.wait_for(self.path, count, time.monotonic() + seconds)


@dataclass(frozen=True)
class Placement:
    """Where the receiver listens and the base URL the target is given; ``unsupported`` says why not."""

    bind_host: str = "127.0.0.1"
    port: int = 0
    public_host: str = "127.0.0.1"
    unsupported: str | None = None


def is_loopback(host: str | None) -> bool:
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host_port(value: str) -> tuple[str, int | None]:
    """'host', 'host:port', '[v6]' or '[v6]:port' -> (host, port); ValueError when it is none of them."""
    value = value.strip()
    if not value or "/" in value or "@" in value or " " in value:
        raise ValueError(value)
    parts = urlsplit(f"//{value}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(value) from None
    host = parts.hostname
    if not host or (port is not None and not 0 < port < 65536):
        raise ValueError(value)
    return (f"[{host}]" if ":" in host else host), port


def placement(target_url: str, callback_host: str | None) -> Placement:
    """Decide where the receiver listens, from the target's URL and the ``callback_host`` setting."""
    if callback_host:
        host, port = split_host_port(callback_host)
        return Placement(bind_host="", port=port or 0, public_host=host)
    target_host = urlsplit(target_url).hostname
    if is_loopback(target_host):
        return Placement()
    return Placement(
        unsupported=(
            f"the target ({target_host}) is not on loopback and no callback_host is set, so it cannot reach "
            "the suite's webhook receiver; give the host (or host:port) at which the target reaches this "
            "machine with --callback-host (CONFORMANCE_CALLBACK_HOST)"
        )
    )


class WebhookReceiver:
    """Records every request by path; answers 200 under PATH_PREFIX and 404 elsewhere."""

    def __init__(self, where: Placement) -> None:
        self.where = where
        self._calls: dict[str, list[Call]] = {}
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.session = uuid.uuid4().hex[:12]

    # ----------------------------------------------------------------------------------- lifecycle
    def start(self) -> WebhookReceiver:
        server = ThreadingHTTPServer((self.where.bind_host, self.where.port), self._handler())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the webhook receiver is not running")
        return self._server.server_address[1]

    @property
    def public_base(self) -> str:
        return f"http://{self.where.public_host}:{self.port}"

    # -------------------------------------------------------------------------------------- hooks
    def hook(self) -> Hook:
        return Hook(self, f"{PATH_PREFIX}/{self.session}/{uuid.uuid4().hex}")

    def calls_to(self, path: str) -> list[Call]:
        with self._changed:
            return list(self._calls.get(path, ()))

    def wait_for(self, path: str, count: int, deadline: float) -> list[Call]:
        with self._changed:
            while len(self._calls.get(path, ())) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return list(self._calls.get(path, ()))

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.setdefault(call.path, []).append(call)
            self._changed.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = READ_TIMEOUT  # a caller that stops sending mid-request is dropped, not waited for

            def log_message(self, *args: Any) -> None:  # the suite's output is its own
                pass

            def _serve(self) -> None:
                length = min(int(self.headers.get("content-length") or 0), MAX_BODY)
                try:
                    body = self.rfile.read(length) if length > 0 else b""
                except OSError:
                    return
                path = urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._record(Call(self.command, path, headers, body, time.monotonic()))
                status = 200 if path.startswith(PATH_PREFIX + "/") else 404
                try:
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass

            do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _serve

        return Handler

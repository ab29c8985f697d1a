"""The session's webhook receiver: an HTTP server of the suite's own that records what the target POSTs.

A run created with ``webhook`` set to one of the receiver's URLs must be followed by a POST of that run
when it finishes. Each test takes a hook of its own (a unique path), so tests never see each other's
calls. The server is the standard library's, in a thread; every read and every wait is bounded.

Where the target can reach it: by default the receiver listens on 127.0.0.1 and is used only when the
target's URL is on loopback too (the embedded reference, a server started beside the suite). For any
other target the address must be given (``callback_host``: the host, or host:port, at which the target
reaches the machine the suite runs on); the receiver then listens on every interface, on that port when
one is given. Without it the webhook tests are unsupported, with the reason: never passed.

Where the target refuses the receiver's URL: a deployment may restrict webhook URLs (langgraph-api refuses
loopback hosts unless ``webhooks.url.disable_loopback`` is false in its langgraph.json, and can demand
https or an allowed domain). It then answers the run's creation 4xx naming the webhook as refused
(``422 {"detail": "Webhook host blocked: loopback IP range"}``). That is how the server was deployed, not a
deviation from the API, so it is not a failure of the creating operation; but nothing about webhooks was
shown either, so it is never a pass: the test is *unsupported*, with the server's words, the setting to
change and ``--callback-host`` as the reason (``refused``). Only an answer that names the webhook as
blocked, disabled or not allowed counts: any other refusal of a run with a webhook stays a failure.
"""

from __future__ import annotations

import ipaddress
import json
import re
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


# A refusal by policy: the answer's message names the webhook and says it is refused. langgraph-api 0.16.7:
# "Webhook host blocked: loopback IP range", "Loopback webhooks (relative URLs and localhost) are disabled
# by default...", "Webhook must use https", "Webhook domain not allowed", "Webhook port 80 not allowed".
REFUSED = re.compile(r"\bwebhooks?\b.*\b(blocked|disabled|not allowed|must use https|denied|forbidden)\b", re.I | re.S)
REFUSAL_STATUSES = (400, 403, 422)
ALLOW_HINT = (
    "a deployment setting, not a conformance failure: let the target call the receiver (for langgraph-api, "
    "webhooks.url.disable_loopback: false with require_https: false in langgraph.json, as `conformance graphs "
    "DIR` writes it) or give --callback-host with an address its policy accepts"
)


def refused(operation: str, status: int, text: str, receiver: str) -> str | None:
    """Why a webhook test is unsupported, when the target refused its run for the webhook URL (on the
    ``receiver``, a base URL); else None."""
    if status not in REFUSAL_STATUSES:
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    said = body.get("detail") or body.get("message") or body.get("error") if isinstance(body, dict) else None
    if not isinstance(said, str) or not REFUSED.search(said):
        return None
    said = said if len(said) <= 200 else said[:200] + "..."
    return (
        f"the deployment refuses the URL of the suite's webhook receiver ({receiver}/...): {operation} answered "
        f"{status} {said!r}; {ALLOW_HINT}"
    )


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

"""A reverse proxy in front of a real Agent Server that injects exactly one fault.

Real HTTP on loopback, a real server behind it: the suite under test cannot tell the proxy from a
server that has the fault. With no fault, the proxy is a *correct* server: it also corrects the two
known bugs of the reference (the 500 of a ``values`` search, the missing ``interrupts`` key under
``select``), so a clean run through it must be fully green with no expected failures at all.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

# Headers a server acts on: stream resumption, MCP's Accept, and who is asking (the auth area's users; the
# Studio's scheme header, which must not log anyone in).
FORWARDED_HEADERS = ("last-event-id", "accept", "authorization", "x-auth-scheme")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str | list[str]]  # a repeated parameter (select=a&select=b) keeps every value, in a list
    body: Any = None  # parsed JSON, or None
    raw: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # the request headers forwarded (FORWARDED_HEADERS)
    base: str = ""  # the proxy's own URL, for faults that route the target's calls back through it (webhooks)
    # Sends another request to the server behind the proxy and returns its answer, for faults that ask the
    # server a second question (the auth faults ask it as another user); set by the proxy.
    replay: Callable[[Req], Resp] | None = field(default=None, repr=False, compare=False)

    def is_(self, method: str, pattern: str) -> bool:
        """Match "GET /threads/*/runs/*": '*' stands for one path segment."""
        if method != self.method:
            return False
        want, got = pattern.strip("/").split("/"), self.path.strip("/").split("/")
        return len(want) == len(got) and all(w == "*" or w == g for w, g in zip(want, got, strict=True))


def _query(raw: str) -> dict[str, str | list[str]]:
    found: dict[str, str | list[str]] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        before = found.get(name)
        found[name] = value if before is None else [*([before] if isinstance(before, str) else before), value]
    return found


@dataclass
class Resp:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    stream: httpx.Response | None = None  # an event stream passed through as it arrives
    _json: Any = None
    _parsed: bool = False

    @property
    def json(self) -> Any:
        if not self._parsed:
            try:
                self._json = json.loads(self.content)
            except ValueError:
                self._json = None
            self._parsed = True
        return self._json

    @json.setter
    def json(self, value: Any) -> None:
        self._json, self._parsed = value, True
        self.content = json.dumps(value).encode()
        self.headers["content-type"] = "application/json"


RequestHook = Callable[[Req], "Resp | None"]
ResponseHook = Callable[[Req, Resp], None]


def _well_formed_values_search(body: Any) -> bool:
    """Only a valid search is corrected; anything else goes to the reference as it is (its 422 is right)."""
    if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
        return False
    select = body.get("select")
    paging = all(isinstance(body.get(k, 0), int) and not isinstance(body.get(k, 0), bool) for k in ("limit", "offset"))
    return paging and (select is None or (isinstance(select, list) and all(isinstance(f, str) for f in select)))


def _contains(whole: Any, part: Any) -> bool:
    """JSON containment, as a values/metadata filter means it."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _contains(whole[k], v) for k, v in part.items())
    return whole == part


class _Listener(ThreadingHTTPServer):
    """The proxy's listener: daemon threads, and a backlog deep enough for a scenario's burst of
    concurrent requests (the default of 5 refuses connections on a loaded machine)."""

    daemon_threads = True
    request_queue_size = 64


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
        correct_reference: bool = True,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.on_request = on_request
        self.on_response = on_response
        self.correct_reference = correct_reference
        # Idle upstream connections are dropped after 1 s, well before uvicorn's 5 s keep-alive
        # timeout: reusing a connection the server is closing would turn into a false 502.
        self.http = httpx.Client(base_url=self.upstream, timeout=60, limits=httpx.Limits(keepalive_expiry=1.0))
        self.server = _Listener(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.http.close()

    # ---------------------------------------------------------------------------------- forwarding
    def forward(self, req: Req) -> Resp:
        body = json.dumps(req.body).encode() if req.body is not None else req.raw or None
        url = req.path + ("?" + urlencode(req.query, doseq=True) if req.query else "")
        headers = {"content-type": "application/json"} if body else {}
        headers.update(req.headers)
        request = self.http.build_request(req.method, url, content=body, headers=headers)
        response = self.http.send(request, stream=True)
        kept = {k.lower(): v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}
        if kept.get("location", "").startswith(self.upstream + "/"):  # a redirect points back through the proxy,
            kept["location"] = self.url + kept["location"][len(self.upstream) :]  # as a reverse proxy rewrites it
        if kept.get("content-type", "").startswith("text/event-stream"):
            return Resp(response.status_code, kept, stream=response)  # never buffered: streams may not end
        try:
            return Resp(response.status_code, kept, response.read())
        finally:
            response.close()

    def handle(self, req: Req) -> Resp:
        if self.on_request is not None:
            shortcut = self.on_request(req)
            if shortcut is not None:
                return shortcut
        if self.correct_reference and req.is_("POST", "/threads/search") and _well_formed_values_search(req.body):
            resp = self._search_values(req)
        else:
            resp = self.forward(req)
        if (
            self.correct_reference
            and req.is_("POST", "/threads/search")
            and isinstance(req.body, dict)
            and isinstance(req.body.get("select"), list)
            and "interrupts" in req.body["select"]
            and isinstance(resp.json, list)
        ):
            resp.json = [{**t, "interrupts": t.get("interrupts", {})} if isinstance(t, dict) else t for t in resp.json]
        if self.on_response is not None:
            self.on_response(req, resp)
        return resp

    def _search_values(self, req: Req) -> Resp:
        """The values filter done right: the reference answers 500 to it (see its expected failures)."""
        body = dict(req.body)
        wanted = body.pop("values")
        limit, offset = body.pop("limit", 10), body.pop("offset", 0)
        select = body.get("select")
        if select:
            body["select"] = sorted(set(select) | {"values"})
        resp = self.forward(Req("POST", req.path, {}, {**body, "limit": 1000, "offset": 0}, headers=req.headers))
        if resp.status != 200 or not isinstance(resp.json, list):
            return resp
        matches = [t for t in resp.json if _contains(t.get("values"), wanted)]
        if select and "values" not in select:
            matches = [{k: v for k, v in t.items() if k != "values"} for t in matches]
        resp.json = matches[offset : offset + limit]
        return resp

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # small writes without Nagle's delay, or every answer waits ~40 ms for an ACK
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:  # keep the self-test output readable
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                forwarded = {h: self.headers[h] for h in FORWARDED_HEADERS if self.headers.get(h) is not None}
                req = Req(self.command, parts.path, _query(parts.query), body, raw, forwarded, proxy.url, proxy.forward)
                try:
                    resp = proxy.handle(req)
                except Exception as exc:  # a proxy bug must show as a 502, never a dropped connection
                    resp = Resp(502, {"content-type": "text/plain"}, f"proxy: {type(exc).__name__}: {exc}".encode())
                try:
                    self.send_response(resp.status)
                    for name, value in resp.headers.items():
                        self.send_header(name, value)
                    if resp.stream is not None:
                        self._relay(resp.stream)
                        return
                    self.send_header("content-length", str(len(resp.content)))
                    self.end_headers()
                    self.wfile.write(resp.content)
                except OSError:
                    pass  # the client gave up (a timeout the suite expected)
                finally:
                    if resp.stream is not None:
                        resp.stream.close()

            def _relay(self, upstream: httpx.Response) -> None:
                """Pass an event stream through chunk by chunk, until either side closes it."""
                self.send_header("transfer-encoding", "chunked")
                self.send_header("connection", "close")
                self.end_headers()
                for chunk in upstream.iter_raw():
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        return Handler

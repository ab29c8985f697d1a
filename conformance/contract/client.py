"""HTTP to the target: an httpx client that records every exchange and can replay it as curl.

Every request has the configured timeout, and every stream read is bounded (conformance/contract/sse.py);
a target that does not answer becomes a conformance failure naming the request, never a hung suite.
Secrets (the API key, extra headers) are sent but never shown: reproductions print them as placeholders.
Every Exchange, whoever sent the request (this client, the property layer, an SDK), is made by
:meth:`Exchange.from_httpx`, so every failure can cite one with its curl.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn, TypedDict, Unpack

import httpx

from conformance.contract import sse
from conformance.contract.failures import ConformanceFailure

SECRET_PLACEHOLDER = "<redacted>"


@dataclass
class Exchange:
    """One request and its response, as the report and failure messages show them."""

    method: str
    url: str
    path: str
    request_body: Any
    status: int
    content_type: str
    text: str
    elapsed: float
    secret_headers: tuple[str, ...] = ()
    shown_headers: tuple[tuple[str, str], ...] = ()  # request headers a reproduction needs (e.g. Accept)
    headers: dict[str, str] = field(default_factory=dict)  # the response's headers, names in lower case
    raw_body: bytes | None = None  # a request body reproduced byte for byte (not JSON, or sent as generated)
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @classmethod
    def from_httpx(
        cls,
        request: httpx.Request,
        response: httpx.Response | None = None,
        *,
        secret_headers: tuple[str, ...] = (),
        shown_headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        text: str | None = None,
        elapsed: float | None = None,
        raw_body: bool = False,
    ) -> Exchange:
        """The exchange of ``request`` and its ``response`` (None: no answer came).

        ``text`` is the body as read (default: the response's, which must have been read; a stream's
        reader passes what it read). ``shown_headers`` are the request headers the reproduction needs;
        a secret one among them is never shown. The request body is shown as JSON when it is JSON, else
        byte for byte, as is any body with ``raw_body=True`` (a generated request, its content type among
        its own headers). Credentials in the URL are never shown.
        """
        content = request.content if isinstance(request.stream, httpx.ByteStream) else b""
        body: Any = None
        raw: bytes | None = content or None
        if content and not raw_body:
            with contextlib.suppress(ValueError):
                body, raw = json.loads(content), None
        secret = {name.lower() for name in secret_headers}
        pairs = shown_headers.items() if isinstance(shown_headers, Mapping) else shown_headers
        if response is not None and elapsed is None:
            try:
                elapsed = response.elapsed.total_seconds()
            except RuntimeError:  # not read to its end: the caller did not time it
                elapsed = None
        return cls(
            method=request.method,
            url=str(request.url.copy_with(userinfo=b"")),
            path=request.url.raw_path.decode(),
            request_body=body,
            status=response.status_code if response is not None else 0,
            content_type=response.headers.get("content-type", "") if response is not None else "",
            text=text if text is not None else response.text if response is not None else "",
            elapsed=elapsed or 0.0,
            secret_headers=secret_headers,
            shown_headers=tuple((name, value) for name, value in pairs if name.lower() not in secret),
            headers={k.lower(): v for k, v in response.headers.items()} if response is not None else {},
            raw_body=raw,
        )

    def summary(self) -> str:
        return f"{self.method} {self.path} -> {self.status} ({self.content_type or 'no content-type'})"

    def body_excerpt(self, limit: int = 400) -> str:
        text = self.text.strip().replace("\n", " ")
        return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is the target's failure, not a crash of the suite."""
        if not self._parsed:
            try:
                self._json = json.loads(self.text)
            except ValueError:
                raise ConformanceFailure(
                    "HTTP-JSON",
                    f"{self.method} {self.path}: the answer is not JSON",
                    expected="a JSON body",
                    actual=self.body_excerpt(120) or "(empty body)",
                    exchange=self,
                ) from None
            self._parsed = True
        return self._json

    def curl(self) -> str:
        parts = ["curl", "-s", "-X", self.method, shlex.quote(self.url)]
        for name in self.secret_headers:
            parts += ["-H", shlex.quote(f"{name}: {SECRET_PLACEHOLDER}")]
        for name, value in self.shown_headers:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body is not None:
            parts += [
                "-H",
                "'content-type: application/json'",
                "-d",
                shlex.quote(json.dumps(self.request_body, separators=(",", ":"))),
            ]
        elif self.raw_body:
            parts += ["-d", shlex.quote(self.raw_body.decode("utf-8", "replace"))]
        return " ".join(parts)


class Streamed(NamedTuple):
    """A bounded read of a streamed answer: the exchange (its text is what was read), the events, and
    whether the stream ended by itself (False: a bound, the caller's ``until`` or a broken connection
    stopped the read)."""

    exchange: Exchange
    events: list[sse.SseEvent]
    ended: bool


class Sending(TypedDict, total=False):
    """What a request sends besides its method and path."""

    json_body: Any  # the JSON body (None: no body)
    content: bytes | None  # a body sent byte for byte instead (one that is not JSON on purpose); give its content type
    params: dict[str, Any] | None  # query parameters
    headers: dict[str, str] | None  # this request's own headers: shown in its reproduction unless secret


BODY_DEADLINE_DEFAULT = 30.0  # seconds for a whole answer when the client has no read timeout


def read_bounded(response: httpx.Response, deadline: float) -> tuple[bytes, bool]:
    """A streamed answer's body, read until it ends or ``deadline`` (time.monotonic()) passes, and whether
    it ended. The read timeout bounds each wait for a byte; this bounds the whole: a body that keeps coming
    (an event stream where JSON was asked for, a keep-alive that never ends) can hold no one for ever."""
    chunks: list[bytes] = []
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        if time.monotonic() > deadline:
            return b"".join(chunks), False
    return b"".join(chunks), True


class ApiClient:
    """A thin recorder over one shared httpx.Client. Each test gets its own recorder."""

    def __init__(self, http: httpx.Client, secret_headers: tuple[str, ...] = ()) -> None:
        self.http = http
        self.secret_headers = secret_headers
        self.exchanges: list[Exchange] = []

    @property
    def timeout(self) -> float:
        return self.http.timeout.read or 0.0

    def request(self, method: str, path: str, *, timeout: float | None = None, **sending: Unpack[Sending]) -> Exchange:
        """Send one request and read its answer. No answer within the timeout, or a broken connection, is
        the target's failure (HTTP-TIMEOUT, HTTP-TRANSPORT)."""
        request = self._build(method, path, timeout, sending)
        started = time.monotonic()
        try:
            response = self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            self._unanswered(request, sending, exc, timeout)
        limit = timeout or self.timeout or BODY_DEADLINE_DEFAULT
        try:
            text = self._read_bounded(response, request, sending, started, limit)
        except httpx.TransportError as exc:
            self._unanswered(request, sending, exc, timeout)
        finally:
            response.close()
        shown = self._shown(sending)
        return self._record(
            Exchange.from_httpx(request, response, text=text, elapsed=time.monotonic() - started, **shown)
        )

    def _read_bounded(
        self, response: httpx.Response, request: httpx.Request, sending: Sending, started: float, limit: float
    ) -> str:
        """The answer's body, read to its end within ``limit`` seconds of the request (:func:`read_bounded`);
        a body still coming then is the target's failure (HTTP-TIMEOUT), with what had come."""
        body, ended = read_bounded(response, started + limit)
        text = body.decode(response.encoding or "utf-8", "replace")
        if ended:
            return text
        exchange = Exchange.from_httpx(request, response, text=text[:2000], elapsed=limit, **self._shown(sending))
        raise ConformanceFailure(
            "HTTP-TIMEOUT",
            f"{request.method} {request.url.raw_path.decode()}: the answer did not end within {limit:g} s",
            expected="a complete answer within the request timeout",
            actual=f"{response.status_code}, a body still coming after {limit:g} s",
            exchange=self._record(exchange),
        )

    def stream(
        self,
        method: str,
        path: str,
        *,
        seconds: float,
        max_events: int = sse.STREAM_MAX_EVENTS,
        max_bytes: int = sse.STREAM_MAX_BYTES,
        until: Callable[[list[sse.SseEvent]], bool] | None = None,
        opened: Callable[[Exchange], None] | None = None,
        unread_if: Callable[[Exchange], bool] | None = None,
        **sending: Unpack[Sending],
    ) -> Streamed:
        """Send one request and read its (event-stream) answer, bounded: ``seconds`` from now, at most
        ``max_events`` events and ``max_bytes`` bytes, or until ``until(events so far)`` holds.

        ``opened`` is called with the answer's status and headers (an Exchange with no body yet) before
        the body is read, e.g. to start a run the open stream must deliver. ``unread_if``, called with the
        same, leaves the body unread when it holds (an answer whose status alone decides the test: a stream
        that should have been a 404 need not be read until its bound). No answer, or a connection broken
        mid-stream, is judged as what was read (status 0: nothing): a stream never raises.
        """
        started = time.monotonic()
        request = self._build(method, path, httpx.Timeout(self.timeout, read=seconds), sending)
        shown = self._shown(sending)
        try:
            response = self.http.send(request, stream=True)
        except httpx.TransportError:
            waited = time.monotonic() - started
            exchange = Exchange.from_httpx(request, None, text="(no answer)", elapsed=waited, **shown)
            return Streamed(self._record(exchange), [], False)
        try:
            head = Exchange.from_httpx(request, response, text="", **shown) if opened or unread_if else None
            if opened is not None:
                opened(head)
            if unread_if is not None and unread_if(head):
                found = sse.StreamRead()
            else:
                found = sse.read(
                    response, deadline=started + seconds, max_events=max_events, max_bytes=max_bytes, until=until
                )
        finally:
            response.close()
        text = found.body.decode("utf-8", "replace")
        exchange = Exchange.from_httpx(request, response, text=text, elapsed=time.monotonic() - started, **shown)
        return Streamed(self._record(exchange), found.events, found.ended)

    def _build(self, method: str, path: str, timeout: float | httpx.Timeout | None, sending: Sending) -> httpx.Request:
        kwargs: dict[str, Any] = {"params": sending.get("params"), "headers": sending.get("headers")}
        if sending.get("json_body") is not None:
            kwargs["json"] = sending["json_body"]
        elif sending.get("content") is not None:
            kwargs["content"] = sending["content"]
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.http.build_request(method, path, **kwargs)

    def _shown(self, sending: Sending) -> dict[str, Any]:
        return {"secret_headers": self.secret_headers, "shown_headers": sending.get("headers") or {}}

    def _record(self, exchange: Exchange) -> Exchange:
        self.exchanges.append(exchange)
        return exchange

    def _unanswered(
        self, request: httpx.Request, sending: Sending, exc: httpx.TransportError, timeout: float | None
    ) -> NoReturn:
        """Record the request that got no answer and raise the target's failure."""
        shown_path = request.url.raw_path.decode()
        what = "timeout" if isinstance(exc, httpx.TimeoutException) else "no answer"
        exchange = self._record(Exchange.from_httpx(request, None, text=f"({what})", **self._shown(sending)))
        if isinstance(exc, httpx.TimeoutException):
            waited = timeout or self.timeout
            raise ConformanceFailure(
                "HTTP-TIMEOUT",
                f"{request.method} {shown_path}: the target did not answer within {waited:g} s",
                expected="an answer within the request timeout",
                actual="no answer",
                exchange=exchange,
            ) from None
        raise ConformanceFailure(
            "HTTP-TRANSPORT",
            f"{request.method} {shown_path}: the connection failed ({type(exc).__name__})",
            expected="an HTTP answer",
            actual=str(exc) or type(exc).__name__,
            exchange=exchange,
        ) from None

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Exchange:
        return self.request("POST", path, json_body=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Exchange:
        return self.request("PATCH", path, json_body=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)


# --------------------------------------------------------------------------------------- connections
UNANSWERED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
OPENED = "connection.connect_tcp.started"  # httpcore's trace event when a request opens its connection
ANSWERED = "http11.receive_response_headers.complete"
MAX_RESENDS = 20  # httpx's default number of kept-alive connections: each failed resend closes one


class _Attempt:
    """What httpcore's ``trace`` request extension (public, documented by httpx) reports of one attempt."""

    def __init__(self, outer: Callable[[str, dict], Any] | None) -> None:
        self.outer = outer
        self.events: set[str] = set()

    def __call__(self, name: str, info: dict) -> None:
        self.events.add(name)
        if self.outer is not None:
            self.outer(name, info)

    def unanswered_on_a_kept_connection(self, exc: Exception) -> bool:
        """The request went out on a connection an earlier request had opened, and that connection ended
        (closed or reset, never a timeout) before the response's status line and headers came."""
        if OPENED in self.events or ANSWERED in self.events:
            return False
        if isinstance(exc, httpx.RemoteProtocolError):
            # h11 says this only when the connection closed before a response began; any other protocol
            # error means bytes came that were not HTTP: an answer, and a wrong one.
            return "without sending a response" in str(exc)
        return isinstance(exc, httpx.ReadError | httpx.WriteError)


def _nothing() -> None:
    pass


class ClosingBody(httpx.SyncByteStream):
    """A response body that also calls ``before`` and ``after`` closing it (read to its end or abandoned)."""

    def __init__(self, stream: Any, *, before: Callable[[], Any] | None = None, after: Callable[[], Any] | None = None):
        self.stream = stream
        self.before = before or _nothing
        self.after = after or _nothing

    def __iter__(self):
        yield from self.stream

    def close(self) -> None:
        try:
            self.before()
        finally:
            try:
                if hasattr(self.stream, "close"):
                    self.stream.close()
            finally:
                self.after()


class KeptAliveTransport(httpx.BaseTransport):
    """httpx's transport, with the two rules a client needs against a server that closes kept-alive
    connections without saying so (Aegra closes one after a 500; any server may close one it held idle
    just as the next request goes out on it).

    1. **A request the server never answered because its kept-alive connection was gone is sent again.**
       httpx does not say whether a request was sent on a pooled connection, but httpcore reports every
       step of a request to the callback in the request's ``trace`` extension, and opening a connection
       ("connection.connect_tcp") is one of those steps: no such event means the request went out on a
       connection an earlier request had opened. When such a request fails with the connection closed or
       reset (``ReadError``, ``WriteError``, or h11's "Server disconnected without sending a response",
       never a timeout) before the response's status line and headers were complete, the server gave no
       answer at all, and the request is sent again. httpcore has then closed and removed that connection,
       so each resend takes another pooled connection or opens a fresh one; a request that fails on a
       connection opened for it is never resent: that is the target's failure (HTTP-TRANSPORT). Only a
       body httpx holds in memory can be sent again (every request of the suite's).
    2. **A 5xx answer drops its connection.** A server that failed may close the connection right after
       its answer; the next request must not be the one to find out. The response extension
       ``network_stream`` (public too) is closed when the body is, so the pool opens a fresh connection.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        outer = request.extensions.get("trace")
        try:
            for resends in range(MAX_RESENDS + 1):
                attempt = _Attempt(outer)
                request.extensions["trace"] = attempt
                try:
                    response = self.inner.handle_request(request)
                    break
                except UNANSWERED as exc:
                    resendable = isinstance(request.stream, httpx.ByteStream) and resends < MAX_RESENDS
                    if not (resendable and attempt.unanswered_on_a_kept_connection(exc)):
                        raise
        finally:
            if outer is None:
                request.extensions.pop("trace", None)
            else:
                request.extensions["trace"] = outer
        network_stream = response.extensions.get("network_stream")
        if response.status_code >= 500 and network_stream is not None:
            # Closed before httpcore puts the connection back in its pool: a closed socket is a connection
            # httpcore finds expired (it reads as at its end), so it drops it and the next request opens one.
            response.stream = ClosingBody(response.stream, before=network_stream.close)
        return response

    def close(self) -> None:
        self.inner.close()


def make_http(
    base_url: str, *, api_key: str | None, headers: tuple[str, ...], timeout: float
) -> tuple[httpx.Client, tuple[str, ...]]:
    """The shared httpx client and the names of the headers that must never be shown."""
    sent: dict[str, str] = {}
    secret_names: list[str] = []
    if api_key:
        sent["x-api-key"] = api_key
        secret_names.append("x-api-key")
    for header in headers:
        name, value = header.split(":", 1)
        sent[name.strip()] = value.strip()
        secret_names.append(name.strip())
    # Idle connections are dropped after 2 s, before the 5 s keep-alive timeout of common servers
    # (uvicorn, Node), and the transport resends a request a closing connection never answered.
    limits = httpx.Limits(keepalive_expiry=2.0)
    http = httpx.Client(
        base_url=base_url.rstrip("/"),
        headers=sent,
        timeout=httpx.Timeout(timeout),
        limits=limits,
        transport=KeptAliveTransport(httpx.HTTPTransport(limits=limits)),
        follow_redirects=False,
    )
    return http, tuple(secret_names)

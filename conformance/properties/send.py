"""Sending one generated case through the session's client, and reading its answer within bounds.

Its own module because the wire is where the suite departs from schemathesis: requests go through the
session's httpx client, so they carry the configured headers, count in the report's operation matrix,
and an event stream is read for a bounded time (event streams never end); the answer then becomes a
``schemathesis.Response`` for the checks. A case that gets no answer is a ``Sent`` with an error, never an
exception, so no case raises inside Hypothesis.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.contract import sse
from conformance.contract.client import Exchange, read_bounded
from conformance.properties.schema import STREAM_MEDIA

# requests' defaults and schemathesis' random case id: httpx sends its own defaults, and a random header
# would make equal seeds send different requests.
DROPPED_HEADERS = {"x-schemathesis-testcaseid", "user-agent", "accept-encoding", "connection", "content-length"}
STREAM_MAX_BYTES = 256 * 1024
STREAM_MAX_EVENTS = 2_000  # within a window of a second at most: the bytes bound comes first


@dataclass
class Sent:
    exchange: Exchange
    response: Any  # schemathesis.Response, or None when nothing came back
    cut_short: bool = False
    error: str | None = None  # HTTP-TIMEOUT / HTTP-TRANSPORT


def send(http: httpx.Client, case: Any, secret_headers: tuple[str, ...], window: float) -> Sent | None:
    """Send ``case`` with the session's client; read an event stream for ``window`` seconds at most.

    Returns None for a case httpx cannot put on the wire (a header value it refuses, say): that is a
    property of the generated data, not of the target.
    """
    import requests
    import schemathesis

    kwargs = case.as_transport_kwargs()
    generated = {k.lower() for k in (case.headers or {})}
    headers = {
        k: str(v)
        for k, v in kwargs.get("headers", {}).items()
        if k.lower() not in DROPPED_HEADERS and (k.lower() != "accept" or "accept" in generated)
    }
    content = kwargs.get("data")
    try:
        if "json" in kwargs:
            content = json.dumps(kwargs["json"], ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        if isinstance(content, str):
            content = content.encode("utf-8")
        request = http.build_request(
            kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, content=content
        )
    except (ValueError, TypeError, UnicodeError, httpx.InvalidURL):
        return None
    shown = {k: v for k, v in headers.items() if k.lower() not in {s.lower() for s in secret_headers}}
    # The generated headers are shown (secrets stay placeholders) and the body is reproduced byte for byte.
    evidence: dict[str, Any] = {"secret_headers": secret_headers, "shown_headers": shown, "raw_body": True}
    started = time.monotonic()
    cut = False
    try:
        # A kept-alive connection the server closed without answering is the transport's business: the
        # request goes out again on a fresh one (conformance/contract/client.py, KeptAliveTransport).
        response = http.send(request, stream=True)
    except httpx.LocalProtocolError:
        return None
    except httpx.TimeoutException:
        return Sent(Exchange.from_httpx(request, None, text="(timeout)", **evidence), None, error="HTTP-TIMEOUT")
    except httpx.TransportError as exc:
        unanswered = Exchange.from_httpx(request, None, text=f"(no answer: {type(exc).__name__})", **evidence)
        return Sent(unanswered, None, error="HTTP-TRANSPORT")
    try:
        if STREAM_MEDIA in response.headers.get("content-type", ""):
            deadline = time.monotonic() + window
            read = sse.read(response, deadline=deadline, max_events=STREAM_MAX_EVENTS, max_bytes=STREAM_MAX_BYTES)
            if read.error is not None:
                raise read.error
            body, cut = read.body, not read.ended
        else:
            body, ended = read_bounded(response, started + window + (http.timeout.read or 30.0))
            if not ended:
                cut_off = Exchange.from_httpx(request, response, text="(a body still coming)", **evidence)
                return Sent(cut_off, None, error="HTTP-TIMEOUT")
    except httpx.TimeoutException:
        cut_off = Exchange.from_httpx(request, None, text="(timeout while reading the body)", **evidence)
        return Sent(cut_off, None, error="HTTP-TIMEOUT")
    except httpx.TransportError as exc:
        cut_off = Exchange.from_httpx(request, None, text=f"(body cut off: {type(exc).__name__})", **evidence)
        return Sent(cut_off, None, error="HTTP-TRANSPORT")
    finally:
        response.close()
    text = body.decode(response.encoding or "utf-8", "replace")
    exchange = Exchange.from_httpx(request, response, text=text, elapsed=time.monotonic() - started, **evidence)
    grouped: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        grouped.setdefault(name.lower(), []).append(value)
    prepared = requests.Request(request.method, exchange.url, headers=shown, data=content).prepare()
    checked = schemathesis.Response(
        status_code=response.status_code,
        headers=grouped,
        content=body,
        request=prepared,
        elapsed=exchange.elapsed,
        verify=True,
        message=response.reason_phrase,
        http_version=response.http_version.replace("HTTP/", ""),
        encoding=response.encoding,
        stream_cut_short=cut,
    )
    return Sent(exchange, checked, cut_short=cut)

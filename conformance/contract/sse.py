"""Server-sent events: the one parser and the one bounded reader of every event stream the suite reads.

An event stream may never end (a thread's stream stays open; a faulty server may hold any stream open),
so a read is always bounded three ways: by a deadline, by a number of events and by a number of bytes.
Whatever stops it, the reader returns what it read and says whether the stream ended by itself; a
hanging target costs the bound, never the suite.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

STREAM_MAX_EVENTS = 400
STREAM_MAX_BYTES = 2_000_000
EVENT_STREAM = "text/event-stream"
_LINE_END = re.compile(r"\r\n|\r|\n")


class SseEvent(dict):
    """One server-sent event: ``event`` (its name), ``data`` (parsed JSON, or the raw text), ``id``."""

    @property
    def name(self) -> str:
        return self.get("event") or "message"

    @property
    def data(self) -> Any:
        return self.get("data")


class SseParser:
    """Turns the bytes of an event stream, fed as they arrive, into events (the WHATWG framing: fields up
    to a blank line, ``:`` comments skipped; an event cut off by the end of the stream is dropped)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""  # the start of a line whose end has not arrived yet
        self._fields: dict[str, list[str]] = {}

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """The events completed by ``chunk``."""
        text = self._pending + self._decoder.decode(chunk)
        # A trailing "\r" may be the first half of "\r\n": keep it until the next chunk says.
        cut = len(text) - 1 if text.endswith("\r") else len(text)
        lines = _LINE_END.split(text[:cut])
        self._pending = lines.pop() + text[cut:]
        events: list[SseEvent] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> SseEvent | None:
        if line == "":
            fields, self._fields = self._fields, {}
            if "data" not in fields and "event" not in fields:
                return None
            raw = "\n".join(fields.get("data", []))
            try:
                data: Any = json.loads(raw) if raw else None
            except ValueError:
                data = raw
            event = SseEvent(event=(fields.get("event") or [""])[-1], data=data)
            if "id" in fields:
                event["id"] = fields["id"][-1]
            return event
        if line.startswith(":"):
            return None  # a comment (heartbeat)
        name, _, value = line.partition(":")
        self._fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
        return None


@dataclass
class StreamRead:
    """What one bounded read took from a response body."""

    body: bytes = b""
    events: list[SseEvent] = field(default_factory=list)  # parsed only when the answer is an event stream
    ended: bool = False  # the server ended the body; False: a bound, ``until`` or an error stopped the read
    error: httpx.TransportError | None = None  # the connection failed mid-body (a timeout is a bound, not this)


def read(
    response: httpx.Response,
    *,
    deadline: float,
    max_events: int = STREAM_MAX_EVENTS,
    max_bytes: int = STREAM_MAX_BYTES,
    until: Callable[[list[SseEvent]], bool] | None = None,
) -> StreamRead:
    """Read ``response``'s body (opened with ``stream=True``) until it ends, ``deadline`` (a
    ``time.monotonic()`` value) passes, ``max_events`` events or ``max_bytes`` bytes are in, or
    ``until(events so far)`` holds. The caller closes the response.

    httpcore takes the read timeout when the body is first iterated, so it is set to the time left: a
    quiet stream waits until the deadline at most, and a target that trickles bytes stops at the first
    chunk after it.
    """
    timeout = dict(response.request.extensions.get("timeout") or {})
    timeout["read"] = max(deadline - time.monotonic(), 0.01)
    response.request.extensions["timeout"] = timeout
    parser = SseParser() if EVENT_STREAM in response.headers.get("content-type", "") else None
    found = StreamRead()
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if parser is not None:
                found.events += parser.feed(chunk)
            if (
                size >= max_bytes
                or len(found.events) >= max_events
                or time.monotonic() >= deadline
                or (until is not None and until(found.events))
            ):
                break
        else:
            found.ended = True
    except httpx.TimeoutException:
        pass  # the deadline came while the stream was quiet: a bound, not a failure
    except httpx.TransportError as exc:
        found.error = exc
    found.body = b"".join(chunks)
    del found.events[max_events:]
    return found

"""Recording every request and answer of a run, for ``conformance spec gate`` (``--record-exchanges``).

Why: the spec gate must say what a new upstream document does to a certification, and the honest
evidence is what the suite really sent and received. A recorded run answers "would the reference's answers
still validate against the new contract?" (each answer replayed through the contract) and "which tests send
this field, this query parameter, this enum value; which receive this response field?" (read off the
recorded requests and bodies), which reading the tests' source cannot: a flow method called ``search`` is
three different operations, and the property layer's generated requests exist only at run time.

Requests are seen at httpx's transport (the Recorder in outcomes.py patches it), so the suite's client,
the official SDK and the property layer all count. The answer's body is teed as the client reads it (a
stream is recorded as far as the test read it), so nothing about how a test reads changes. Headers are
never kept; secrets in bodies are replaced as in every report. Each exchange is written once, with every
test it counts for (a fixture's requests count for each test that used the fixture, as operations do).
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from conformance.contract import sse

MAX_BODY_BYTES = 256 * 1024  # larger answers are recorded without their body
MAX_PER_OWNER = 400  # exchanges kept per test or fixture (the property layer sends thousands)
FILE_NAME = "exchanges.jsonl.gz"


def _json_or_none(raw: bytes) -> tuple[bool, Any]:
    try:
        return True, json.loads(raw)
    except ValueError:
        return False, None


def entry(request: httpx.Request, status: int, content_type: str, body: bytes, complete: bool) -> dict[str, Any]:
    """One exchange as the gate reads it: no headers; a JSON body parsed, an event stream as its events."""
    content = request.content if isinstance(request.stream, httpx.ByteStream) else b""
    record: dict[str, Any] = {
        "method": request.method,
        "path": request.url.path,
        "query": [[k, v] for k, v in request.url.params.multi_items()],
        "status": status,
        "content_type": content_type,
    }
    if content:
        parsed, value = _json_or_none(content)
        if parsed:
            record["request"] = value
    media = content_type.split(";", 1)[0].strip().lower()
    if not complete or len(body) >= MAX_BODY_BYTES:
        record["truncated"] = True  # read in part (a stream the test stopped reading) or too large to keep
    if media == "text/event-stream":  # the events read, a cut-off last one dropped
        parser = sse.SseParser()
        record["events"] = [
            {"event": e.name, "data": e.data} for e in parser.feed(body + (b"\n\n" if complete else b""))
        ]
    elif "json" in media and not record.get("truncated"):
        parsed, value = _json_or_none(body)
        if parsed:
            record["body"] = value
    return record


class _Tee(httpx.SyncByteStream):
    """The answer's byte stream, unchanged for the reader, copied (bounded) for the record."""

    def __init__(self, inner: Any, done: Callable[[bytes, bool], None]) -> None:
        self.inner = inner
        self.done = done
        self.chunks: list[bytes] = []
        self.size = 0
        self.finished = False
        self.reported = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if self.size < MAX_BODY_BYTES:
                self.chunks.append(chunk)
            self.size += len(chunk)
            yield chunk
        self.finished = True

    def close(self) -> None:
        try:
            close = getattr(self.inner, "close", None)
            if close is not None:
                close()
        finally:
            if not self.reported:
                self.reported = True
                self.done(b"".join(self.chunks), self.finished)


class ExchangeLog:
    """Exchanges per owner (a test's node id or a fixture's key) and, at the end, one file."""

    def __init__(self, scrub: Callable[[Any], Any], prefix: str = "") -> None:
        self.scrub = scrub
        self.prefix = prefix or f"{os.getpid()}-"
        self.counter = itertools.count()
        self.by_owner: dict[Any, list[str]] = {}
        self.payloads: dict[str, dict[str, Any]] = {}
        self.sent: set[str] = set()

    def watch(self, request: httpx.Request, response: httpx.Response, owners: list[Any]) -> None:
        """Tee ``response``'s body; the exchange is kept for ``owners`` once the body is closed."""
        owners = [o for o in owners if len(self.by_owner.setdefault(o, [])) < MAX_PER_OWNER]
        if not owners:
            return
        status, content_type = response.status_code, response.headers.get("content-type", "")

        def done(body: bytes, complete: bool) -> None:
            key = f"{self.prefix}{next(self.counter)}"
            self.payloads[key] = self.scrub(entry(request, status, content_type, body, complete))
            for owner in owners:
                self.by_owner.setdefault(owner, []).append(key)

        response.stream = _Tee(response.stream, done)

    def take(self, owners: list[Any]) -> str:
        """What a test's report carries: the keys of its exchanges, and those not carried before, as one JSON
        text (xdist's wire format cannot carry the huge integers the property layer generates)."""
        keys = list(dict.fromkeys(k for o in owners for k in self.by_owner.get(o, [])))
        fresh = [k for k in keys if k not in self.sent]
        self.sent.update(fresh)
        return json.dumps({"keys": keys, "new": {k: self.payloads.pop(k) for k in fresh if k in self.payloads}})


class ExchangeFile:
    """The controller's side: what the tests' reports carried, written as gzipped JSON lines."""

    def __init__(self) -> None:
        self.payloads: dict[str, dict[str, Any]] = {}
        self.tests: dict[str, list[str]] = {}

    def add(self, nodeid: str, text: str) -> None:
        carried = json.loads(text)
        self.payloads.update(carried.get("new") or {})
        for key in carried.get("keys") or ():
            tests = self.tests.setdefault(key, [])
            if nodeid not in tests:
                tests.append(nodeid)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as handle:
            for key in sorted(self.payloads, key=lambda k: (self.tests.get(k, [""])[0], k)):
                if key in self.tests:
                    line = {"tests": sorted(self.tests[key]), **self.payloads[key]}
                    handle.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
        return path


def read(path: Path) -> list[dict[str, Any]]:
    """The exchanges of a recorded run (``--record-exchanges``), plain or gzipped JSON lines."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return [
        json.loads(line) for line in raw.decode("utf-8").split("\n") if line.strip()
    ]  # not splitlines: U+2028 is text

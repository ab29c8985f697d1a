"""A cap on the requests the suite has in flight against the target, all workers together.

A certification may run against a small shared server; ``--max-in-flight`` (default 8) bounds what the
suite asks of it at once. Each of N xdist workers gets an equal share (``max_in_flight // N``), so the
total never exceeds the setting; a share below what one test needs at once (a stream held open while it
sends another request: 2) is refused at start with one line. A request counts from the moment it is
sent until its body is read or its stream closed, whichever client sends it (the suite's own, the
official SDK's): the cap sits on httpx's transport, like the recorder of conformance/plugin/outcomes.py.
A request that cannot get a slot within the request timeout fails as a transport error naming the cap,
never hangs.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from conformance.contract.client import ClosingBody

PER_TEST = 2  # requests one test may need at once: a stream it holds open plus one more


class CapError(ValueError):
    """The cap cannot serve this many workers."""


def share(max_in_flight: int, workers: int) -> int:
    """The slots of one process; refuses a cap too small for ``workers`` workers to run a test each."""
    slots = max_in_flight // max(1, workers)
    if slots < PER_TEST:
        raise CapError(
            f"max_in_flight {max_in_flight} leaves {slots} request(s) per worker with {workers} worker(s); "
            f"a test needs {PER_TEST}: raise --max-in-flight to {PER_TEST * workers} or use fewer workers"
        )
    return slots


class InFlightCap:
    """Installed once per process on httpx's transport, for requests to the target's host and port."""

    def __init__(self, target_url: str, slots: int, wait_seconds: float) -> None:
        base = httpx.URL(target_url)
        self.address = (base.host, base.port)
        self.slots = slots
        self.wait_seconds = wait_seconds
        self.semaphore = threading.BoundedSemaphore(slots)
        self.original: Any = None
        self.patched: Any = None

    def install(self) -> None:
        original = self.original = httpx.HTTPTransport.handle_request
        cap = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            if (request.url.host, request.url.port) != cap.address:
                return original(transport, request)
            if not cap.semaphore.acquire(timeout=cap.wait_seconds):
                raise httpx.PoolTimeout(
                    f"no request slot within {cap.wait_seconds:g} s: the suite already has {cap.slots} request(s) "
                    "in flight (--max-in-flight)",
                    request=request,
                )
            once = threading.Lock()

            def release() -> None:
                if once.acquire(blocking=False):  # the first close gives the slot back, later ones do nothing
                    cap.semaphore.release()

            try:
                response = original(transport, request)
            except BaseException:
                release()
                raise
            response.stream = ClosingBody(response.stream, after=release)  # the slot comes back with the body
            return response

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
        self.patched = handle_request

    def uninstall(self) -> None:
        if self.patched is not None and httpx.HTTPTransport.handle_request is self.patched:
            httpx.HTTPTransport.handle_request = self.original  # type: ignore[method-assign]

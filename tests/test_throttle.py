"""--max-in-flight caps what the suite asks of a target at once, and says so when a request cannot wait.

A loopback server that holds every request until told to answer counts how many it has at once; the
cap (conformance/plugin/throttle.py) sits on httpx's transport, as in a certification.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from conformance.plugin import throttle


class HoldingServer:
    """Answers each request only once ``release`` is set; records the most requests it held at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.now = self.most = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with server.lock:
                    server.now += 1
                    server.most = max(server.most, server.now)
                server.release.wait(timeout=20)
                with server.lock:
                    server.now -= 1  # before the answer goes out, so the client's next request finds it down
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.http.shutdown()
        self.http.server_close()


def _until(condition, seconds: float = 5.0) -> None:
    """Poll ``condition`` every 50 ms until it holds or ``seconds`` pass (the assertions then say why)."""
    pause = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        pause.wait(0.05)


@pytest.fixture
def server():
    running = HoldingServer()
    yield running
    running.close()


def test_no_more_requests_than_the_cap_are_in_flight(server):
    cap = throttle.InFlightCap(server.url, slots=2, wait_seconds=20)
    cap.install()
    try:
        with httpx.Client(base_url=server.url, timeout=20) as client:
            threads = [threading.Thread(target=client.get, args=("/ok",)) for _ in range(5)]
            for thread in threads:
                thread.start()
            _until(lambda: server.most >= 2)  # the server holds what the cap lets through
            server.release.set()
            for thread in threads:
                thread.join(timeout=20)
    finally:
        cap.uninstall()
    assert server.most == 2, f"the server held {server.most} requests at once under a cap of 2"


def test_a_request_that_gets_no_slot_fails_naming_the_cap(server):
    cap = throttle.InFlightCap(server.url, slots=2, wait_seconds=0.5)
    cap.install()
    try:
        with httpx.Client(base_url=server.url, timeout=20) as client:
            held = [threading.Thread(target=client.get, args=("/ok",)) for _ in range(2)]
            for thread in held:
                thread.start()
            _until(lambda: server.now == 2)
            with pytest.raises(httpx.PoolTimeout, match="--max-in-flight"):
                client.get("/ok")
            server.release.set()
            for thread in held:
                thread.join(timeout=20)
    finally:
        cap.uninstall()


def test_workers_share_the_cap_and_a_too_small_share_is_refused():
    assert throttle.share(8, 1) == 8
    assert throttle.share(8, 4) == 2
    with pytest.raises(throttle.CapError, match="raise --max-in-flight to 8"):
        throttle.share(6, 4)

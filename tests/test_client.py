"""The suite's HTTP client (conformance/contract/client.py) against a real loopback server.

The server closes kept-alive connections without saying so, as Aegra does after a 500: the request that
finds such a connection gone must not fail for it (it is sent again on a fresh one), a 5xx answer must
not leave its connection to the next request, and a connection that breaks on a fresh connection is
still the target's failure. Streams are read within their bounds, whatever the server does.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from conformance.contract.client import ApiClient, make_http
from conformance.contract.failures import ConformanceFailure

HOLD = threading.Event()  # set at the end of the module, so a handler holding a stream open finishes


class ClosingServer:
    """Answers like a server that closes connections without saying so, and logs what it saw.

    ``/fail`` answers 500 and ``/ok-then-close`` answers 200, both kept alive, and then the next request on
    that connection is read and the connection closed without an answer. ``/drop`` is never answered
    (its connection is closed). ``/events`` streams three events and ends; ``/events-forever`` streams one
    and holds the stream open. Any other path answers 200 with what was sent and how.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.log: list[tuple[int, str, str]] = []  # (connection number, path, "answered" | "dropped")
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with server.lock:
                    server.connections += 1
                    self.number = server.connections
                self.drop_next = False

            def log_message(self, *args: Any) -> None:
                pass

            def _note(self, path: str, what: str) -> None:
                with server.lock:
                    server.log.append((self.number, path, what))

            def handle_one_request(self) -> None:
                if not self.drop_next:
                    super().handle_one_request()
                    return
                line = self.rfile.readline(65537)  # the next request arrived: close without answering
                if line:
                    self._note(line.split()[1].decode(), "dropped")
                self.close_connection = True

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                sent = self.rfile.read(length) if length else b""
                if self.path == "/drop":
                    self._note(self.path, "dropped")
                    self.close_connection = True
                    return
                if self.path.startswith("/events"):
                    self._stream()
                    return
                status = 500 if self.path == "/fail" else 200
                body = json.dumps({"body": sent.decode(), "accept": self.headers.get("accept")}).encode()
                self._note(self.path, "answered")  # before the answer, so the client finds it in the log
                self.drop_next = self.path in ("/fail", "/ok-then-close")
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-location", "/runs/r1")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                if self.path == "/events-trickle":  # a comment line every 0.1 s: no read ever times out
                    deadline = time.monotonic() + 30
                    while not HOLD.is_set() and time.monotonic() < deadline:
                        try:
                            self.wfile.write(b": ping\r\n\r\n")
                            self.wfile.flush()
                        except OSError:
                            break
                        time.sleep(0.1)
                    self.close_connection = True
                    return
                count = 3 if self.path == "/events" else 1
                for number in range(count):
                    self.wfile.write(f'event: values\r\nid: {number}\r\ndata: {{"n": {number}}}\r\n\r\n'.encode())
                    self.wfile.flush()
                self._note(self.path, "answered")
                if self.path == "/events-forever":
                    HOLD.wait(30)
                self.close_connection = True

            do_GET = do_POST = _serve

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server():
    running = ClosingServer()
    yield running
    running.close()


@pytest.fixture
def client(server):
    http, secrets = make_http(server.url, api_key="SECRET-KEY", headers=(), timeout=10)
    yield ApiClient(http, secrets)
    http.close()


@pytest.fixture(scope="module", autouse=True)
def _release_held_streams():
    yield
    HOLD.set()


def test_after_a_500_the_next_request_opens_a_fresh_connection(server, client):
    """The Aegra case: a 500, then the server closes that connection once the next request arrives."""
    assert client.get("/fail").status == 500
    assert client.get("/next").status == 200
    assert server.log == [(1, "/fail", "answered"), (2, "/next", "answered")], server.log


def test_a_request_a_closing_kept_alive_connection_never_answered_is_sent_again(server, client):
    assert client.get("/ok-then-close").status == 200
    answer = client.post("/again", json={"a": 1})
    assert answer.status == 200 and answer.json()["body"] == '{"a":1}', answer.text  # the body went again
    assert server.log == [(1, "/ok-then-close", "answered"), (1, "/again", "dropped"), (2, "/again", "answered")]


def test_a_connection_broken_on_a_fresh_connection_is_the_targets_failure(server, client):
    with pytest.raises(ConformanceFailure) as caught:
        client.get("/drop")
    assert caught.value.rule == "HTTP-TRANSPORT", caught.value
    assert caught.value.exchange.curl().startswith("curl -s -X GET"), caught.value.exchange.curl()
    assert server.log == [(1, "/drop", "dropped")], "a request that failed on a fresh connection was sent again"


def test_a_request_never_answered_on_a_kept_connection_is_sent_once_more_only(server, client):
    """Sent again on a fresh connection, and refused there too: the target's failure, not an endless retry."""
    client.get("/ok")
    with pytest.raises(ConformanceFailure, match="the connection failed"):
        client.get("/drop")
    assert server.log == [(1, "/ok", "answered"), (1, "/drop", "dropped"), (2, "/drop", "dropped")], server.log


def test_request_headers_are_shown_unless_secret_and_response_headers_kept(server, client):
    exchange = client.post("/mcp", json={"id": 1}, headers={"accept": "application/json", "x-api-key": "OTHER"})
    assert exchange.json()["accept"] == "application/json"
    assert exchange.headers["content-location"] == "/runs/r1" and exchange.headers["content-type"] == "application/json"
    curl = exchange.curl()
    assert "-H 'accept: application/json'" in curl and "x-api-key: <redacted>" in curl, curl
    assert "SECRET-KEY" not in curl and "OTHER" not in curl, curl
    assert client.get("/plain").json()["accept"] == "*/*", "a request's own headers leaked into the next request"


def test_a_stream_is_read_to_its_end(client):
    exchange, events, ended = client.stream("GET", "/events", seconds=5)
    assert ended and exchange.status == 200 and exchange.content_type == "text/event-stream"
    assert [(e.name, e.get("id"), e.data) for e in events] == [("values", str(n), {"n": n}) for n in range(3)]


def test_a_stream_that_never_ends_stops_at_its_bounds(client):
    started = time.monotonic()
    exchange, events, ended = client.stream("GET", "/events-forever", seconds=0.5)
    assert time.monotonic() - started < 3, "the read went past its deadline"
    assert not ended and [e.data for e in events] == [{"n": 0}] and exchange.status == 200
    _, events, ended = client.stream("GET", "/events", seconds=5, max_events=2)
    assert not ended and len(events) == 2
    _, events, ended = client.stream("GET", "/events", seconds=5, until=lambda seen: bool(seen))
    assert not ended and events and events[0].data == {"n": 0}


def test_an_answer_whose_body_never_ends_is_the_targets_timeout(client):
    """A plain request answered by a body that keeps coming (bytes every 0.1 s, so no single read times
    out) is bounded as a whole: HTTP-TIMEOUT after the request's timeout, never a hang."""
    started = time.monotonic()
    with pytest.raises(ConformanceFailure) as raised:
        client.request("GET", "/events-trickle", timeout=1)
    assert time.monotonic() - started < 5, "the body read went past the request's timeout"
    assert raised.value.rule == "HTTP-TIMEOUT" and "did not end within 1 s" in raised.value.message
    assert raised.value.exchange is not None and raised.value.exchange.status == 200


def test_a_stream_with_no_answer_is_judged_not_raised(server, client):
    exchange, events, ended = client.stream("GET", "/drop", seconds=5)
    assert (exchange.status, events, ended, exchange.text) == (0, [], False, "(no answer)")

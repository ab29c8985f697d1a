"""The fault kit: what a fault is, and hooks to build one from, for the catalogue modules.

A fault is one wrong behaviour a real server could have, injected by the proxy (tests/faultproxy.py) in
front of the reference. Each API area has its faults in a module of its own, tests/faults_<area>.py,
defining ``FAULTS``; tests/faults.py collects them all. A hook more than one of them uses lives here.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.faultproxy import Req, Resp, ResponseHook

HANG = threading.Event()  # set when the self-test session ends, so hung handlers finish


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    catches: tuple[str, ...]
    rule: str
    on_request: Callable[[Req], Resp | None] | None = None
    on_response: Callable[[Req, Resp], None] | None = None
    options: tuple[str, ...] = ()
    # What the proxy stands in front of: "reference" (the plain one, as --target-url) or "auth" (the
    # reference with the fixture auth, as --auth-url, tests/faults_auth.py; the target is the plain one).
    upstream: str = "reference"


# ------------------------------------------------------------------------------------------- helpers
def is_thread_search(req: Req) -> bool:
    return req.is_("POST", "/threads/search") and isinstance(req.body, dict)


def search_request(change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if is_thread_search(req):
            change(req.body)

    return hook


def drop(field: str) -> Callable[[Req], None]:
    return search_request(lambda body: body.pop(field, None))


def json_response(method: str, pattern: str, change: Callable[[Any], Any], statuses=(200,)):
    def hook(req: Req, resp: Resp) -> None:
        if req.is_(method, pattern) and resp.status in statuses and resp.json is not None:
            changed = change(copy.deepcopy(resp.json))
            resp.json = changed

    return hook


def each(change: Callable[[dict], None]) -> Callable[[Any], Any]:
    """Apply ``change`` to a dict, or to each dict of a list."""

    def apply(value: Any) -> Any:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                change(item)
        return value

    return apply


def set_key(key: str, value: Any, when: Callable[[dict], bool] = lambda d: True):
    def change(item: dict) -> None:
        if when(item):
            item[key] = value

    return each(change)


def swap_status(method: str, pattern: str, old: int, new: int, body: Any = None):
    def hook(req: Req, resp: Resp) -> None:
        if req.is_(method, pattern) and resp.status == old:
            resp.status = new
            if body is not None:
                resp.json = body

    return hook


def status_shown(old: str, new: str, where=("GET /threads/*",)):
    hooks = [json_response(*w.split(" ", 1), set_key("status", new, lambda d: d.get("status") == old)) for w in where]

    def hook(req: Req, resp: Resp) -> None:
        for h in hooks:
            h(req, resp)

    return hook


def hang(method: str, pattern: str) -> Callable[[Req], Resp | None]:
    def hook(req: Req) -> Resp | None:
        if req.is_(method, pattern):
            HANG.wait(120)
            return Resp(504, {"content-type": "text/plain"}, b"gave up")
        return None

    return hook


def join_early(req: Req) -> Resp | None:
    """Answer join at once with the run's current state instead of waiting for the run."""
    if req.is_("GET", "/threads/*/runs/*/join"):
        return Resp(200, {"content-type": "application/json"}, b'{"messages": []}')
    return None


def together(name: str, *faults: Fault) -> Fault:
    """Several faults on one server at once: each request meets every fault's hooks, in order (the first
    answer a request hook makes is the answer); the catches and rules are all of theirs."""
    requests = [f.on_request for f in faults if f.on_request is not None]
    responses = [f.on_response for f in faults if f.on_response is not None]

    def on_request(req: Req) -> Resp | None:
        for hook in requests:
            answer = hook(req)
            if answer is not None:
                return answer
        return None

    def on_response(req: Req, resp: Resp) -> None:
        for hook in responses:
            hook(req, resp)

    catches = tuple(dict.fromkeys(c for f in faults for c in f.catches))
    return Fault(name, "; ".join(f.description for f in faults), catches, faults[0].rule, on_request, on_response)


def misdated(*where: str, field: str = "created_at"):
    """A shape fault: ``field`` of every object answered at ``where`` ("POST /runs/crons", ...) is a number,
    not the string the document says."""
    hooks = [json_response(*w.split(" ", 1), set_key(field, 20261204, lambda d: field in d)) for w in where]

    def hook(req: Req, resp: Resp) -> None:
        for each_hook in hooks:
            each_hook(req, resp)

    return hook


def limit_from_the_end(
    method: str,
    pattern: str,
    *,
    default: int,
    fetch: int,
    items: Callable[[Any], Any] = lambda body: body,
    rewrap: Callable[[Any, list], Any] = lambda body, kept: kept,
) -> tuple[Callable[[Req], None], Callable[[Req, Resp], None]]:
    """A search whose limit is taken from the far end of its listing: asked for N items (``default`` when no
    limit is sent, no offset), it answers as many, in the listing's order, but the last N of up to ``fetch``.
    ``items`` finds the list in an answer and ``rewrap`` puts the kept ones back."""
    wanted: dict[int, int] = {}

    def on_request(req: Req) -> None:
        body = req.body
        if req.is_(method, pattern) and isinstance(body, dict) and not body.get("offset"):
            limit = body.get("limit", default)
            if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < fetch:
                wanted[id(req)] = limit
                body["limit"] = fetch

    def on_response(req: Req, resp: Resp) -> None:
        limit = wanted.pop(id(req), None)
        found = items(resp.json) if limit is not None and resp.status == 200 and resp.json is not None else None
        if isinstance(found, list):
            resp.json = rewrap(resp.json, found[-limit:])

    return on_request, on_response


# --------------------------- rewrites the threads, thread state, history and assistants faults share
def all_of(*hooks: Callable) -> Callable:
    """One hook that runs several (request hooks stop at the first that answers)."""

    def hook(*args):
        for h in hooks:
            answer = h(*args)
            if answer is not None:
                return answer
        return None

    return hook


def change_body(method: str, pattern: str, change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern) and isinstance(req.body, dict):
            change(req.body)

    return hook


def pop_keys(method: str, pattern: str, *keys: str) -> Callable[[Req], None]:
    return change_body(method, pattern, lambda body: [body.pop(k, None) for k in keys])


def pop_query(method: str, pattern: str, key: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern):
            req.query.pop(key, None)

    return hook


def answer_with(method: str, pattern: str, status: int, body, content_type: str = "application/json"):
    """Answer the request without forwarding it (the server ignores it)."""

    def hook(req: Req) -> Resp | None:
        if req.is_(method, pattern):
            payload = body(req) if callable(body) else body
            content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            return Resp(status, {"content-type": content_type}, content)
        return None

    return hook


def swaps(old: int, new: int, *where: str, body=None) -> Callable:
    return all_of(*(swap_status(*w.split(" ", 1), old, new, body) for w in where))


def reroute(method: str, pattern: str, new_method: str, new_path: Callable[[Req], str]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern):
            req.method, req.path = new_method, new_path(req)
            if new_method == "GET":
                req.body, req.raw = None, b""

    return hook


def segment(req: Req, index: int) -> str:
    return req.path.strip("/").split("/")[index]


def reversed_value(value):
    return list(reversed(value)) if isinstance(value, list) else value


def do_nothing_raises(body: dict) -> None:
    if body.get("if_exists") == "do_nothing":
        body["if_exists"] = "raise"


# -------------------------------------------------------------------- rewrites the runs faults share
def error_as_values(body: Any) -> Any:
    return {"messages": []} if isinstance(body, dict) and "__error__" in body else body


def drop_last_message(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("messages"), list) and body["messages"]:
        body["messages"] = body["messages"][:-1]
    return body


def drop_body_field(method: str, pattern: str, name: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_(method, pattern) and isinstance(req.body, dict):
            req.body.pop(name, None)

    return hook


def bad_body_accepted_on(*paths: str) -> ResponseHook:
    """A body the server refused (422) on one of ``paths`` is answered as if a run had been created."""

    def hook(req: Req, resp: Resp) -> None:
        if any(req.is_("POST", p) for p in paths) and resp.status == 422:
            resp.status = 200
            resp.json = {"run_id": "00000000-0000-4000-8000-000000000000", "status": "pending"}

    return hook


# --- event streams: rewrite each event as it passes ------------------------------------------------
EventChange = Callable[[str, Any], list[tuple[str, Any]]]  # (name, data) -> the events to send instead


class RewrittenStream:
    """Stands in for the upstream response of an event stream: the proxy relays what iter_raw yields."""

    def __init__(self, upstream: Any, change: EventChange, hang_at_end: bool = False) -> None:
        self.upstream, self.change, self.hang_at_end = upstream, change, hang_at_end

    def iter_raw(self):
        buffer = b""
        for chunk in self.upstream.iter_raw():
            buffer += chunk.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                yield from self._rewrite(block.decode())
        if buffer.strip():
            yield from self._rewrite(buffer.decode())
        if self.hang_at_end:
            HANG.wait(60)

    def _rewrite(self, block: str):
        name, data_lines, others = "", [], []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].strip())
            elif line:
                others.append(line)
        try:
            data = json.loads("\n".join(data_lines)) if data_lines else None
        except ValueError:
            yield (block + "\n\n").encode()
            return
        for new_name, new_data in self.change(name, data):
            lines = [*others, f"event: {new_name}", f"data: {json.dumps(new_data)}"]
            yield ("\n".join(lines) + "\n\n").encode()

    def close(self) -> None:
        self.upstream.close()


def stream_events(method: str, pattern: str, change: EventChange, hang_at_end: bool = False):
    def hook(req: Req, resp: Resp) -> None:
        if req.is_(method, pattern) and resp.stream is not None:
            resp.stream = RewrittenStream(resp.stream, change, hang_at_end)  # type: ignore[assignment]

    return hook


def run_stream(change: EventChange, hang_at_end: bool = False):
    return stream_events("POST", "/threads/*/runs/stream", change, hang_at_end)


def drop_event(name: str) -> EventChange:
    return lambda n, d: [] if n == name else [(n, d)]


# -------------------------------------------------------------------- JSON-RPC answers (A2A and MCP)
def rpc_result(change: Callable[[dict], Any], method: str | None = None, path: str = "/a2a/*"):
    def hook(req: Req, resp: Resp) -> None:
        body = req.body if isinstance(req.body, dict) else {}
        if req.is_("POST", path) and (method is None or body.get("method") == method) and isinstance(resp.json, dict):
            answer = dict(resp.json)
            if isinstance(answer.get("result"), dict):
                answer["result"] = change(dict(answer["result"]))
                resp.json = answer

    return hook


# ------------------------------------ a server without the fixture graphs (tests/test_robustness.py)
def no_graphs(req: Req) -> Resp | None:
    if req.is_("POST", "/assistants/search"):
        return Resp(200, {"content-type": "application/json"}, b"[]")
    return None

"""The fault kit: what a fault is, and hooks to build one from, for the catalogue modules.

A fault is one wrong behaviour a real server could have, injected by the proxy (tests/faultproxy.py) in
front of the reference. The seed catalogue is tests/faults.py; each API area adds its faults in a
module of its own, tests/faults_<area>.py, defining ``FAULTS``; tests/faults.py collects them all.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.faultproxy import Req, Resp

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
def _search(req: Req) -> bool:
    return req.is_("POST", "/threads/search") and isinstance(req.body, dict)


def search_request(change: Callable[[dict], None]) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if _search(req):
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

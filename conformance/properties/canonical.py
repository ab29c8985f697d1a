"""One canonical, valid request per operation, on the session's real resources: is the operation there at all?

Generated requests alone cannot tell a missing endpoint from a strict one: a server that answers 404 to
every request of ``POST /runs`` answers a *documented* status each time, so the generated cases pass. A
canonical request is what a client of the guides sends (a run on the ``agent`` graph, a search by the
session's tag, a state read at the checkpoint the session made), so a correct server answers it with a
documented 2xx. An operation whose canonical request gets anything else fails OPERATION-AVAILABLE, with
the exchange as a curl line. Operations whose document lists no 2xx at all (``GET /mcp/`` documents only
405) have nothing to prove here and are left to the generated cases.

Everything a canonical request creates carries the session's tag or lives under its store namespace,
and destructive requests get a victim of their own, as in :mod:`conformance.properties.world`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.contract.client import Exchange, read_bounded
from conformance.properties.world import NEVER_SOON, World, own_config

RULE = "OPERATION-AVAILABLE"
STREAM_WINDOW = 2.0  # seconds: only the status line and headers of an event stream are needed


@dataclass
class Request:
    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    before: list[tuple[str, str, Any]] = field(default_factory=list)  # set-up requests (method, path, body)


def _human(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "human", "content": text}]}


def _run_body(world: World, text: str = "canonical") -> dict[str, Any]:
    return {"assistant_id": world.ids["assistant_id"], "input": _human(text), "metadata": dict(world.tag)}


def _victim_thread(world: World) -> str:
    return world._victim("thread")["thread_id"]


def _victim_run(world: World) -> tuple[str, str]:
    found = world._victim("run")
    return found["thread_id"], found["run_id"]


def _store_item(world: World) -> tuple[list[str], str]:
    return [*world.namespace, "canonical"], f"item-{uuid.uuid4().hex[:8]}"


def _store_put(world: World) -> Request:
    namespace, key = _store_item(world)
    return Request("PUT", "/store/items", {"namespace": namespace, "key": key, "value": {"canonical": True}})


def _store_delete(world: World) -> Request:
    namespace, key = _store_item(world)
    put = ("PUT", "/store/items", {"namespace": namespace, "key": key, "value": {"canonical": True}})
    return Request("DELETE", "/store/items", {"namespace": namespace, "key": key}, before=[put])


def _store_get(world: World) -> Request:
    namespace, key = _store_item(world)
    put = ("PUT", "/store/items", {"namespace": namespace, "key": key, "value": {"canonical": True}})
    return Request("GET", "/store/items", params={"namespace": ".".join(namespace), "key": key}, before=[put])


def _jsonrpc(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": "1", "method": method, "params": params}


A2A_MESSAGE = {"message": {"role": "user", "parts": [{"kind": "text", "text": "hello"}], "messageId": "conformance"}}
MCP_INITIALIZE = {
    "protocolVersion": "2025-03-26",
    "capabilities": {},
    "clientInfo": {"name": "langgraph-conformance", "version": "0"},
}
RPC_ACCEPT = {"Accept": "application/json, text/event-stream"}

# label -> request builder. Ids: world.ids (assistant_id, thread_id with a finished run, run_id, cron_id,
# checkpoint_id); ``subgraphs`` is the default assistant of the ``interrupt`` graph (a subgraph "review").
CANONICAL: dict[str, Callable[[World, dict[str, str]], Request]] = {
    "POST /assistants": lambda w, g: Request(
        "POST",
        "/assistants",
        {"graph_id": "agent", "metadata": dict(w.tag), "name": "conformance canonical", "config": own_config()},
    ),
    "POST /assistants/search": lambda w, g: Request("POST", "/assistants/search", {"metadata": dict(w.tag)}),
    "POST /assistants/count": lambda w, g: Request("POST", "/assistants/count", {"metadata": dict(w.tag)}),
    "GET /assistants/{assistant_id}": lambda w, g: Request("GET", f"/assistants/{w.ids['assistant_id']}"),
    "DELETE /assistants/{assistant_id}": lambda w, g: Request(
        "DELETE", f"/assistants/{w._victim('assistant')['assistant_id']}"
    ),
    "PATCH /assistants/{assistant_id}": lambda w, g: Request(
        "PATCH", f"/assistants/{w.ids['assistant_id']}", {"metadata": dict(w.tag)}
    ),
    "GET /assistants/{assistant_id}/graph": lambda w, g: Request("GET", f"/assistants/{w.ids['assistant_id']}/graph"),
    "GET /assistants/{assistant_id}/subgraphs": lambda w, g: Request("GET", f"/assistants/{g['interrupt']}/subgraphs"),
    "GET /assistants/{assistant_id}/subgraphs/{namespace}": lambda w, g: Request(
        "GET", f"/assistants/{g['interrupt']}/subgraphs/review"
    ),
    "GET /assistants/{assistant_id}/schemas": lambda w, g: Request(
        "GET", f"/assistants/{w.ids['assistant_id']}/schemas"
    ),
    "POST /assistants/{assistant_id}/versions": lambda w, g: Request(
        "POST", f"/assistants/{w.ids['assistant_id']}/versions", {}
    ),
    "POST /assistants/{assistant_id}/latest": lambda w, g: Request(
        "POST", f"/assistants/{w.ids['assistant_id']}/latest", {"version": 1}
    ),
    "POST /threads": lambda w, g: Request("POST", "/threads", {"metadata": dict(w.tag)}),
    "POST /threads/search": lambda w, g: Request("POST", "/threads/search", {"metadata": dict(w.tag), "limit": 10}),
    "POST /threads/count": lambda w, g: Request("POST", "/threads/count", {"metadata": dict(w.tag)}),
    "POST /threads/prune": lambda w, g: Request(
        "POST", "/threads/prune", {"thread_ids": [_victim_thread(w)], "strategy": "delete"}
    ),
    "GET /threads/{thread_id}/storage": lambda w, g: Request("GET", f"/threads/{w.ids['thread_id']}/storage"),
    "GET /threads/{thread_id}/state": lambda w, g: Request("GET", f"/threads/{w.ids['thread_id']}/state"),
    "POST /threads/{thread_id}/state": lambda w, g: Request(
        "POST", f"/threads/{w.ids['thread_id']}/state", {"values": {"answer": "canonical"}}
    ),
    "GET /threads/{thread_id}/state/{checkpoint_id}": lambda w, g: Request(
        "GET", f"/threads/{w.ids['thread_id']}/state/{w.ids['checkpoint_id']}"
    ),
    "POST /threads/{thread_id}/state/checkpoint": lambda w, g: Request(
        "POST",
        f"/threads/{w.ids['thread_id']}/state/checkpoint",
        {"checkpoint": {"checkpoint_id": w.ids["checkpoint_id"]}},
    ),
    "GET /threads/{thread_id}/history": lambda w, g: Request("GET", f"/threads/{w.ids['thread_id']}/history"),
    "POST /threads/{thread_id}/history": lambda w, g: Request(
        "POST", f"/threads/{w.ids['thread_id']}/history", {"limit": 2}
    ),
    "POST /threads/{thread_id}/copy": lambda w, g: Request("POST", f"/threads/{w.ids['thread_id']}/copy", {}),
    "GET /threads/{thread_id}": lambda w, g: Request("GET", f"/threads/{w.ids['thread_id']}"),
    "DELETE /threads/{thread_id}": lambda w, g: Request("DELETE", f"/threads/{_victim_thread(w)}"),
    "PATCH /threads/{thread_id}": lambda w, g: Request(
        "PATCH", f"/threads/{w.ids['thread_id']}", {"metadata": dict(w.tag)}
    ),
    "GET /threads/{thread_id}/stream": lambda w, g: Request("GET", f"/threads/{w.ids['thread_id']}/stream"),
    "POST /threads/{thread_id}/stream/events": lambda w, g: Request(
        "POST", f"/threads/{w.ids['thread_id']}/stream/events", {"channels": ["values"]}
    ),
    "GET /threads/{thread_id}/runs": lambda w, g: Request("GET", f"/threads/{w.ids['thread_id']}/runs"),
    "POST /threads/{thread_id}/runs": lambda w, g: Request("POST", f"/threads/{_victim_thread(w)}/runs", _run_body(w)),
    "POST /threads/{thread_id}/runs/crons": lambda w, g: Request(
        "POST",
        f"/threads/{_victim_thread(w)}/runs/crons",
        {**_run_body(w), "schedule": NEVER_SOON},
    ),
    "POST /threads/{thread_id}/runs/stream": lambda w, g: Request(
        "POST", f"/threads/{_victim_thread(w)}/runs/stream", _run_body(w)
    ),
    "POST /threads/{thread_id}/runs/wait": lambda w, g: Request(
        "POST", f"/threads/{_victim_thread(w)}/runs/wait", _run_body(w)
    ),
    "GET /threads/{thread_id}/runs/{run_id}": lambda w, g: Request(
        "GET", f"/threads/{w.ids['thread_id']}/runs/{w.ids['run_id']}"
    ),
    "DELETE /threads/{thread_id}/runs/{run_id}": lambda w, g: _delete_finished_run(w),
    "GET /threads/{thread_id}/runs/{run_id}/join": lambda w, g: Request(
        "GET", f"/threads/{w.ids['thread_id']}/runs/{w.ids['run_id']}/join"
    ),
    "GET /threads/{thread_id}/runs/{run_id}/stream": lambda w, g: Request(
        "GET", f"/threads/{w.ids['thread_id']}/runs/{w.ids['run_id']}/stream"
    ),
    "POST /threads/{thread_id}/runs/{run_id}/cancel": lambda w, g: Request(
        "POST", "/threads/{}/runs/{}/cancel".format(*_victim_run(w))
    ),
    "POST /runs/crons": lambda w, g: Request("POST", "/runs/crons", {**_run_body(w), "schedule": NEVER_SOON}),
    "POST /runs/crons/search": lambda w, g: Request(
        "POST", "/runs/crons/search", {"assistant_id": w.ids["assistant_id"]}
    ),
    "POST /runs/crons/count": lambda w, g: Request(
        "POST", "/runs/crons/count", {"assistant_id": w.ids["assistant_id"]}
    ),
    "POST /runs/stream": lambda w, g: Request("POST", "/runs/stream", _run_body(w)),
    "POST /runs/cancel": lambda w, g: _cancel_by_ids(w),
    "POST /runs/wait": lambda w, g: Request("POST", "/runs/wait", _run_body(w)),
    "POST /runs": lambda w, g: Request("POST", "/runs", _run_body(w)),
    "POST /runs/batch": lambda w, g: Request("POST", "/runs/batch", [_run_body(w, "one"), _run_body(w, "two")]),
    "GET /runs/crons/{cron_id}": lambda w, g: Request("GET", f"/runs/crons/{w.ids['cron_id']}"),
    "PATCH /runs/crons/{cron_id}": lambda w, g: Request(
        "PATCH", f"/runs/crons/{w.ids['cron_id']}", {"schedule": NEVER_SOON}
    ),
    "DELETE /runs/crons/{cron_id}": lambda w, g: Request("DELETE", f"/runs/crons/{w._victim('cron')['cron_id']}"),
    "PUT /store/items": lambda w, g: _store_put(w),
    "DELETE /store/items": lambda w, g: _store_delete(w),
    "GET /store/items": lambda w, g: _store_get(w),
    "POST /store/items/search": lambda w, g: Request(
        "POST", "/store/items/search", {"namespace_prefix": w.namespace, "limit": 10}
    ),
    "POST /store/namespaces": lambda w, g: Request("POST", "/store/namespaces", {"prefix": w.namespace}),
    "POST /a2a/{assistant_id}": lambda w, g: Request(
        "POST", f"/a2a/{g['agent']}", _jsonrpc("message/send", A2A_MESSAGE), headers=dict(RPC_ACCEPT)
    ),
    "POST /mcp/": lambda w, g: Request(
        "POST", "/mcp/", _jsonrpc("initialize", MCP_INITIALIZE), headers=dict(RPC_ACCEPT)
    ),
    "GET /info": lambda w, g: Request("GET", "/info"),
    "GET /metrics": lambda w, g: Request("GET", "/metrics"),
    "GET /docs": lambda w, g: Request("GET", "/docs"),
    "GET /ok": lambda w, g: Request("GET", "/ok"),
    "POST /threads/{thread_id}/commands": lambda w, g: Request(
        "POST", f"/threads/{w.ids['thread_id']}/commands", {"id": 1, "method": "agent.getTree", "params": {}}
    ),
}


def _delete_finished_run(world: World) -> Request:
    """A run is deleted once it is finished: wait for a victim run of its own, then delete it."""
    thread_id, run_id = _victim_run(world)
    join = ("GET", f"/threads/{thread_id}/runs/{run_id}/join", None)
    return Request("DELETE", f"/threads/{thread_id}/runs/{run_id}", before=[join])


def _cancel_by_ids(world: World) -> Request:
    thread_id, run_id = _victim_run(world)
    return Request("POST", "/runs/cancel", {"thread_id": thread_id, "run_ids": [run_id]})


def documented_success(operation: dict[str, Any]) -> list[int]:
    return sorted(int(s) for s in operation.get("responses", {}) if str(s).isdigit() and 200 <= int(s) < 300)


def send(http: httpx.Client, request: Request, secret_headers: tuple[str, ...]) -> Exchange:
    """Send ``request`` (its set-up first); event streams are closed once their headers have arrived.

    No answer (to the request or its set-up) is an exchange with status 0 whose text names the error. A
    pooled connection the target closed after an earlier case's error answer is the client's transport's
    business (conformance/contract/client.py): such a request goes out again on a fresh connection.
    """
    built = http.build_request(
        request.method, request.path, json=request.json, params=request.params, headers=request.headers or None
    )
    shown: dict[str, Any] = {"secret_headers": secret_headers, "shown_headers": request.headers}
    try:
        for method, path, body in request.before:
            http.request(method, path, json=body)
        response = http.send(built, stream=True)
        try:
            streaming = response.headers.get("content-type", "").startswith("text/event-stream")
            deadline = time.monotonic() + (http.timeout.read or 30.0)
            body, ended = (b"", True) if streaming else read_bounded(response, deadline)
            text = "(event stream: not read)" if streaming else body.decode("utf-8", "replace")
            text += "" if ended else " (a body still coming: cut)"
        finally:
            response.close()
    except httpx.HTTPError as exc:
        return Exchange.from_httpx(built, None, text=f"({type(exc).__name__})", **shown)
    return Exchange.from_httpx(built, response, text=text, elapsed=0.0, **shown)

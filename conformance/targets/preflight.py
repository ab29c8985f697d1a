"""The target under test: reach it (or start the embedded reference) and check it can be certified.

Everything that makes certification impossible (no answer, answers that are not the Agent Server API,
fixture graphs missing) is found here, once, before any test runs, and reported as one harness error
instead of a hundred failures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.contract.failures import HarnessError
from conformance.graphs import GRAPHS as FIXTURE_GRAPHS
from conformance.targets import reference


@dataclass
class Target:
    url: str
    name: str
    embedded: bool
    info: dict[str, Any] = field(default_factory=dict)
    assistants: dict[str, str] = field(default_factory=dict)  # graph id -> its default assistant id

    @property
    def display_url(self) -> str:
        """The URL without credentials, for reports."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{parts.scheme}://{host}{parts.path}"


def name_from_url(url: str) -> str:
    parts = urlsplit(url)
    raw = f"{parts.hostname or 'target'}-{parts.port}" if parts.port else (parts.hostname or "target")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)


def _describe_transport_error(url: str, exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"the target at {url} did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"the target at {url} is unreachable (connection failed: {exc or 'refused'})"
    return f"the target at {url} failed at the HTTP level ({type(exc).__name__}: {exc})"


NOT_DEPLOYED = (
    "the fixture graphs are not deployed on the target: run `conformance graphs DIR` and start the server from DIR"
)
# How a server says it has no such graph: langgraph-api answers a search by an unknown graph_id with
# 404 {"detail": "Graph 'agent' not found. Expected one of: [...]"}.
GRAPH_NOT_FOUND = re.compile(r"\bgraph\b[^.\n]{0,80}\bnot found\b", re.IGNORECASE)


def _graph_not_found(response: httpx.Response) -> str | None:
    """The server's own words when its answer says a graph is not found (e.g. ``Graph 'agent' not found``)."""
    if response.status_code not in (400, 404, 422):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") or body.get("message") or body.get("error") if isinstance(body, dict) else None
    if not isinstance(detail, str) or not GRAPH_NOT_FOUND.search(detail):
        return None
    return detail if len(detail) <= 160 else detail[:160] + "..."


PAGE = 100
MAX_PAGES = 50  # 5,000 assistants of one graph: beyond that the server is not one a suite can reason about


def _search(http: httpx.Client, url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """One page of POST /assistants/search; anything that is not the Agent Server API is a harness error."""
    try:
        response = http.post("/assistants/search", json=body)
    except httpx.HTTPError as exc:
        raise HarnessError(_describe_transport_error(url, exc)) from None
    if response.status_code in (401, 403):
        raise HarnessError(
            f"the target at {url} refused the suite's credentials "
            f"(POST /assistants/search -> {response.status_code}); check --api-key"
        )
    missing_graph = _graph_not_found(response) if response.status_code != 200 else None
    if missing_graph is not None:
        raise HarnessError(
            f"{NOT_DEPLOYED} (the target at {url} answered POST /assistants/search "
            f"{response.status_code}: {missing_graph})"
        )
    if response.status_code != 200:
        raise HarnessError(
            f"the target at {url} does not look like an Agent Server: "
            f"POST /assistants/search answered {response.status_code} "
            f"({response.headers.get('content-type', 'no content-type')})"
        )
    try:
        found = response.json()
    except ValueError:
        raise HarnessError(
            f"the target at {url} answered POST /assistants/search with a body that is "
            f"not JSON ({response.headers.get('content-type', 'no content-type')}: "
            f"{response.text[:60]!r})"
        ) from None
    if not isinstance(found, list):
        raise HarnessError(
            f"the target at {url} answered POST /assistants/search with "
            f"{type(found).__name__}, not a list of assistants"
        )
    return [a for a in found if isinstance(a, dict)]


def default_assistant(http: httpx.Client, url: str, graph: str) -> str | None:
    """The assistant a run started with ``assistant_id: <graph>`` uses: the one the server made for the graph.

    The server marks it (``metadata.created_by: system``); other clients may have made any number of
    assistants of the same graph, so the marked one is looked up by that marking, paging through every
    result, never taken from "the first page". A server that does not mark it gets the graph's oldest
    assistant (the one made when the graph was deployed).
    """
    for offset in range(0, PAGE * MAX_PAGES, PAGE):
        page = _search(
            http, url, {"graph_id": graph, "metadata": {"created_by": "system"}, "limit": PAGE, "offset": offset}
        )
        marked = [
            a for a in page if a.get("graph_id") == graph and (a.get("metadata") or {}).get("created_by") == "system"
        ]
        if marked:
            return str(marked[0].get("assistant_id"))
        if len(page) < PAGE:
            break
    oldest = _search(http, url, {"graph_id": graph, "limit": 1, "sort_by": "created_at", "sort_order": "asc"})
    match = [a for a in oldest if a.get("graph_id") == graph]
    return str(match[0].get("assistant_id")) if match else None


def preflight(http: httpx.Client, url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Prove the target speaks the API and has the fixture graphs; return its /info and assistants."""
    assistants: dict[str, str] = {}
    missing = []
    for graph in FIXTURE_GRAPHS:
        found = default_assistant(http, url, graph)
        if found is None:
            missing.append(graph)
        else:
            assistants[graph] = found
    if missing:
        raise HarnessError(f"{NOT_DEPLOYED} (the target at {url} has no assistant of {', '.join(missing)})")
    info: dict[str, Any] = {}
    try:
        response = http.get("/info")
        if response.status_code == 200 and "json" in response.headers.get("content-type", ""):
            info = response.json()
    except (httpx.HTTPError, ValueError):
        info = {}
    return info, assistants


def start_embedded(cache: str | None, log) -> tuple[str, reference.RunningReference]:
    running = reference.start(cache, log=log)
    return running.url, running

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


def preflight(http: httpx.Client, url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Prove the target speaks the API and has the fixture graphs; return its /info and assistants."""
    assistants: dict[str, str] = {}
    missing = []
    for graph in FIXTURE_GRAPHS:
        try:
            response = http.post("/assistants/search", json={"graph_id": graph, "limit": 10})
        except httpx.HTTPError as exc:
            raise HarnessError(_describe_transport_error(url, exc)) from None
        if response.status_code in (401, 403):
            raise HarnessError(
                f"the target at {url} refused the suite's credentials "
                f"(POST /assistants/search -> {response.status_code}); check --api-key"
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
        match = [a for a in found if isinstance(a, dict) and a.get("graph_id") == graph]
        if not match:
            missing.append(graph)
            continue
        system = [a for a in match if (a.get("metadata") or {}).get("created_by") == "system"]
        assistants[graph] = str((system or match)[0].get("assistant_id"))
    if missing:
        raise HarnessError(
            f"the target at {url} lacks the fixture graphs {', '.join(missing)}: deploy "
            "conformance/graphs/langgraph.json (see README, 'Certify your own server')"
        )
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

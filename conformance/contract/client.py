"""HTTP to the target: an httpx client that records every exchange and can replay it as curl.

Every request has the configured timeout; a target that does not answer becomes a conformance failure
naming the request, never a hung suite. Secrets (the API key, extra headers) are sent but never shown:
reproductions print them as environment-variable placeholders.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.contract.failures import ConformanceFailure

SECRET_PLACEHOLDER = "<redacted>"


@dataclass
class Exchange:
    """One request and its response, as the report and failure messages show them."""

    method: str
    url: str
    path: str
    request_body: Any
    status: int
    content_type: str
    text: str
    elapsed: float
    secret_headers: tuple[str, ...] = ()
    shown_headers: tuple[tuple[str, str], ...] = ()  # request headers a reproduction needs (e.g. Accept)
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def summary(self) -> str:
        return f"{self.method} {self.path} -> {self.status} ({self.content_type or 'no content-type'})"

    def body_excerpt(self, limit: int = 400) -> str:
        text = self.text.strip().replace("\n", " ")
        return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is the target's failure, not a crash of the suite."""
        if not self._parsed:
            try:
                self._json = json.loads(self.text)
            except ValueError:
                raise ConformanceFailure(
                    "HTTP-JSON",
                    f"{self.method} {self.path}: the answer is not JSON",
                    expected="a JSON body",
                    actual=self.body_excerpt(120) or "(empty body)",
                    exchange=self,
                ) from None
            self._parsed = True
        return self._json

    def curl(self) -> str:
        parts = ["curl", "-s", "-X", self.method, shlex.quote(self.url)]
        for name in self.secret_headers:
            parts += ["-H", shlex.quote(f"{name}: {SECRET_PLACEHOLDER}")]
        for name, value in self.shown_headers:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body is not None:
            parts += [
                "-H",
                "'content-type: application/json'",
                "-d",
                shlex.quote(json.dumps(self.request_body, separators=(",", ":"))),
            ]
        return " ".join(parts)


class ApiClient:
    """A thin recorder over one shared httpx.Client. Each test gets its own recorder."""

    def __init__(self, http: httpx.Client, secret_headers: tuple[str, ...] = ()) -> None:
        self.http = http
        self.secret_headers = secret_headers
        self.exchanges: list[Exchange] = []

    @property
    def timeout(self) -> float:
        return self.http.timeout.read or 0.0

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        kwargs: dict[str, Any] = {"params": params}
        if json_body is not None:
            kwargs["json"] = json_body
        if timeout is not None:
            kwargs["timeout"] = timeout
        request = self.http.build_request(method, path, **kwargs)
        shown_path = request.url.raw_path.decode()
        try:
            response = self.http.send(request)
        except httpx.TimeoutException:
            waited = timeout or self.timeout
            raise ConformanceFailure(
                "HTTP-TIMEOUT",
                f"{method} {shown_path}: the target did not answer within {waited:g} s",
                expected="an answer within the request timeout",
                actual="no answer",
                exchange=self._unanswered(request, json_body, "timeout"),
            ) from None
        except httpx.TransportError as exc:
            raise ConformanceFailure(
                "HTTP-TRANSPORT",
                f"{method} {shown_path}: the connection failed ({type(exc).__name__})",
                expected="an HTTP answer",
                actual=str(exc) or type(exc).__name__,
                exchange=self._unanswered(request, json_body, "no answer"),
            ) from None
        exchange = Exchange(
            method=method,
            url=str(request.url),
            path=shown_path,
            request_body=json_body,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            text=response.text,
            elapsed=response.elapsed.total_seconds(),
            secret_headers=self.secret_headers,
        )
        self.exchanges.append(exchange)
        return exchange

    def _unanswered(self, request: httpx.Request, body: Any, what: str) -> Exchange:
        exchange = Exchange(
            method=request.method,
            url=str(request.url),
            path=request.url.raw_path.decode(),
            request_body=body,
            status=0,
            content_type="",
            text=f"({what})",
            elapsed=0.0,
            secret_headers=self.secret_headers,
        )
        self.exchanges.append(exchange)
        return exchange

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Exchange:
        return self.request("POST", path, json_body=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Exchange:
        return self.request("PATCH", path, json_body=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)


def make_http(
    base_url: str, *, api_key: str | None, headers: tuple[str, ...], timeout: float
) -> tuple[httpx.Client, tuple[str, ...]]:
    """The shared httpx client and the names of the headers that must never be shown."""
    sent: dict[str, str] = {}
    secret_names: list[str] = []
    if api_key:
        sent["x-api-key"] = api_key
        secret_names.append("x-api-key")
    for header in headers:
        name, value = header.split(":", 1)
        sent[name.strip()] = value.strip()
        secret_names.append(name.strip())
    # Idle connections are dropped after 2 s, before the 5 s keep-alive timeout of common servers
    # (uvicorn, Node): reusing one the server is closing would be a false HTTP-TRANSPORT failure.
    http = httpx.Client(
        base_url=base_url.rstrip("/"),
        headers=sent,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(keepalive_expiry=2.0),
        follow_redirects=False,
    )
    return http, tuple(secret_names)

"""Faults of run webhooks, with the tests of conformance/tests/test_webhooks.py that must catch each."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.faultkit import Fault
from tests.faultproxy import Req, Resp

WH = "test_webhooks.py::"


# --- webhooks: the target calls the suite's receiver directly, so these faults change the run bodies, or
# route the target's webhook calls through the proxy and change them there ---------------------------
RUN_CREATION = (
    "/threads/*/runs",
    "/threads/*/runs/wait",
    "/threads/*/runs/stream",
    "/runs",
    "/runs/wait",
    "/runs/stream",
)


RELAY = "/__fault-relay/webhook"


def _run_bodies(req: Req) -> list[dict]:
    if req.is_("POST", "/runs/batch") and isinstance(req.body, list):
        return [b for b in req.body if isinstance(b, dict)]
    if any(req.is_("POST", p) for p in RUN_CREATION) and isinstance(req.body, dict):
        return [req.body]
    return []


def _webhook_dropped(req: Req) -> None:
    for body in _run_bodies(req):
        body.pop("webhook", None)


def _webhook_relayed(change: Callable[[Any], Any]) -> Callable[[Req], Resp | None]:
    """Give the target the proxy's relay as every run's webhook; the relay passes the call on, changed."""

    def hook(req: Req) -> Resp | None:
        if req.is_("POST", RELAY):
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(req.query.get("to", ""), json=change(req.body), timeout=10)
            return Resp(200, {"content-type": "application/json"}, b"{}")
        for body in _run_bodies(req):
            if isinstance(body.get("webhook"), str):
                body["webhook"] = f"{req.base}{RELAY}?{urlencode({'to': body['webhook']})}"
        return None

    return hook


def _reported_running(payload: Any) -> Any:
    return {**payload, "status": "running"} if isinstance(payload, dict) else payload


WEBHOOK_CASES = tuple(
    f"{WH}test_{kind}_run_calls_its_webhook_when_it_finishes[{case}]"
    for kind, case in (
        ("thread", "thread-success"),
        ("thread", "thread-error"),
        ("stateless", "stateless-background"),
        ("stateless", "stateless-wait"),
    )
)


FAULTS: tuple[Fault, ...] = (
    Fault(
        "webhook-dropped",
        "run creation accepts `webhook` and ignores it: the webhook is never called",
        WEBHOOK_CASES,
        "WEBHOOK-CALLED",
        on_request=_webhook_dropped,
        options=("--run-timeout=10",),  # how long the suite waits for a call that never comes
    ),
    Fault(
        "webhook-reports-running",
        "the webhook is called with the run still shown running, not its final status",
        WEBHOOK_CASES,
        "WEBHOOK-RUN",
        on_request=_webhook_relayed(_reported_running),
    ),
)

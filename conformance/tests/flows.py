"""The steps users take, as one object tests call: create a thread, start a run, wait, search.

Each step validates its response against the contract and asserts the behaviour a user relies on, with
a rule id, so a scenario reads like the guide it comes from. Waiting is polling with a deadline (the
run timeout), never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any, NoReturn

from conformance.contract.checks import expect_equal, expect_in, expect_status, expect_true, expect_type
from conformance.contract.client import ApiClient, Exchange
from conformance.contract.document import Contract
from conformance.plugin.session import CertificationSession

TERMINAL_RUN_STATUSES = ("success", "error", "timeout", "interrupted")
RUN_STATUSES = ("pending", "running", *TERMINAL_RUN_STATUSES)
NEW_RUN_STATUSES = ("pending", "running", "success")  # a new echo run: pending, or already further
POLL_INTERVAL = 0.1
FINAL_RUN_STATUS = "a final status (success, error, timeout, interrupted)"


def human(text: str, **extra: Any) -> dict[str, Any]:
    """Run input with one human message, as the guides send it."""
    return {"messages": [{"role": "human", "content": text}], **extra}


class Api:
    def __init__(self, client: ApiClient, contract: Contract, cert: CertificationSession, tag: dict[str, str]) -> None:
        self.client = client
        self.contract = contract
        self.cert = cert
        self.tag = tag
        self.run_timeout: float = cert.settings.run_timeout

    @classmethod
    def for_session(cls, cert: CertificationSession, contract: Contract) -> Api:
        """An Api for a module- or session-scoped fixture: a client of its own on the session's connection
        (its exchanges are the fixture's, not a test's) and a tag of its own."""
        return cls(ApiClient(cert.http, cert.secret_headers), contract, cert, cert.tag())

    # ---------------------------------------------------------------------------------------- threads
    def create_thread(
        self, metadata: dict[str, Any] | None = None, *, thread_id: str | None = None, tag: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"metadata": {**(tag or self.tag), **(metadata or {})}}
        if thread_id:
            body["thread_id"] = thread_id
        exchange = self.client.post("/threads", json=body)
        thread = self.contract.validate(exchange, "POST /threads", status=200, rule="THREADS-CREATE")
        if thread.get("thread_id"):
            self.cert.track_thread(thread["thread_id"])
        no_id = "POST /threads: the new thread has no thread_id"
        expect_type(thread.get("thread_id"), str, rule="THREADS-CREATE", message=no_id, exchange=exchange, stop=True)
        if thread_id:
            not_used = "POST /threads: the thread_id asked for was not used"
            expect_equal(thread["thread_id"], thread_id, rule="THREADS-CREATE", message=not_used, exchange=exchange)
        return thread

    def get_thread(self, thread_id: str) -> tuple[dict[str, Any], Exchange]:
        exchange = self.client.get(f"/threads/{thread_id}")
        thread = self.contract.validate(exchange, "GET /threads/{thread_id}", status=200, rule="THREADS-GET")
        other = "GET /threads/{thread_id} returned another thread"
        expect_equal(thread.get("thread_id"), thread_id, rule="THREADS-GET", message=other, exchange=exchange)
        return thread, exchange

    def search(self, body: dict[str, Any], rule: str = "SEARCH-OK") -> tuple[list[dict[str, Any]], Exchange]:
        exchange = self.client.post("/threads/search", json=body)
        found = self.contract.validate(
            exchange, "POST /threads/search", status=200, rule=rule, selected=body.get("select")
        )
        return found, exchange

    def wait_thread_status(self, thread_id: str, status: str, rule: str) -> dict[str, Any]:
        """Poll GET /threads/{id} until it shows ``status`` or the run timeout passes."""
        seen: list[str] = []
        deadline = time.monotonic() + self.run_timeout
        while True:
            thread, exchange = self.get_thread(thread_id)
            if not seen or seen[-1] != thread.get("status"):
                seen.append(thread.get("status"))
            if thread.get("status") == status:
                return thread
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_INTERVAL)
        never = f"GET /threads/{{thread_id}}: the thread never showed status {status!r} within {self.run_timeout:g} s"
        return self._timed_out(rule, never, status, seen, exchange)

    # ------------------------------------------------------------------------------------------- runs
    def _run_answer(self, exchange: Exchange, operation: str, rule: str, schema: bool) -> dict:
        """The run in an answer. ``schema=False`` is for set-up steps: they need only the status code and
        the fields they read, so that one schema deviation (checked by its own test) does not cascade into
        every test that merely needs a finished run."""
        if schema:
            return self.contract.validate(exchange, operation, status=200, rule=rule)
        not_200 = f"{operation}: answered {exchange.status}, expected 200"
        expect_status(exchange, 200, rule=rule, message=not_200, stop=True)
        run = exchange.json()
        is_run = isinstance(run, dict) and isinstance(run.get("run_id"), str) and "status" in run
        not_run = f"{operation}: the answer is not a run with run_id and status"
        expect_true(is_run, rule=rule, message=not_run, expected="a Run", actual=run, exchange=exchange, stop=True)
        return run

    def start_run(
        self, thread_id: str, graph: str, run_input: Any, *, schema: bool = True, **extra: Any
    ) -> tuple[dict, Exchange]:
        body = {"assistant_id": graph, "input": run_input, **extra}
        exchange = self.client.post(f"/threads/{thread_id}/runs", json=body)
        return self._run_answer(exchange, "POST /threads/{thread_id}/runs", "RUNS-CREATE", schema), exchange

    def get_run(self, thread_id: str, run_id: str, *, schema: bool = True) -> tuple[dict, Exchange]:
        exchange = self.client.get(f"/threads/{thread_id}/runs/{run_id}")
        return self._run_answer(exchange, "GET /threads/{thread_id}/runs/{run_id}", "RUNS-GET", schema), exchange

    def wait_run(
        self,
        thread_id: str,
        run_id: str,
        done: Callable[[dict], bool] = lambda r: r.get("status") in TERMINAL_RUN_STATUSES,
        *,
        schema: bool = True,
    ) -> dict:
        """Poll the run until ``done`` holds; a run stuck short of it fails at the run timeout."""
        seen: list[str] = []
        deadline = time.monotonic() + self.run_timeout
        while True:
            run, exchange = self.get_run(thread_id, run_id, schema=schema)
            status = run.get("status")
            unknown = f"GET /threads/{{thread_id}}/runs/{{run_id}}: unknown run status {status!r}"
            expect_in(status, RUN_STATUSES, rule="RUNS-STATUS-VALUES", message=unknown, exchange=exchange)
            if not seen or seen[-1] != status:
                seen.append(status)
            if done(run):
                return run
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_INTERVAL)
        late = f"the run did not finish within {self.run_timeout:g} s"
        return self._timed_out("RUNS-LIFECYCLE", late, FINAL_RUN_STATUS, seen, exchange)

    @staticmethod
    def _timed_out(rule: str, message: str, expected: str, seen: list[str], exchange: Exchange) -> NoReturn:
        """A wait ran out of time: the test stops here, with the statuses seen on the way as what came."""
        shown = " -> ".join(map(str, seen))
        expect_true(False, rule=rule, message=message, expected=expected, actual=shown, exchange=exchange, stop=True)
        raise AssertionError("unreachable: a check with stop=True raises")

    def cancel_run(self, thread_id: str, run_id: str) -> None:
        """Best effort: stop a run the test no longer needs (used in teardown, never asserted)."""
        with contextlib.suppress(AssertionError):
            self.client.post(
                f"/threads/{thread_id}/runs/{run_id}/cancel", params={"wait": "false", "action": "interrupt"}
            )

    def malformed_id_refused(self, exchange: Exchange, operation: str, rule: str) -> None:
        """An id that is not a UUID (its parameter's format) is refused with a client error the operation
        documents: 422, or its not-found status (``rule``), with an ErrorResponse body. That it is exactly
        422, as the official server answers, is MALFORMED-ID-422 (reference-compatible)."""
        allowed = [int(s) for s in self.contract.operations[operation].get("responses", {}) if s in ("404", "422")]
        expect_status(exchange, allowed or [422], rule=rule, stop=True)
        self.contract.validate(exchange, operation, rule=rule)
        self.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)
        expect_status(exchange, 422, rule="MALFORMED-ID-422")

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())


def expect_jsonrpc(body: Any, request_id: Any, *, operation: str, rule: str, exchange: Exchange) -> bool:
    """A validated answer of a JSON-RPC 2.0 endpoint (A2A, MCP) is the response to ``request_id``: jsonrpc
    "2.0" and the same id. (The caller validates: coverage.py reads the operation at its validate call.)"""
    envelope = isinstance(body, dict) and body.get("jsonrpc") == "2.0" and body.get("id") == request_id
    shown = {k: body.get(k) for k in ("jsonrpc", "id")} if isinstance(body, dict) else body
    wanted = {"jsonrpc": "2.0", "id": request_id}
    other = f"{operation}: not a JSON-RPC 2.0 response to request id {request_id!r}"
    return expect_true(envelope, rule=rule, message=other, expected=wanted, actual=shown, exchange=exchange)


# ------------------------------------------------------------------------------------ runs in depth
def location_ids(exchange: Exchange) -> tuple[str | None, str | None]:
    """(thread_id, run_id) named by an answer's Content-Location, such as "/threads/T/runs/R" or "/runs/R"
    (wait and stream answers name their thread and run only there)."""
    parts = exchange.headers.get("content-location", "").split("?", 1)[0].strip("/").split("/")

    def after(word: str) -> str | None:
        return parts[parts.index(word) + 1] if word in parts[:-1] else None

    return after("threads"), after("runs")


def run_at(position: str) -> Callable[[Callable], Callable]:
    """Mark a test to run first or last in the session (conftest.py moves it), e.g. to make a cron at the
    start and check it at the end, so waiting for its schedule overlaps the rest of the session."""
    if position not in ("first", "last"):
        raise ValueError(position)

    def mark(test: Callable) -> Callable:
        test.conformance_order = position  # type: ignore[attr-defined]
        return test

    return mark

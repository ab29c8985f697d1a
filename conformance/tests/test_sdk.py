"""The seed guides replayed with the official Python client (langgraph-sdk), asserting what they show.

What the suite certifies over raw HTTP must also hold for the client real users call: these tests fail
when the SDK cannot parse an answer, or an answer lacks what the guides read from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import langgraph_sdk  # a dependency of the suite: if it is missing, collection fails loudly, never a silent skip
import pytest

from conformance.contract.checks import expect_equal, expect_ids, expect_in, expect_true
from conformance.contract.client import Exchange
from conformance.contract.failures import ConformanceFailure
from conformance.contract.rules import rule_text
from conformance.graphs import ECHO_PREFIX
from conformance.tests.flows import NEW_RUN_STATUSES
from conformance.tests.values import conversation, last_message

pytestmark = pytest.mark.area("sdk")


@pytest.fixture(scope="module")
def sdk(certification):
    settings = certification.settings
    headers = dict(h.split(":", 1) for h in settings.target_header)
    client = langgraph_sdk.get_sync_client(
        url=certification.target.url,
        api_key=settings.api_key or None,
        headers={k.strip(): v.strip() for k, v in headers.items()},
        timeout=settings.request_timeout,
    )
    secret_names = certification.secret_headers

    def record(response: httpx.Response) -> None:
        """Keep the SDK's last exchange, so a failure can show it and how to reproduce it."""
        response.read()
        LAST[0] = Exchange.from_httpx(response.request, response, secret_headers=secret_names)

    client.http.client.event_hooks["response"].append(record)
    yield client
    client.http.client.close()


LAST: list[Exchange | None] = [None]  # the SDK's last request and response


class Answer(dict):
    """An SDK answer: reading a key the target left out is the target's failure, not a crash of the test."""

    what = "the answer"
    exchange: Exchange | None = None

    def __missing__(self, key: str) -> Any:
        raise ConformanceFailure(
            "SDK-GUIDE",
            f"{self.what} lacks {key!r}",
            expected=key,
            actual=sorted(self),
            exchange=self.exchange,
            rule_text=rule_text("SDK-GUIDE"),
        )


def _wrap(value: Any, what: str) -> Any:
    if isinstance(value, dict):
        answer = Answer({k: _wrap(v, what) for k, v in value.items()})
        answer.what, answer.exchange = what, LAST[0]
        return answer
    if isinstance(value, list):
        return [_wrap(v, what) for v in value]
    return value


def call(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One SDK call; an HTTP error or an answer the SDK cannot read is the target's failure."""
    LAST[0] = None
    try:
        return _wrap(fn(*args, **kwargs), f"{what}: the answer")
    except httpx.HTTPStatusError as exc:
        raise ConformanceFailure(
            "SDK-CALL",
            f"{what} failed: HTTP {exc.response.status_code}",
            expected="a successful call",
            actual=exc.response.text[:300],
            exchange=LAST[0],
            rule_text=rule_text("SDK-CALL"),
        ) from None
    except httpx.TimeoutException:
        raise ConformanceFailure(
            "SDK-CALL",
            f"{what}: no answer within the request timeout",
            expected="an answer",
            actual="timeout",
            exchange=LAST[0],
            rule_text=rule_text("SDK-CALL"),
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConformanceFailure(
            "SDK-CALL",
            f"{what}: the SDK could not read the answer ({type(exc).__name__})",
            expected="an answer the SDK parses",
            actual=str(exc)[:300],
            exchange=LAST[0],
            rule_text=rule_text("SDK-CALL"),
        ) from None


def test_sdk_background_run_guide(sdk, certification, tag):
    """threads.create -> runs.list -> runs.create -> runs.get -> runs.join -> runs.get -> threads.get_state."""
    thread = call("threads.create", sdk.threads.create, metadata=tag)
    certification.track_thread(thread["thread_id"])
    thread_id = thread["thread_id"]
    not_idle = "threads.create: the new thread is not idle"
    expect_equal(thread["status"], "idle", rule="SDK-GUIDE", message=not_idle, exchange=LAST[0])
    fetched = call("threads.get", sdk.threads.get, thread_id)
    # Containment: a server may add metadata keys of its own, but every key sent must come back.
    kept = {k: v for k, v in (fetched.get("metadata") or {}).items() if k in tag}
    got, other = {"thread_id": fetched["thread_id"], "metadata": kept}, "threads.get does not return the thread created"
    expect_equal(got, {"thread_id": thread_id, "metadata": tag}, rule="SDK-GUIDE", message=other, exchange=LAST[0])
    runs = call("runs.list", sdk.runs.list, thread_id)
    expect_equal(runs, [], rule="SDK-GUIDE", message="runs.list: a new thread already has runs", exchange=LAST[0])
    run_input = {"messages": [{"role": "human", "content": "hello sdk"}]}
    run = call("runs.create", sdk.runs.create, thread_id, "agent", input=run_input)
    new = run["thread_id"] == thread_id and run["status"] in NEW_RUN_STATUSES
    not_new, pending = "runs.create: the run is not a new run of this thread", f"pending run of {thread_id}"
    got = {k: run.get(k) for k in ("thread_id", "status")}
    expect_true(new, rule="SDK-GUIDE", message=not_new, expected=pending, actual=got, exchange=LAST[0])
    polled = call("runs.get", sdk.runs.get, thread_id, run["run_id"])
    illegal = "runs.get: illegal first status"
    expect_in(polled["status"], NEW_RUN_STATUSES, rule="SDK-GUIDE", message=illegal, exchange=LAST[0])
    values = call("runs.join", sdk.runs.join, thread_id, run["run_id"])
    last, not_final = last_message(values).get("content"), "runs.join did not return the final values"
    expect_equal(last, f"{ECHO_PREFIX}hello sdk", rule="SDK-GUIDE", message=not_final, exchange=LAST[0])
    final = call("runs.get", sdk.runs.get, thread_id, run["run_id"])
    got = {"status": final["status"], "input": final["kwargs"].get("input")}
    not_done = "runs.get after join: the run is not success with its input"
    expect_equal(got, {"status": "success", "input": run_input}, rule="SDK-GUIDE", message=not_done, exchange=LAST[0])
    state = call("threads.get_state", sdk.threads.get_state, thread_id)
    kinds, lost = conversation(state["values"]), "threads.get_state does not hold the conversation"
    echoed = [("human", "hello sdk"), ("ai", f"{ECHO_PREFIX}hello sdk")]
    expect_equal(kinds, echoed, rule="SDK-GUIDE", message=lost, exchange=LAST[0])
    listed = call("runs.list", sdk.runs.list, thread_id)
    ids, not_exactly = [r["run_id"] for r in listed], "runs.list does not hold exactly the run"
    expect_equal(ids, [run["run_id"]], rule="SDK-GUIDE", message=not_exactly, exchange=LAST[0])


@pytest.mark.parametrize("status", ["idle", "interrupted", "error"])
def test_sdk_search_by_status(sdk, prepared, status):
    """threads.search(status=..., metadata=...) finds exactly the threads in that status."""
    found = call("threads.search", sdk.threads.search, metadata=prepared.tag, status=status, limit=100)
    got = {t["thread_id"]: t["status"] for t in found}
    wrong = f"threads.search(status={status!r}) is wrong"
    expect_ids(got, exactly=prepared.by_status(status), rule="SDK-GUIDE", message=wrong, exchange=LAST[0])


def test_sdk_search_by_metadata(sdk, certification, tag):
    """threads.search(metadata=...) finds the thread with that metadata and not its decoy."""
    match = call("threads.create", sdk.threads.create, metadata={**tag, "colour": "green", "size": 3})
    decoy = call("threads.create", sdk.threads.create, metadata={**tag, "colour": "green", "size": 4})
    for thread in (match, decoy):
        certification.track_thread(thread["thread_id"])
    found = call("threads.search", sdk.threads.search, metadata={**tag, "size": 3})
    ids = [t["thread_id"] for t in found]
    not_exactly = "threads.search(metadata=...) does not find exactly the matching thread"
    expect_equal(ids, [match["thread_id"]], rule="SDK-GUIDE", message=not_exactly, exchange=LAST[0])

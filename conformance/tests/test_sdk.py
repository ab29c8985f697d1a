"""The seed guides replayed with the official Python client (langgraph-sdk), asserting what they show.

What the suite certifies over raw HTTP must also hold for the client real users call: these tests fail
when the SDK cannot parse an answer, or an answer lacks what the guides read from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import langgraph_sdk  # a dependency of the suite: if it is missing, collection fails loudly, never a silent skip
import pytest

from conformance.contract.checks import expect
from conformance.contract.client import Exchange
from conformance.contract.failures import ConformanceFailure
from conformance.contract.rules import rule_text
from conformance.graphs import ECHO_PREFIX

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
        request = response.request
        try:
            body = json.loads(request.content) if request.content else None
        except ValueError:
            body = None
        LAST[0] = Exchange(
            method=request.method,
            url=str(request.url),
            path=request.url.raw_path.decode(),
            request_body=body,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            text=response.text,
            elapsed=0.0,
            secret_headers=secret_names,
        )

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
    expect(
        thread["status"] == "idle",
        "SDK-GUIDE",
        "threads.create: the new thread is not idle",
        expected="idle",
        actual=thread["status"],
        exchange=LAST[0],
    )
    fetched = call("threads.get", sdk.threads.get, thread_id)
    # Containment: a server may add metadata keys of its own, but every key sent must come back.
    kept = {k: v for k, v in (fetched.get("metadata") or {}).items() if k in tag}
    expect(
        fetched["thread_id"] == thread_id and kept == tag,
        "SDK-GUIDE",
        "threads.get does not return the thread created",
        expected={"thread_id": thread_id, "metadata": tag},
        actual={"thread_id": fetched.get("thread_id"), "metadata": fetched.get("metadata")},
        exchange=LAST[0],
    )
    runs = call("runs.list", sdk.runs.list, thread_id)
    expect(
        runs == [], "SDK-GUIDE", "runs.list: a new thread already has runs", expected=[], actual=runs, exchange=LAST[0]
    )
    run_input = {"messages": [{"role": "human", "content": "hello sdk"}]}
    run = call("runs.create", sdk.runs.create, thread_id, "agent", input=run_input)
    expect(
        run["thread_id"] == thread_id and run["status"] in ("pending", "running", "success"),
        "SDK-GUIDE",
        "runs.create: the run is not a new run of this thread",
        expected=f"pending run of {thread_id}",
        actual={"thread_id": run.get("thread_id"), "status": run.get("status")},
        exchange=LAST[0],
    )
    polled = call("runs.get", sdk.runs.get, thread_id, run["run_id"])
    expect(
        polled["status"] in ("pending", "running", "success"),
        "SDK-GUIDE",
        "runs.get: illegal first status",
        expected="pending | running | success",
        actual=polled["status"],
        exchange=LAST[0],
    )
    values = call("runs.join", sdk.runs.join, thread_id, run["run_id"])
    messages = values.get("messages") if isinstance(values, dict) else None
    expect(
        messages and messages[-1].get("content") == f"{ECHO_PREFIX}hello sdk",
        "SDK-GUIDE",
        "runs.join did not return the final values",
        expected="echo: hello sdk last",
        actual=values,
        exchange=LAST[0],
    )
    final = call("runs.get", sdk.runs.get, thread_id, run["run_id"])
    expect(
        final["status"] == "success" and final["kwargs"].get("input") == run_input,
        "SDK-GUIDE",
        "runs.get after join: the run is not success with its input",
        expected="success with the input sent",
        actual={"status": final.get("status"), "input": (final.get("kwargs") or {}).get("input")},
        exchange=LAST[0],
    )
    state = call("threads.get_state", sdk.threads.get_state, thread_id)
    kinds = [(m.get("type"), m.get("content")) for m in state["values"].get("messages", [])]
    expect(
        kinds == [("human", "hello sdk"), ("ai", f"{ECHO_PREFIX}hello sdk")],
        "SDK-GUIDE",
        "threads.get_state does not hold the conversation",
        expected="human, then the echo",
        actual=kinds,
        exchange=LAST[0],
    )
    listed = call("runs.list", sdk.runs.list, thread_id)
    expect(
        [r["run_id"] for r in listed] == [run["run_id"]],
        "SDK-GUIDE",
        "runs.list does not hold exactly the run",
        expected=[run["run_id"]],
        actual=[r.get("run_id") for r in listed],
        exchange=LAST[0],
    )


@pytest.mark.parametrize("status", ["idle", "interrupted", "error"])
def test_sdk_search_by_status(sdk, prepared, status):
    """threads.search(status=..., metadata=...) finds exactly the threads in that status."""
    found = call("threads.search", sdk.threads.search, metadata=prepared.tag, status=status, limit=100)
    got = {t["thread_id"]: t["status"] for t in found}
    expect(
        set(got) == prepared.by_status(status),
        "SDK-GUIDE",
        f"threads.search(status={status!r}) is wrong",
        expected=sorted(prepared.by_status(status)),
        actual=got,
        exchange=LAST[0],
    )


def test_sdk_search_by_metadata(sdk, certification, tag):
    """threads.search(metadata=...) finds the thread with that metadata and not its decoy."""
    match = call("threads.create", sdk.threads.create, metadata={**tag, "colour": "green", "size": 3})
    decoy = call("threads.create", sdk.threads.create, metadata={**tag, "colour": "green", "size": 4})
    for thread in (match, decoy):
        certification.track_thread(thread["thread_id"])
    found = call("threads.search", sdk.threads.search, metadata={**tag, "size": 3})
    expect(
        [t["thread_id"] for t in found] == [match["thread_id"]],
        "SDK-GUIDE",
        "threads.search(metadata=...) does not find exactly the matching thread",
        expected=[match["thread_id"]],
        actual=[t["thread_id"] for t in found],
        exchange=LAST[0],
    )

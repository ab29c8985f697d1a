"""The seed guides' JavaScript snippets replayed with the official JS client (@langchain/langgraph-sdk).

A small Node script (conformance/graphs/js/sdk-replay.mjs) makes the calls the guides make
(threads.create, runs.list/create/get/join, threads.getState, threads.search by status and by
metadata) with the SDK version pinned in conformance/graphs/js/package.json, and prints each result,
each request/response the client exchanged, and the requests it sent (method and path), which go to
the report's operations like the Python clients' requests. The tests assert what the guides show; a failure
carries the SDK's last exchange and a curl line. Node comes from the machine: without node (or with
a JS environment that cannot be installed) this area is one harness error, said once, never a skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.contract.checks import expect_equal, expect_ids, expect_in, expect_true
from conformance.contract.client import Exchange
from conformance.contract.failures import ConformanceFailure, HarnessError
from conformance.contract.rules import rule_text
from conformance.graphs import ECHO_PREFIX
from conformance.plugin.outcomes import recorder_of
from conformance.targets import langgraphjs
from conformance.tests.flows import NEW_RUN_STATUSES
from conformance.tests.values import conversation, last_message

pytestmark = pytest.mark.area("sdk-js")

SCRIPT = langgraphjs.JS_DIR / "sdk-replay.mjs"
SAID: list[str] = []  # the reason the JS client cannot run here, once a test has said it in full


@dataclass
class Replay:
    """What one run of the Node script saw: each call's result, the first failing call, the exchanges."""

    calls: list[dict[str, Any]]
    results: list[Any]
    error: dict[str, Any] | None
    exchanges: list[tuple[int, Exchange]]
    sdk_version: str
    unavailable: str | None = None  # why the JS client could not run: every result is a harness error

    def exchange_of(self, index: int) -> Exchange | None:
        """The last request/response of call ``index`` (or of the last call that sent one before it)."""
        mine = [e for i, e in self.exchanges if i == index]
        if mine:
            return mine[-1]
        earlier = [e for i, e in self.exchanges if i < index]
        return earlier[-1] if earlier else None

    def result(self, index: int) -> Any:
        """Call ``index``'s result; a call that failed is the target's failure, with its exchange."""
        if self.unavailable:
            raise _unavailable(self.unavailable)
        if self.error is not None and self.error["index"] <= index:
            error = self.error
            exchange = self.exchange_of(error["index"])
            status = f"HTTP {error['status']}" if error.get("status") else error.get("name", "Error")
            raise ConformanceFailure(
                "SDK-JS-CALL",
                f"{error['call']} (JS SDK {self.sdk_version}) failed: {status}",
                expected="a successful call whose answer the SDK reads",
                actual=error.get("message"),
                exchange=exchange,
                rule_text=rule_text("SDK-JS-CALL"),
            )
        return self.results[index]


def field(value: Any, key: str, rule: str, what: str, exchange: Exchange | None) -> Any:
    """``value[key]``; an answer that lacks it is the target's failure, not a crash of the test."""
    if isinstance(value, dict) and key in value:
        return value[key]
    raise ConformanceFailure(
        rule,
        f"{what} lacks {key!r}",
        expected=key,
        actual=sorted(value) if isinstance(value, dict) else value,
        exchange=exchange,
        rule_text=rule_text(rule),
    )


def _unavailable(reason: str) -> HarnessError:
    """The area's harness error: the first test says why in full, the others refer to it."""
    if SAID:
        return HarnessError("the JS client cannot run here (the first sdk-js test says why)")
    SAID.append(reason)
    return HarnessError(f"the sdk-js area needs the official JS client and cannot run it: {reason}")


@pytest.fixture(scope="module")
def js_client_dir():
    """A folder holding the replay script beside the installed JS packages (npm ci on first use),
    or the reason (a str) there is none."""
    missing = langgraphjs.node_missing()
    if missing:
        yield missing
        return
    try:
        installed = langgraphjs.ensure_installed()
    except (RuntimeError, OSError) as exc:
        yield f"the JS environment could not be installed: {exc}"
        return
    folder = Path(tempfile.mkdtemp(prefix="conformance-sdkjs-"))
    shutil.copy(SCRIPT, folder / SCRIPT.name)
    (folder / "node_modules").symlink_to(installed / "node_modules", target_is_directory=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def replay(js_client_dir, certification, pytestconfig):
    """``replay(calls)``: run the calls through the JS SDK against the target, in one Node process; the
    requests it sent count for the test or fixture that called it."""
    settings = certification.settings
    recorder = recorder_of(pytestconfig)
    headers = {}
    for header in settings.target_header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    timeout = max(settings.request_timeout, settings.run_timeout)

    def run(calls: list[dict[str, Any]]) -> Replay:
        if isinstance(js_client_dir, str):
            return Replay(calls, [], None, [], "", unavailable=js_client_dir)
        plan = {
            "url": certification.target.url,
            "apiKey": settings.api_key or None,
            "headers": headers,
            "timeoutMs": int(timeout * 1000),
            "calls": calls,
        }
        try:
            done = subprocess.run(
                ["node", str(js_client_dir / SCRIPT.name)],
                input=json.dumps(plan),
                capture_output=True,
                text=True,
                cwd=js_client_dir,
                timeout=timeout * len(calls) + 30,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ConformanceFailure(
                "SDK-JS-CALL",
                f"the JS SDK replay of {[c['call'] for c in calls]} did not finish",
                expected=f"every call answered within {timeout:g} s",
                actual="no answer (the Node process was stopped)",
                rule_text=rule_text("SDK-JS-CALL"),
            ) from None
        try:
            out = json.loads(done.stdout)
        except ValueError:
            tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
            raise HarnessError(
                f"the JS SDK replay script failed (exit {done.returncode}): " + " | ".join(tail)
            ) from None
        if recorder is not None:
            recorder.add((method, path) for method, path in out.get("requests") or ())
        exchanges = [(e["call"], _exchange(e, certification.secret_headers)) for e in out["exchanges"]]
        return Replay(calls, out["results"], out["error"], exchanges, out["sdk_version"])

    return run


def _exchange(recorded: dict[str, Any], secret_headers: tuple[str, ...]) -> Exchange:
    """The exchange the Node script recorded (its method, URL, JSON body, status, content type, text)."""
    request = httpx.Request(recorded["method"], recorded["url"], json=recorded.get("request_body"))
    content_type = recorded.get("content_type") or ""
    response = None
    if recorded.get("status"):
        response = httpx.Response(recorded["status"], headers={"content-type": content_type} if content_type else {})
    return Exchange.from_httpx(
        request, response, secret_headers=secret_headers, text=recorded.get("text") or "", elapsed=0.0
    )


def call(name: str, *args: Any) -> dict[str, Any]:
    return {"call": name, "args": list(args)}


GUIDE_INPUT = {"messages": [{"role": "human", "content": "hello sdk-js"}]}
T = "$0.thread_id"
R = "$3.run_id"
GUIDE = [  # the Background run guide's JavaScript snippets, in order (indices are referred to as $N)
    call("threads.create", {"metadata": "$TAG"}),  # 0
    call("threads.get", T),  # 1
    call("runs.list", T),  # 2
    call("runs.create", T, "agent", {"input": GUIDE_INPUT}),  # 3
    call("runs.get", T, R),  # 4
    call("runs.join", T, R),  # 5
    call("runs.get", T, R),  # 6
    call("threads.getState", T),  # 7
    call("runs.list", T),  # 8
]


@pytest.fixture(scope="module")
def guide(replay, certification):
    """The Background run guide walked once through the JS SDK; the tests below check one step each."""
    tag = certification.tag()
    calls = json.loads(json.dumps(GUIDE).replace('"$TAG"', json.dumps(tag)))
    walked = replay(calls)
    if walked.results and isinstance(walked.results[0], dict) and walked.results[0].get("thread_id"):
        certification.track_thread(walked.results[0]["thread_id"])
    walked.tag = tag  # type: ignore[attr-defined]
    return walked


def test_sdk_js_threads_create_and_get(guide):
    """client.threads.create({metadata}) makes an idle thread that client.threads.get returns with that metadata."""
    thread = guide.result(0)
    status = field(thread, "status", "SDK-JS-THREADS", "threads.create: the thread", guide.exchange_of(0))
    not_idle = "threads.create: the new thread is not idle"
    expect_equal(status, "idle", rule="SDK-JS-THREADS", message=not_idle, exchange=guide.exchange_of(0))
    fetched = guide.result(1)
    kept = {k: v for k, v in (fetched.get("metadata") or {}).items() if k in guide.tag}
    got = {"thread_id": fetched.get("thread_id"), "metadata": kept}
    created = {"thread_id": thread["thread_id"], "metadata": guide.tag}
    other = "threads.get does not return the thread created, with its metadata"
    expect_equal(got, created, rule="SDK-JS-THREADS", message=other, exchange=guide.exchange_of(1))


def test_sdk_js_background_run_guide(guide):
    """runs.list -> runs.create -> runs.get -> runs.join -> runs.get -> runs.list, as the guide shows them."""
    thread_id = guide.result(0)["thread_id"]
    before = guide.result(2)
    has_runs = "runs.list: a new thread already has runs"
    expect_equal(before, [], rule="SDK-JS-RUNS", message=has_runs, exchange=guide.exchange_of(2))
    run = guide.result(3)
    run_id = field(run, "run_id", "SDK-JS-RUNS", "runs.create: the run", guide.exchange_of(3))
    new = run.get("thread_id") == thread_id and run.get("status") in NEW_RUN_STATUSES
    not_new, pending = "runs.create: the run is not a new run of this thread", f"a pending run of {thread_id}"
    got = {k: run.get(k) for k in ("thread_id", "status")}
    expect_true(new, rule="SDK-JS-RUNS", message=not_new, expected=pending, actual=got, exchange=guide.exchange_of(3))
    polled, illegal = guide.result(4), "runs.get: illegal first status"
    polls = guide.exchange_of(4)
    expect_in(polled.get("status"), NEW_RUN_STATUSES, rule="SDK-JS-RUNS", message=illegal, exchange=polls)
    last, not_final = last_message(guide.result(5)).get("content"), "runs.join did not return the final values"
    joined = guide.exchange_of(5)
    expect_equal(last, f"{ECHO_PREFIX}hello sdk-js", rule="SDK-JS-RUNS", message=not_final, exchange=joined)
    final = guide.result(6)
    got = {"status": final.get("status"), "input": (final.get("kwargs") or {}).get("input")}
    not_done = "runs.get after join: the run is not success with its input"
    done = {"status": "success", "input": GUIDE_INPUT}
    expect_equal(got, done, rule="SDK-JS-RUNS", message=not_done, exchange=guide.exchange_of(6))
    ids, not_exactly = [r.get("run_id") for r in guide.result(8)], "runs.list does not hold exactly the run"
    expect_equal(ids, [run_id], rule="SDK-JS-RUNS", message=not_exactly, exchange=guide.exchange_of(8))


def test_sdk_js_get_state_holds_the_conversation(guide):
    """client.threads.getState(threadId) after the run holds the human message, then the echo."""
    state = guide.result(7)
    values = field(state, "values", "SDK-JS-STATE", "threads.getState: the state", guide.exchange_of(7))
    echoed = [("human", "hello sdk-js"), ("ai", f"{ECHO_PREFIX}hello sdk-js")]
    lost = "threads.getState does not hold the conversation"
    expect_equal(conversation(values), echoed, rule="SDK-JS-STATE", message=lost, exchange=guide.exchange_of(7))


STATUSES = ("idle", "interrupted", "error")


@pytest.fixture(scope="module")
def searched(replay, prepared):
    """One search per status, through the JS SDK, scoped to the prepared threads' tag."""
    return replay([call("threads.search", {"metadata": prepared.tag, "status": s, "limit": 100}) for s in STATUSES])


@pytest.mark.parametrize("status", STATUSES)
def test_sdk_js_search_by_status(searched, prepared, status):
    """client.threads.search({status, metadata}) finds exactly the threads in that status."""
    index = STATUSES.index(status)
    found = searched.result(index)
    got = {t.get("thread_id"): t.get("status") for t in found}
    wrong, exchange = f"threads.search({{status: {status!r}}}) is wrong", searched.exchange_of(index)
    expect_ids(got, exactly=prepared.by_status(status), rule="SDK-JS-SEARCH", message=wrong, exchange=exchange)


def test_sdk_js_search_by_metadata(replay, certification):
    """client.threads.search({metadata}) finds the thread with that metadata and not its decoy."""
    tag = certification.tag()
    walked = replay(
        [
            call("threads.create", {"metadata": {**tag, "colour": "green", "size": 3}}),
            call("threads.create", {"metadata": {**tag, "colour": "green", "size": 4}}),
            call("threads.search", {"metadata": {**tag, "size": 3}}),
        ]
    )
    for created in walked.results[:2]:
        if isinstance(created, dict) and created.get("thread_id"):
            certification.track_thread(created["thread_id"])
    match = walked.result(0)
    found = walked.result(2)
    ids = [t.get("thread_id") for t in found]
    not_exactly = "threads.search({metadata}) does not find exactly the matching thread"
    searched = walked.exchange_of(2)
    expect_equal(ids, [match.get("thread_id")], rule="SDK-JS-SEARCH", message=not_exactly, exchange=searched)

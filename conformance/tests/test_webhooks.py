"""Webhooks: a run created with ``webhook`` is followed, when it finishes, by one POST of that run.

The suite's own receiver (conformance/plugin/webhooks.py) takes the calls, one URL per run, so runs never
see each other's calls. All runs start together and their waits overlap. The body is held to the
contract's Run schema (the document gives no schema of its own for the webhook's body; the reference
sends the run with its final status, plus run_started_at, run_ended_at, webhook_sent_at and values).
Where the target cannot reach the receiver (not on loopback, no ``callback_host``), these tests are
unsupported, with the reason; so are they where the target's deployment refuses the receiver's URL by
policy (422 "Webhook host blocked: loopback IP range"): a setting of the deployment, not a failure of the
run's creation, and never a pass (conformance/plugin/webhooks.py, ``refused``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.contract.checks import expect_equal, expect_in, expect_true
from conformance.contract.client import Exchange
from conformance.plugin.webhooks import Call, Hook, WebhookReceiver, refused
from conformance.tests.flows import TERMINAL_RUN_STATUSES, Api, human, location_ids

pytestmark = pytest.mark.area("webhooks")

RUN = "GET /threads/{thread_id}/runs/{run_id}"


@dataclass
class HookedRun:
    """One run created with a webhook, and what came of it."""

    operation: str
    rule: str  # the rule of the creating operation
    graph: str
    expected_status: str
    hook: Hook
    created: Exchange | None = None
    thread_id: str | None = None
    run_id: str | None = None
    calls: list[Call] = field(default_factory=list)
    after: Exchange | None = None  # GET of the run as soon as the webhook came (None: its thread is deleted)


CASES = {  # case -> (operation, rule, graph, final status)
    "thread-success": ("POST /threads/{thread_id}/runs", "RUNS-CREATE", "agent", "success"),
    "thread-error": ("POST /threads/{thread_id}/runs", "RUNS-CREATE", "fail", "error"),
    "stateless-background": ("POST /runs", "STATELESS-RUN", "agent", "success"),
    "stateless-wait": ("POST /runs/wait", "STATELESS-WAIT", "agent", "success"),
}


def _start(api: Api, hooked: HookedRun, case: str) -> None:
    body: dict[str, Any] = {"assistant_id": hooked.graph, "input": human(f"webhook {case}"), "webhook": hooked.hook.url}
    if hooked.operation == "POST /threads/{thread_id}/runs":
        hooked.thread_id = api.create_thread({"case": case})["thread_id"]
        hooked.created = api.client.post(f"/threads/{hooked.thread_id}/runs", json=body)
    elif hooked.operation == "POST /runs":
        hooked.created = api.client.post("/runs", json={**body, "metadata": api.tag, "on_completion": "keep"})
    else:  # POST /runs/wait answers when the run has ended; its temporary thread is then deleted
        hooked.created = api.client.post("/runs/wait", json={**body, "metadata": api.tag})
        hooked.thread_id, hooked.run_id = location_ids(hooked.created)
        return
    run = hooked.created.json() if hooked.created.status == 200 else {}
    if isinstance(run, dict):
        hooked.thread_id = run.get("thread_id") or hooked.thread_id
        hooked.run_id = run.get("run_id")
    if hooked.thread_id:
        api.cert.track_thread(hooked.thread_id)


def _follow(api: Api, hooked: HookedRun, case: str) -> HookedRun:
    _start(api, hooked, case)
    if hooked.created is None or hooked.created.status != 200:
        return hooked
    hooked.calls = hooked.hook.wait(api.run_timeout)
    if hooked.calls and hooked.thread_id and hooked.run_id and hooked.operation != "POST /runs/wait":
        hooked.after = api.client.get(f"/threads/{hooked.thread_id}/runs/{hooked.run_id}")
    return hooked


@pytest.fixture(scope="module")
def hooked_runs(certification, contract, webhook_receiver: WebhookReceiver) -> dict[str, HookedRun]:
    api = Api.for_session(certification, contract)
    runs = {case: HookedRun(*spec, hook=webhook_receiver.hook()) for case, spec in CASES.items()}
    with ThreadPoolExecutor(len(runs)) as pool:
        jobs = {case: pool.submit(_follow, api, hooked, case) for case, hooked in runs.items()}
        return {case: job.result() for case, job in jobs.items()}


def _unsupported_if_refused(hooked: HookedRun) -> None:
    created = hooked.created
    why = created and refused(hooked.operation, created.status, created.text, hooked.hook.receiver.public_base)
    if why:
        pytest.skip(f"unsupported: {why}")


def _check(hooked: HookedRun, contract, run_timeout: float) -> None:
    _unsupported_if_refused(hooked)
    created = hooked.created
    contract.validate(created, hooked.operation, status=200, rule=hooked.rule)
    named, unnamed = hooked.thread_id and hooked.run_id, f"{hooked.operation}: the answer names no thread and run"
    wanted, excerpt = "run_id and thread_id", created.body_excerpt(200)
    # A wait's body is the values: its thread and run are named by the (optional) Content-Location only.
    rule = "RUNS-CONTENT-LOCATION" if hooked.operation.endswith("/wait") else hooked.rule
    expect_true(named, rule=rule, message=unnamed, expected=wanted, actual=excerpt, exchange=created, stop=True)
    what = f"{hooked.operation} with webhook {hooked.hook.path}"
    uncalled = f"{what}: no call reached the webhook within {run_timeout:g} s"
    wanted, called = f"one POST to {hooked.hook.path} when the run ends", hooked.calls
    expect_true(called, rule="WEBHOOK-CALLED", message=uncalled, expected=wanted, actual="no call", exchange=created)
    calls = hooked.hook.calls()  # by now: any second call the target sent on its heels is here too
    not_once = f"{what}: the webhook was not called exactly once, with POST"
    expect_equal([c.method for c in calls], ["POST"], rule="WEBHOOK-CALLED", message=not_once, exchange=created)
    payload, not_object = calls[0].json(), f"{what}: the webhook's body is not a JSON object"
    is_object, call = isinstance(payload, dict), calls[0].describe()
    expect_true(is_object, rule="WEBHOOK-RUN", message=not_object, expected="a JSON Run", actual=call, exchange=created)
    contract.validate_body(payload, "Run", exchange=created)
    got = {key: payload.get(key) for key in ("run_id", "thread_id", "status")}
    this_run = {"run_id": hooked.run_id, "thread_id": hooked.thread_id, "status": hooked.expected_status}
    other = f"{what}: the webhook's body is not this run with its final status"
    expect_equal(got, this_run, rule="WEBHOOK-RUN", message=other, exchange=created)
    if hooked.after is not None:
        run = contract.validate(hooked.after, RUN, status=200, rule="RUNS-GET")
        early = f"{what}: the webhook was called before the run finished"
        expect_in(run.get("status"), TERMINAL_RUN_STATUSES, rule="WEBHOOK-CALLED", message=early, exchange=hooked.after)


@pytest.mark.parametrize("case", ["thread-success", "thread-error"])
def test_thread_run_calls_its_webhook_when_it_finishes(hooked_runs, contract, settings, case):
    """A background run on a thread, created with a webhook, POSTs that run (its id, thread and final
    status: success, or error for the failing graph) to the webhook once when it finishes."""
    _check(hooked_runs[case], contract, settings.run_timeout)


@pytest.mark.parametrize("case", ["stateless-background", "stateless-wait"])
def test_stateless_run_calls_its_webhook_when_it_finishes(hooked_runs, contract, settings, case):
    """A stateless run (background, or wait) created with a webhook POSTs that run, with its temporary
    thread's id and its final status, to the webhook once when it finishes."""
    _check(hooked_runs[case], contract, settings.run_timeout)

"""Faults of run control (multitask strategies, cancel, delete, a missing thread, bad bodies), with the
tests of conformance/tests/test_runs_control.py that must catch each."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import httpx

from tests.faultkit import Fault, bad_body_accepted_on
from tests.faultproxy import Req, Resp

C = "test_runs_control.py::"


def _strategy_as(old: str, new: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if (
            req.is_("POST", "/threads/*/runs")
            and isinstance(req.body, dict)
            and req.body.get("multitask_strategy") == old
        ):
            req.body["multitask_strategy"] = new

    return hook


def _default_strategy_reject(req: Req) -> None:
    if req.is_("POST", "/threads/*/runs") and isinstance(req.body, dict) and "input" in req.body:
        req.body.setdefault("multitask_strategy", "reject")


def _cancel_param(name: str, value: str) -> Callable[[Req], None]:
    def hook(req: Req) -> None:
        if req.is_("POST", "/threads/*/runs/*/cancel"):
            req.query[name] = value

    return hook


def _cancel_noop(req: Req) -> Resp | None:
    if req.is_("POST", "/runs/cancel"):
        return Resp(204, {}, b"")
    return None


def _cancel_whole_thread(req: Req) -> None:
    """POST /runs/cancel with a thread and run ids cancels every run of that thread still pending or running."""
    body = req.body if req.is_("POST", "/runs/cancel") and isinstance(req.body, dict) else {}
    if not (isinstance(body.get("thread_id"), str) and isinstance(body.get("run_ids"), list)):
        return
    with contextlib.suppress(httpx.HTTPError, ValueError):
        runs = httpx.get(f"{req.base}/threads/{body['thread_id']}/runs", timeout=10).json()
        live = [r["run_id"] for r in runs if isinstance(r, dict) and r.get("status") in ("pending", "running")]
        body["run_ids"] = sorted(set(body["run_ids"]) | set(live))


def _cancel_finished_422(req: Req, resp: Resp) -> None:
    """Cancelling a run that is no longer in progress is refused as a validation error (422)."""
    if req.is_("POST", "/threads/*/runs/*/cancel") and resp.status == 404:
        run = httpx.get(f"{req.base}{req.path.removesuffix('/cancel')}", timeout=10)
        if run.status_code == 200:
            resp.status = 422
            resp.json = {"detail": "run is not cancellable"}


def _delete_noop(req: Req) -> Resp | None:
    if req.is_("DELETE", "/threads/*/runs/*"):
        return Resp(204, {}, b"")
    return None


def _if_not_exists_dropped(req: Req) -> None:
    if req.is_("POST", "/threads/*/runs") and isinstance(req.body, dict):
        req.body.pop("if_not_exists", None)


def _missing_thread_created(req: Req) -> None:
    if req.is_("POST", "/threads/*/runs") and isinstance(req.body, dict) and "if_not_exists" not in req.body:
        req.body["if_not_exists"] = "create"


def _cancel_marks_finished_interrupted() -> Callable[[Req, Resp], None]:
    """Cancel of a run rewrites it interrupted, even when it had already finished."""
    cancelled: set[str] = set()

    def hook(req: Req, resp: Resp) -> None:
        if req.is_("POST", "/threads/*/runs/*/cancel"):
            cancelled.add(req.path.strip("/").split("/")[3])
        elif (
            req.is_("GET", "/threads/*/runs/*")
            and isinstance(resp.json, dict)
            and req.path.strip("/").split("/")[3] in cancelled
            and resp.json.get("status") == "success"
        ):
            resp.json = {**resp.json, "status": "interrupted"}

    return hook


FAULTS: tuple[Fault, ...] = (
    Fault(
        "multitask-reject-ignored",
        "reject is treated as enqueue",
        (C + "test_reject_answers_409_and_leaves_the_first_run",),
        "RUNS-MULTITASK-REJECT",
        on_request=_strategy_as("reject", "enqueue"),
    ),
    Fault(
        "multitask-enqueue-interrupts",
        "enqueue interrupts the run in progress",
        (C + "test_enqueue_runs_the_second_after_the_first[enqueue]",),
        "RUNS-MULTITASK-ENQUEUE",
        on_request=_strategy_as("enqueue", "interrupt"),
    ),
    Fault(
        "multitask-default-reject",
        "a run without multitask_strategy is rejected on a busy thread (default reject)",
        (C + "test_enqueue_runs_the_second_after_the_first[default]",),
        "RUNS-MULTITASK-DEFAULT",
        on_request=_default_strategy_reject,
    ),
    Fault(
        "multitask-interrupt-as-rollback",
        "interrupt rolls the run in progress back",
        (C + "test_interrupt_ends_the_first_interrupted",),
        "RUNS-MULTITASK-INTERRUPT",
        on_request=_strategy_as("interrupt", "rollback"),
    ),
    Fault(
        "multitask-rollback-as-interrupt",
        "rollback keeps the run in progress (interrupted) and its state",
        (C + "test_rollback_deletes_the_first_run",),
        "RUNS-MULTITASK-ROLLBACK",
        on_request=_strategy_as("rollback", "interrupt"),
    ),
    Fault(
        "cancel-action-ignored",
        "cancel always rolls back, whatever the action",
        (C + "test_cancel_interrupt_ends_the_run_interrupted[true]",),
        "RUNS-CANCEL",
        on_request=_cancel_param("action", "rollback"),
    ),
    Fault(
        "cancel-rollback-keeps-run",
        "cancel with action rollback only interrupts",
        (C + "test_cancel_rollback_deletes_the_run[true]",),
        "RUNS-CANCEL-ROLLBACK",
        on_request=_cancel_param("action", "interrupt"),
    ),
    Fault(
        "runs-cancel-noop",
        "POST /runs/cancel answers 204 and cancels nothing",
        (C + "test_runs_cancel_by_ids_cancels_that_run",),
        "RUNS-CANCEL-MANY",
        on_request=_cancel_noop,
    ),
    Fault(
        "runs-cancel-whole-thread",
        "POST /runs/cancel by run ids cancels every run of the thread, not only the listed ones",
        (C + "test_runs_cancel_by_ids_cancels_that_run",),
        "RUNS-CANCEL-MANY",
        on_request=_cancel_whole_thread,
    ),
    Fault(
        "run-delete-noop",
        "DELETE of a run answers 204 and deletes nothing",
        (C + "test_delete_run_then_404_and_unlisted",),
        "RUNS-DELETE",
        on_request=_delete_noop,
    ),
    Fault(
        "missing-thread-created",
        "a run on a missing thread creates it although if_not_exists is absent",
        (C + "test_run_on_a_missing_thread_is_404[absent]",),
        "RUNS-MISSING-THREAD",
        on_request=_missing_thread_created,
    ),
    Fault(
        "if-not-exists-ignored",
        "if_not_exists=create is ignored (404)",
        (C + "test_if_not_exists_create_creates_the_thread",),
        "RUNS-IF-NOT-EXISTS-CREATE",
        on_request=_if_not_exists_dropped,
    ),
    Fault(
        "unknown-run-delete-204",
        "DELETE of an unknown run answers 204",
        (C + "test_unknown_run_id_is_404[delete]",),
        "RUNS-UNKNOWN-ID",
        on_response=lambda req, resp: (
            setattr(resp, "status", 204) if req.is_("DELETE", "/threads/*/runs/*") and resp.status == 404 else None
        ),
    ),
    Fault(
        "bad-run-body-accepted",
        "run bodies the document rejects are accepted",
        (C + "test_bad_run_body_is_422[multitask-strategy]", C + "test_bad_run_body_is_422[durability]"),
        "RUNS-BAD-BODY",
        on_response=bad_body_accepted_on("/threads/*/runs"),
    ),
    Fault(
        "cancel-finished-422",
        "cancelling a finished run answers 422 (a documented status, but not what a finished run gets)",
        (C + "test_cancel_of_a_finished_run_changes_nothing",),
        "RUNS-CANCEL-FINISHED",
        on_response=_cancel_finished_422,
    ),
    Fault(
        "cancel-rewrites-finished",
        "cancelling a finished run rewrites it interrupted",
        (C + "test_cancel_of_a_finished_run_changes_nothing",),
        "RUNS-CANCEL-FINISHED",
        on_response=_cancel_marks_finished_interrupted(),
    ),
)

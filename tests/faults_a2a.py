"""Faults of the A2A endpoint (POST /a2a/{assistant_id}, JSON-RPC), with the tests of
conformance/tests/test_a2a.py that must catch each."""

from __future__ import annotations

from typing import Any

from tests.faultkit import Fault, rpc_result
from tests.faultproxy import Req, Resp

A2 = "test_a2a.py::"


def _replace_texts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("" if k == "text" else _replace_texts(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_texts(v) for v in value]
    return value


def _a2a_unknown_assistant_answers_task(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/a2a/*") and isinstance(resp.json, dict) and "error" in resp.json:
        resp.json = {
            "jsonrpc": "2.0",
            "id": resp.json.get("id"),
            "result": {"kind": "task", "status": {"state": "completed"}},
        }


def _a2a_id_lost(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/a2a/*") and isinstance(resp.json, dict):
        resp.json = {**resp.json, "id": "1"}


FAULTS: tuple[Fault, ...] = (
    Fault(
        "a2a-answer-lost",
        "message/send answers a completed task whose artifacts hold no text",
        (A2 + "test_message_send_answers_the_echo_as_a_result",),
        "A2A-SEND",
        on_response=rpc_result(lambda r: {**r, "artifacts": _replace_texts(r.get("artifacts"))}, "message/send"),
    ),
    Fault(
        "a2a-id-not-echoed",
        "A2A answers do not carry the request's id",
        (A2 + "test_message_send_answers_the_echo_as_a_result", A2 + "test_unknown_method_is_method_not_found"),
        "A2A-SEND",
        on_response=_a2a_id_lost,
    ),
    Fault(
        "a2a-task-get-other-state",
        "tasks/get reports a completed task as working",
        (A2 + "test_the_sent_task_can_be_fetched",),
        "A2A-TASK-GET",
        on_response=rpc_result(lambda r: {**r, "status": {"state": "working"}}, "tasks/get"),
    ),
    Fault(
        "a2a-errors-as-results",
        "A2A answers an error (unknown assistant, unknown method) with a made-up completed task",
        (A2 + "test_unknown_assistant_is_a_jsonrpc_error", A2 + "test_unknown_method_is_method_not_found"),
        "A2A-UNKNOWN-ASSISTANT",
        on_response=_a2a_unknown_assistant_answers_task,
    ),
)

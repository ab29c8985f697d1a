"""A2A (POST /a2a/{assistant_id}): what an A2A client needs from an Agent Server, over JSON-RPC 2.0.

The message goes to a thread the suite made and tagged (message.contextId is the LangGraph thread id),
so everything the exchange creates is removed with the session's threads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.contract.checks import expect_contains, expect_equal, expect_true
from conformance.contract.client import ApiClient, Exchange
from conformance.tests.flows import Api, expect_jsonrpc

pytestmark = pytest.mark.area("a2a")

OPERATION = "POST /a2a/{assistant_id}"
TEXT = "hello a2a"
ECHO = f"echo: {TEXT}"


def _call(client: ApiClient, assistant_id: str, body: Any) -> Exchange:
    return client.request("POST", f"/a2a/{assistant_id}", json_body=body)


def _send(context_id: str, text: str, request_id: str) -> dict[str, Any]:
    message = {"role": "user", "parts": [{"kind": "text", "text": text}], "messageId": uuid.uuid4().hex}
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "message/send",
        "params": {"message": {**message, "contextId": context_id}},
    }


def _envelope(contract, exchange: Exchange, request_id: Any, rule: str) -> dict:
    """A JSON-RPC 2.0 response to ``request_id``: jsonrpc "2.0", the same id, and result or error (not both)."""
    body = contract.validate(exchange, OPERATION, status=200, rule=rule)
    expect_jsonrpc(body, request_id, operation=OPERATION, rule=rule, exchange=exchange)
    one = ("result" in body) != ("error" in body)
    both = f"{OPERATION}: a JSON-RPC response holds exactly one of result and error"
    expect_true(one, rule=rule, message=both, expected="result or error", actual=sorted(body), exchange=exchange)
    return body


def _texts(value: Any) -> list[str]:
    """Every text part anywhere in a task (artifacts, history, status message)."""
    if isinstance(value, dict):
        found = [value["text"]] if value.get("kind") == "text" and isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


@dataclass
class Sent:
    thread_id: str
    assistant_id: str
    body: dict
    exchange: Exchange


@pytest.fixture(scope="module")
def sent(certification, contract, target) -> Sent:
    api = Api.for_session(certification, contract)
    thread_id = api.create_thread({"role": "a2a"})["thread_id"]
    body = _send(thread_id, TEXT, "send-1")
    exchange = _call(api.client, target.assistants["agent"], body)
    return Sent(thread_id, target.assistants["agent"], body, exchange)


def test_message_send_answers_the_echo_as_a_result(contract, sent):
    """message/send to the agent assistant answers a JSON-RPC result: a completed task in that context,
    whose agent output is the echo."""
    body = _envelope(contract, sent.exchange, "send-1", rule="A2A-SEND")
    task = body.get("result")
    is_task, failed = isinstance(task, dict), f"{OPERATION}: message/send answered an error"
    error, exchange = body.get("error"), sent.exchange
    expect_true(is_task, rule="A2A-SEND", message=failed, expected="a result", actual=error, exchange=exchange)
    elsewhere = "the task is not in the context (thread) the message named"
    expect_equal(task.get("contextId"), sent.thread_id, rule="A2A-SEND", message=elsewhere, exchange=exchange)
    expect_equal((task.get("status") or {}).get("state"), "completed", rule="A2A-SEND", exchange=exchange)
    artifacts = _texts(task.get("artifacts"))
    unanswered = f"{OPERATION}: the task's artifacts do not carry the assistant's answer"
    expect_contains(artifacts, ECHO, rule="A2A-SEND", message=unanswered, exchange=exchange)


def test_the_sent_task_can_be_fetched(client, contract, sent):
    """tasks/get with the task id and context answers the same task, completed."""
    task = (sent.exchange.json() or {}).get("result") or {}
    request = {
        "jsonrpc": "2.0",
        "id": "get-1",
        "method": "tasks/get",
        "params": {"id": task.get("id"), "contextId": sent.thread_id},
    }
    exchange = _call(client, sent.assistant_id, request)
    body = _envelope(contract, exchange, "get-1", rule="A2A-TASK-GET")
    got = body.get("result") or {}
    state, other = (got.get("status") or {}).get("state"), f"{OPERATION}: tasks/get did not answer the completed task"
    completed = got.get("id") == task.get("id") and state == "completed"
    wanted = {"id": task.get("id"), "state": "completed"}
    shown = {"id": got.get("id"), "state": state, "error": body.get("error")}
    expect_true(completed, rule="A2A-TASK-GET", message=other, expected=wanted, actual=shown, exchange=exchange)


def _expect_error(contract, exchange: Exchange, request_id: Any, rule: str, code: int | None = None) -> dict:
    body = _envelope(contract, exchange, request_id, rule=rule)
    error = body.get("error")
    is_error = isinstance(error, dict) and isinstance(error.get("code"), int) and isinstance(error.get("message"), str)
    not_error = f"{OPERATION}: the answer is not a JSON-RPC error"
    wanted = {"error": {"code": code or "an integer", "message": "a string"}}
    expect_true(is_error, rule=rule, message=not_error, expected=wanted, actual=body, exchange=exchange)
    if code is not None:
        expect_equal(error["code"], code, rule=rule, exchange=exchange)
    return error


def test_unknown_assistant_is_a_jsonrpc_error(client, contract, api):
    """message/send to an assistant that does not exist answers a JSON-RPC error, no task."""
    thread_id = api.create_thread({"role": "a2a-unknown"})["thread_id"]
    exchange = _call(client, str(uuid.uuid4()), _send(thread_id, "anyone there?", "unknown-1"))
    if exchange.status == 404:  # documented too ("Assistant not found"); the reference answers a JSON-RPC error
        contract.validate(exchange, OPERATION, status=404, rule="A2A-UNKNOWN-ASSISTANT")
        return
    _expect_error(contract, exchange, "unknown-1", rule="A2A-UNKNOWN-ASSISTANT")


def test_unknown_method_is_method_not_found(client, contract, target):
    """A method A2A does not define answers the JSON-RPC error -32601 (method not found)."""
    request = {"jsonrpc": "2.0", "id": 7, "method": "tasks/teleport", "params": {}}
    exchange = _call(client, target.assistants["agent"], request)
    _expect_error(contract, exchange, 7, rule="A2A-METHOD-NOT-FOUND", code=-32601)

"""Faults of the MCP endpoint (/mcp, JSON-RPC over streamable HTTP), with the tests of
conformance/tests/test_mcp.py that must catch each."""

from __future__ import annotations

from tests.faultkit import Fault, rpc_result
from tests.faultproxy import Req, Resp

MC = "test_mcp.py::"


def _without_agent_tool(tools_result: dict) -> dict:
    tools = [t for t in tools_result.get("tools") or [] if not (isinstance(t, dict) and t.get("name") == "agent")]
    return {**tools_result, "tools": tools}


def _tools_without_fields(tools_result: dict) -> dict:
    tools = [
        {**t, "inputSchema": {"type": "object"}} if isinstance(t, dict) else t for t in tools_result.get("tools") or []
    ]
    return {**tools_result, "tools": tools}


def _mcp_arguments_dropped(req: Req) -> None:
    body = req.body if isinstance(req.body, dict) else {}
    if req.is_("POST", "/mcp") and body.get("method") == "tools/call" and isinstance(body.get("params"), dict):
        body["params"]["arguments"] = {}


def _mcp_notification_as_result(req: Req) -> Resp | None:
    body = req.body if isinstance(req.body, dict) else {}
    if req.is_("POST", "/mcp") and body.get("method", "").startswith("notifications/"):
        return Resp(200, {"content-type": "application/json"}, b'{"jsonrpc": "2.0", "id": null, "result": {}}')
    return None


def _mcp_unknown_tool_empty_result(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/mcp") and isinstance(resp.json, dict) and "error" in resp.json:
        resp.json = {"jsonrpc": "2.0", "id": resp.json.get("id"), "result": {"content": []}}


FAULTS: tuple[Fault, ...] = (
    Fault(
        "mcp-protocol-version-ignored",
        "initialize always answers protocol version 2024-11-05",
        (MC + "test_initialize_answers_the_protocol_version_and_capabilities",),
        "MCP-INITIALIZE",
        on_response=rpc_result(lambda r: {**r, "protocolVersion": "2024-11-05"}, "initialize", "/mcp"),
    ),
    Fault(
        "mcp-no-tools-capability",
        "initialize announces no tools capability",
        (MC + "test_initialize_answers_the_protocol_version_and_capabilities",),
        "MCP-INITIALIZE",
        on_response=rpc_result(lambda r: {**r, "capabilities": {}}, "initialize", "/mcp"),
    ),
    Fault(
        "mcp-notification-answered",
        "a notification is answered 200 with a JSON-RPC result",
        (MC + "test_initialized_notification_is_accepted",),
        "MCP-NOTIFICATION",
        on_request=_mcp_notification_as_result,
    ),
    Fault(
        "mcp-tools-list-wrong",
        "tools/list leaves the agent assistant's tool out",
        (MC + "test_tools_list_offers_the_assistants_that_have_an_input_schema",),
        "MCP-TOOLS-LIST",
        on_response=rpc_result(_without_agent_tool, "tools/list", "/mcp"),
    ),
    Fault(
        "mcp-tool-input-fields-lost",
        "tools/list gives every tool an inputSchema without the assistant's input fields",
        (MC + "test_tools_list_offers_the_assistants_that_have_an_input_schema",),
        "MCP-TOOLS-LIST",
        on_response=rpc_result(_tools_without_fields, "tools/list", "/mcp"),
    ),
    Fault(
        "mcp-tool-arguments-ignored",
        "tools/call runs the assistant without the arguments it was called with",
        (MC + "test_calling_the_agent_tool_answers_the_echo",),
        "MCP-TOOLS-CALL",
        on_request=_mcp_arguments_dropped,
    ),
    Fault(
        "mcp-tool-call-empty",
        "tools/call answers no content",
        (MC + "test_calling_the_agent_tool_answers_the_echo",),
        "MCP-TOOLS-CALL",
        on_response=rpc_result(lambda r: {**r, "content": []}, "tools/call", "/mcp"),
    ),
    Fault(
        "mcp-unknown-tool-succeeds",
        "tools/call of an unknown tool answers an empty result",
        (MC + "test_calling_an_unknown_tool_is_a_jsonrpc_error",),
        "MCP-TOOLS-CALL-UNKNOWN",
        on_response=_mcp_unknown_tool_empty_result,
    ),
    Fault(
        "mcp-get-opens-a-stream",
        "GET on the MCP endpoint answers 200 with an (empty) event stream instead of 405",
        (MC + "test_get_opens_no_stream",),
        "MCP-GET",
        on_request=lambda req: (
            Resp(200, {"content-type": "text/event-stream"}, b": no events\n\n")
            if req.method == "GET" and req.path.rstrip("/") == "/mcp"
            else None
        ),
    ),
    Fault(
        "mcp-delete-answers-200",
        "DELETE on the MCP endpoint answers 200 as if it had ended a session",
        (MC + "test_delete_terminates_no_session_and_changes_nothing",),
        "MCP-DELETE",
        on_response=lambda req, resp: (
            setattr(resp, "status", 200) if req.method == "DELETE" and req.path == "/mcp" else None
        ),
    ),
)

"""MCP (Streamable HTTP at /mcp): what an MCP client needs from an Agent Server.

The reference serves the endpoint at /mcp and answers the documented /mcp/ with a 307 to it (a property-
layer expected failure), so these tests call /mcp and hold the answers to the document's POST /mcp/.
Which assistants become tools depends on the deployment: the reference lists an assistant as a tool when
it can generate the assistant's input schema (GET /assistants/{id}/schemas answers input_schema), named
after the assistant; tools/call finds a tool by that name whether listed or not.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.contract.checks import expect, expect_equal
from conformance.contract.client import ApiClient, Exchange
from conformance.graphs import GRAPHS
from conformance.tests.flows import request_with_headers

pytestmark = pytest.mark.area("mcp")

OPERATION = "POST /mcp/"
ACCEPT = {"accept": "application/json, text/event-stream"}
PROTOCOL_VERSION = "2025-06-18"
MAX_PAGES = 20


def _rpc(client: ApiClient, body: dict[str, Any]) -> Exchange:
    return request_with_headers(client, "POST", "/mcp", ACCEPT, json_body=body)


def _result(contract, exchange: Exchange, request_id: Any, rule: str) -> dict:
    body = contract.validate(exchange, OPERATION, status=200, rule=rule)
    expect(
        isinstance(body, dict) and body.get("jsonrpc") == "2.0" and body.get("id") == request_id,
        rule,
        f"{OPERATION}: not a JSON-RPC 2.0 response to request id {request_id!r}",
        expected={"jsonrpc": "2.0", "id": request_id},
        actual=body if not isinstance(body, dict) else {k: body.get(k) for k in ("jsonrpc", "id")},
        exchange=exchange,
    )
    return body


def test_initialize_answers_the_protocol_version_and_capabilities(client, contract):
    """initialize answers the protocol version asked for (one the server supports), its capabilities
    (tools among them) and serverInfo."""
    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "langgraph-conformance", "version": "1"},
        },
    }
    exchange = _rpc(client, request)
    result = _result(contract, exchange, 1, rule="MCP-INITIALIZE").get("result") or {}
    expect_equal(result.get("protocolVersion"), PROTOCOL_VERSION, rule="MCP-INITIALIZE", exchange=exchange)
    capabilities = result.get("capabilities")
    expect(
        isinstance(capabilities, dict) and isinstance(capabilities.get("tools"), dict),
        "MCP-INITIALIZE",
        f"{OPERATION}: initialize does not announce the tools capability",
        expected={"capabilities": {"tools": {}}},
        actual=capabilities,
        exchange=exchange,
    )
    info = result.get("serverInfo")
    expect(
        isinstance(info, dict) and isinstance(info.get("name"), str),
        "MCP-INITIALIZE",
        f"{OPERATION}: initialize answers no serverInfo.name",
        expected="serverInfo.name",
        actual=info,
        exchange=exchange,
    )


def test_initialized_notification_is_accepted(client, contract):
    """A notification (no id) is accepted with 202 and no body."""
    exchange = _rpc(client, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    contract.validate(exchange, OPERATION, status=202, rule="MCP-NOTIFICATION")


def _tools(client: ApiClient, contract) -> tuple[list[dict], Exchange]:
    tools: list[dict] = []
    cursor: Any = None
    for page in range(MAX_PAGES):
        params = {"cursor": cursor} if cursor is not None else {}
        exchange = _rpc(client, {"jsonrpc": "2.0", "id": f"list-{page}", "method": "tools/list", "params": params})
        result = _result(contract, exchange, f"list-{page}", rule="MCP-TOOLS-LIST").get("result") or {}
        expect(
            isinstance(result.get("tools"), list),
            "MCP-TOOLS-LIST",
            f"{OPERATION}: tools/list has no tools list",
            expected={"tools": []},
            actual=result,
            exchange=exchange,
        )
        tools += result["tools"]
        cursor = result.get("nextCursor")
        if cursor is None:
            break
    return tools, exchange


def test_tools_list_offers_the_assistants_that_have_an_input_schema(client, contract, target):
    """tools/list: each tool has a name and an object inputSchema; a fixture assistant is listed as a tool,
    named after it, exactly when the server can give its input schema."""
    tools, exchange = _tools(client, contract)
    for tool in tools:
        schema = tool.get("inputSchema") if isinstance(tool, dict) else None
        expect(
            isinstance(tool, dict)
            and isinstance(tool.get("name"), str)
            and isinstance(schema, dict)
            and schema.get("type") == "object",
            "MCP-TOOLS-LIST",
            f"{OPERATION}: a tool lacks a name or an object inputSchema",
            expected={"name": "a string", "inputSchema": {"type": "object"}},
            actual=tool,
            exchange=exchange,
        )
    names = {t.get("name") for t in tools}
    wanted, listed = [], []
    for graph in GRAPHS:
        got = client.get(f"/assistants/{target.assistants[graph]}/schemas")
        schemas = contract.validate(got, "GET /assistants/{assistant_id}/schemas", status=200, rule="MCP-TOOLS-LIST")
        if schemas.get("input_schema") is not None:
            wanted.append(graph)
        if graph in names:
            listed.append(graph)
    expect_equal(
        listed,
        wanted,
        rule="MCP-TOOLS-LIST",
        exchange=exchange,
        message=f"{OPERATION}: tools/list does not offer exactly the fixture assistants with an input schema",
    )


def test_calling_the_agent_tool_answers_the_echo(client, contract):
    """tools/call of the agent assistant's tool runs it and answers its output, the echo, as text content."""
    request = {
        "jsonrpc": "2.0",
        "id": "call-1",
        "method": "tools/call",
        "params": {"name": "agent", "arguments": {"messages": [{"role": "human", "content": "hello mcp"}]}},
    }
    exchange = _rpc(client, request)
    body = _result(contract, exchange, "call-1", rule="MCP-TOOLS-CALL")
    result = body.get("result") or {}
    texts = [c.get("text") for c in result.get("content") or [] if isinstance(c, dict) and c.get("type") == "text"]
    expect(
        not result.get("isError") and any("echo: hello mcp" in (t or "") for t in texts),
        "MCP-TOOLS-CALL",
        f"{OPERATION}: tools/call of the agent tool did not answer the echo",
        expected="text content holding 'echo: hello mcp'",
        actual=body.get("error") or result,
        exchange=exchange,
    )


def test_calling_an_unknown_tool_is_a_jsonrpc_error(client, contract):
    """tools/call of a tool no assistant offers answers a JSON-RPC error."""
    request = {
        "jsonrpc": "2.0",
        "id": "call-2",
        "method": "tools/call",
        "params": {"name": "no_such_conformance_tool", "arguments": {}},
    }
    exchange = _rpc(client, request)
    body = _result(contract, exchange, "call-2", rule="MCP-TOOLS-CALL-UNKNOWN")
    error = body.get("error")
    expect(
        isinstance(error, dict) and isinstance(error.get("code"), int) and "result" not in body,
        "MCP-TOOLS-CALL-UNKNOWN",
        f"{OPERATION}: an unknown tool was not answered with a JSON-RPC error",
        expected={"error": {"code": "an integer", "message": "..."}},
        actual=body,
        exchange=exchange,
    )

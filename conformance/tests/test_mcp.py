"""MCP (Streamable HTTP at /mcp/): what an MCP client needs from an Agent Server.

The document's path is /mcp/; the MCP guide says "The MCP endpoint is available at /mcp". The reference
serves /mcp and answers /mcp/ with 307 Temporary Redirect to it (GraphHarbor does the opposite: it serves
/mcp/ and redirects /mcp). MCP clients follow such a redirect (the Python SDK's HTTP client is made with
follow_redirects=True, a browser's fetch follows one), and a 307 or 308 keeps the method and the body. So
these tests call the document's /mcp/ and follow one redirect that stays on the target, as a client does,
then hold the answer to the document's operation; whether /mcp/ answers without a redirect is a test of its
own (test_the_endpoint_answers_at_its_documented_path), so a redirect is one finding, not one per test.
Which assistants become tools depends on the deployment: langgraph-api 0.16.7 lists every assistant whose
input schema it can generate (langgraph_api/api/mcp/_handlers.py, handle_tools_list: an assistant whose
GET /assistants/{id}/schemas answers input_schema null is left out), one tool per assistant name (made a
valid MCP name; the first of several assistants with one name wins), paged 100 assistants at a time.
On the fixture deployment every graph has an input schema (its state), so every fixture assistant is a
tool named after it (the graph's name), and its inputSchema has the state's fields (a message list is
simplified to one string, the user message). tools/call finds the tool by that name and runs the
assistant with the arguments as its input (a stateless wait).
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from conformance.contract.checks import expect_equal, expect_true
from conformance.contract.client import ApiClient, Exchange
from conformance.graphs import ECHO_PREFIX, GRAPHS
from conformance.tests.flows import expect_jsonrpc

pytestmark = pytest.mark.area("mcp")

PATH = "/mcp/"
OPERATION = "POST /mcp/"
GET_OPERATION = "GET /mcp/"
DELETE_OPERATION = "DELETE /mcp/"
ACCEPT = {"accept": "application/json, text/event-stream"}
PROTOCOL_VERSION = "2025-06-18"
MAX_PAGES = 20
TOOL_NAME = re.compile(r"[a-zA-Z0-9_\-.]{1,128}")  # what MCP allows a tool's name to be
VALID_TOOL = {"name": TOOL_NAME.pattern, "inputSchema": {"type": "object"}}


def tool_name(assistant_name: str) -> str:
    """An assistant's name made a valid MCP tool name, as the reference makes it (whitespace runs become
    "_", other characters MCP does not allow are dropped, at most 128 characters)."""
    return re.sub(r"[^a-zA-Z0-9_\-.]", "", re.sub(r"\s+", "_", assistant_name.strip()))[:128]


def _redirect(exchange: Exchange) -> str | None:
    """Where a 307 or 308 answer sends the client, when that is on the same target (scheme, host, port)."""
    location = exchange.headers.get("location")
    if exchange.status not in (307, 308) or not location:
        return None
    target = urljoin(exchange.url, location)
    return target if urlsplit(target)[:2] == urlsplit(exchange.url)[:2] and target != exchange.url else None


def send(client: ApiClient, method: str, *, body: Any = None, headers: dict[str, str] | None = None) -> Exchange:
    """A request to the MCP endpoint at its documented path, following one redirect on the target as MCP
    clients do (307/308 keep the method and the body); both exchanges are recorded."""
    exchange = client.request(method, PATH, json_body=body, headers=headers or ACCEPT)
    target = _redirect(exchange)
    if target is not None:
        exchange = client.request(method, target, json_body=body, headers=headers or ACCEPT)
    return exchange


def _rpc(client: ApiClient, body: dict[str, Any]) -> Exchange:
    return send(client, "POST", body=body)


def _result(contract, exchange: Exchange, request_id: Any, rule: str) -> dict:
    body = contract.validate(exchange, OPERATION, status=200, rule=rule)
    expect_jsonrpc(body, request_id, operation=OPERATION, rule=rule, exchange=exchange)
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
    tools = isinstance(capabilities, dict) and isinstance(capabilities.get("tools"), dict)
    no_tools = f"{OPERATION}: initialize does not announce the tools capability"
    wanted = {"capabilities": {"tools": {}}}
    expect_true(tools, rule="MCP-INITIALIZE", message=no_tools, expected=wanted, actual=capabilities, exchange=exchange)
    info, unnamed = result.get("serverInfo"), f"{OPERATION}: initialize answers no serverInfo.name"
    named, wanted = isinstance(info, dict) and isinstance(info.get("name"), str), "serverInfo.name"
    expect_true(named, rule="MCP-INITIALIZE", message=unnamed, expected=wanted, actual=info, exchange=exchange)


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
        listed, unlisted = isinstance(result.get("tools"), list), f"{OPERATION}: tools/list has no tools list"
        wanted = {"tools": []}
        expect_true(listed, rule="MCP-TOOLS-LIST", message=unlisted, expected=wanted, actual=result, exchange=exchange)
        tools += result["tools"]
        cursor = result.get("nextCursor")
        if cursor is None:
            break
    return tools, exchange


def _fixture_assistants(client: ApiClient, contract, target, rule: str) -> dict[str, tuple[str, list[str]]]:
    """graph -> (the tool name of its default assistant, the properties of its input schema; [] when it has none)."""
    found = {}
    for graph in GRAPHS:
        assistant_id = target.assistants[graph]
        got = client.get(f"/assistants/{assistant_id}")
        name = contract.validate(got, "GET /assistants/{assistant_id}", status=200, rule=rule).get("name")
        got = client.get(f"/assistants/{assistant_id}/schemas")
        schemas = contract.validate(got, "GET /assistants/{assistant_id}/schemas", status=200, rule=rule)
        found[graph] = (tool_name(str(name)), sorted((schemas.get("input_schema") or {}).get("properties") or {}))
    return found


def test_tools_list_offers_the_assistants_that_have_an_input_schema(client, contract, target):
    """tools/list: each tool has a valid MCP name and an object inputSchema; every fixture assistant (each
    has an input schema) is a tool named after it whose inputSchema has the input schema's properties."""
    tools, exchange = _tools(client, contract)
    for tool in tools:
        schema = tool.get("inputSchema") if isinstance(tool, dict) else None
        name = tool.get("name") if isinstance(tool, dict) else None
        valid = isinstance(name, str) and TOOL_NAME.fullmatch(name) is not None
        valid = valid and isinstance(schema, dict) and schema.get("type") == "object"
        invalid = f"{OPERATION}: a tool lacks a valid name or an object inputSchema"
        expect_true(valid, rule="MCP-TOOLS-LIST", message=invalid, expected=VALID_TOOL, actual=tool, exchange=exchange)
    by_name = {t["name"]: t for t in tools}
    wanted, listed = {}, {}
    for graph, (name, fields) in _fixture_assistants(client, contract, target, "MCP-TOOLS-LIST").items():
        wanted[graph] = {"tool": name, "properties": fields}
        tool = by_name.get(name)
        properties = (tool or {}).get("inputSchema", {}).get("properties")
        listed[graph] = {"tool": tool["name"] if tool else None, "properties": sorted(properties or {})}
    missing = f"{OPERATION}: tools/list does not offer every fixture assistant as a tool with its input fields"
    expect_equal(listed, wanted, rule="MCP-TOOLS-LIST", message=missing, exchange=exchange)


def _arguments(tool: dict, text: str) -> dict[str, Any]:
    """The agent's input as the tool's inputSchema describes it: messages as one string when it says so
    (the reference simplifies a message list to the user message), else as a list of messages."""
    messages = ((tool.get("inputSchema") or {}).get("properties") or {}).get("messages") or {}
    if messages.get("type") == "string":
        return {"messages": text}
    return {"messages": [{"role": "human", "content": text}]}


def test_calling_the_agent_tool_answers_the_echo(client, contract, target):
    """A listed tool can be called: tools/call of the agent assistant's tool, with arguments as its
    inputSchema describes them, runs the assistant and answers its output, the echo, as text content."""
    tools, listing = _tools(client, contract)
    name = _fixture_assistants(client, contract, target, "MCP-TOOLS-CALL")["agent"][0]
    tool = next((t for t in tools if isinstance(t, dict) and t.get("name") == name), None)
    no_tool = f"{OPERATION}: tools/list offers no tool {name!r} for the agent assistant, so none can be called"
    names = sorted(str(t.get("name")) for t in tools if isinstance(t, dict))
    expect_true(tool is not None, rule="MCP-TOOLS-CALL", message=no_tool, expected=name, actual=names, exchange=listing)
    request = {
        "jsonrpc": "2.0",
        "id": "call-1",
        "method": "tools/call",
        "params": {"name": name, "arguments": _arguments(tool, "hello mcp")},
    }
    exchange = _rpc(client, request)
    body = _result(contract, exchange, "call-1", rule="MCP-TOOLS-CALL")
    result = body.get("result") or {}
    texts = [c.get("text") for c in result.get("content") or [] if isinstance(c, dict) and c.get("type") == "text"]
    echoed = not result.get("isError") and any(f"{ECHO_PREFIX}hello mcp" in (t or "") for t in texts)
    no_echo = f"{OPERATION}: tools/call of the agent tool did not answer the echo"
    wanted, shown = f"text content holding {ECHO_PREFIX + 'hello mcp'!r}", body.get("error") or result
    expect_true(echoed, rule="MCP-TOOLS-CALL", message=no_echo, expected=wanted, actual=shown, exchange=exchange)


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
    is_error = isinstance(error, dict) and isinstance(error.get("code"), int) and "result" not in body
    not_error = f"{OPERATION}: an unknown tool was not answered with a JSON-RPC error"
    wanted, rule = {"error": {"code": "an integer", "message": "..."}}, "MCP-TOOLS-CALL-UNKNOWN"
    expect_true(is_error, rule=rule, message=not_error, expected=wanted, actual=body, exchange=exchange)


def test_the_endpoint_answers_at_its_documented_path(client, contract):
    """POST /mcp/ (the document's path) answers initialize itself, not with a redirect to another path."""
    request = {"jsonrpc": "2.0", "id": "path-1", "method": "ping"}
    exchange = client.post(PATH, json=request, headers=ACCEPT)
    contract.validate(exchange, OPERATION, status=200, rule="MCP-ENDPOINT")


def test_get_opens_no_stream(client, contract):
    """GET on the endpoint answers 405: the server offers no server-to-client event stream (the document's
    only answer for GET, as the Streamable HTTP transport requires of a server without one)."""
    exchange = send(client, "GET", headers={"accept": "text/event-stream"})
    contract.validate(exchange, GET_OPERATION, status=405, rule="MCP-GET")


def test_delete_terminates_no_session_and_changes_nothing(client, contract, target):
    """DELETE on the endpoint (terminate a session) answers 404, Session not found: the server keeps no
    sessions, so there is none to end, and the endpoint goes on offering the fixture assistants' tools (only
    those are compared: other clients may add assistants meanwhile)."""
    fixture = {name for name, _ in _fixture_assistants(client, contract, target, "MCP-DELETE").values()}
    before, _ = _tools(client, contract)
    session = {**ACCEPT, "mcp-session-id": str(uuid.uuid4())}
    exchange = send(client, "DELETE", headers=session)
    contract.validate(exchange, DELETE_OPERATION, status=404, rule="MCP-DELETE")
    after, listing = _tools(client, contract)

    def offered(tools: list) -> list[str]:
        return sorted(str(t.get("name")) for t in tools if isinstance(t, dict) and t.get("name") in fixture)

    changed = "tools/list offers other fixture tools after a DELETE that should change nothing"
    expect_equal(offered(after), offered(before), rule="MCP-DELETE", message=changed, exchange=listing)

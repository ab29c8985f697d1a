"""``conformance spec diff``: real upstream changes found, silence on equal documents, one test per rule.

The real documents in tests/data/specs/ are the openapi.json files of langgraph-api wheels (see the
README there). Every change asserted on them below was checked by hand against the two JSON files.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conformance.cli import main
from conformance.contract.document import default_contract
from conformance.paths import PACKAGE_DIR, spec_dir
from conformance.spectools import gate as specgate
from conformance.spectools import update as specupdate
from conformance.spectools import vendor
from conformance.spectools.diff import Change, diff
from conformance.spectools.loading import SpecLoadError, load_document, parse_document

DATA = Path(__file__).parent / "data" / "specs"
REPO = PACKAGE_DIR.parent


def real(version: str) -> dict:
    return load_document(str(DATA / f"langgraph-api-{version}.openapi.json.gz"))


def where(changes: list[Change], operation: str, location: str, kind: str) -> Change:
    found = [c for c in changes if (c.operation, c.location, c.kind) == (operation, location, kind)]
    assert len(found) == 1, f"{operation} {location} {kind}: {found or 'not reported'}"
    return found[0]


# ------------------------------------------------------------------------------------ real releases


def test_adjacent_releases_0_15_9_to_0_16_x():
    """0.16.0 added GET /threads/{thread_id}/storage and Interrupt.response_schema; nothing else changed."""
    changes = diff(real("0.15.9"), real("0.16.7"))
    added = where(changes, "GET /threads/{thread_id}/storage", "operation", "operation-added")
    assert (added.breaking_for_clients, added.breaking_for_servers) == (False, True)
    # Interrupt is shared: the new optional field shows under every operation whose response embeds it,
    # at the top level and inside tasks[] (and not again through the ThreadState self-reference).
    for operation in ("GET /threads/{thread_id}/state", "GET /threads/{thread_id}/state/{checkpoint_id}"):
        for path in ("$.interrupts[].response_schema", "$.tasks[].interrupts[].response_schema"):
            change = where(changes, operation, f"response 200 application/json {path}", "property-added")
            assert not change.breaking
    history = "response 200 application/json $[].tasks[].interrupts[].response_schema"
    assert where(changes, "POST /threads/{thread_id}/history", history, "property-added")
    assert len(changes) == 11
    assert {c.kind for c in changes} == {"operation-added", "property-added"}
    assert specupdate.summary(changes) == {
        "changes": 11,
        "operations": 6,
        "breaking_for_clients": 0,
        "breaking_for_servers": 1,
    }


def test_the_same_pair_backwards_breaks_clients():
    changes = diff(real("0.16.7"), real("0.15.9"))
    removed = where(changes, "GET /threads/{thread_id}/storage", "operation", "operation-removed")
    assert (removed.breaking_for_clients, removed.breaking_for_servers) == (True, False)
    gone = where(
        changes,
        "GET /threads/{thread_id}/state",
        "response 200 application/json $.interrupts[].response_schema",
        "property-removed",
    )
    assert gone.breaking_for_clients and not gone.breaking_for_servers


def test_a_year_of_releases_0_4_48_to_0_16_7():
    changes = diff(real("0.4.48"), real("0.16.7"))
    added = sorted(c.operation for c in changes if c.kind == "operation-added")
    assert added == [
        "GET /docs",
        "GET /runs/crons/{cron_id}",
        "GET /threads/{thread_id}/storage",
        "PATCH /runs/crons/{cron_id}",
        "POST /threads/prune",
        "POST /threads/{thread_id}/commands",
        "POST /threads/{thread_id}/stream/events",
    ]
    assert not [c for c in changes if c.kind == "operation-removed"]
    # ErrorResponse went from a bare string to {"detail": string}: incompatible, breaks both sides.
    error = where(changes, "GET /threads/{thread_id}", "response 404 application/json $", "type-changed")
    assert error.breaking_for_clients and error.breaking_for_servers
    # RunCreateStateless lost interrupt_before/after; the streaming variant (an allOf) defaults to continue.
    for field in ("interrupt_before", "interrupt_after", "on_disconnect"):
        removed = where(changes, "POST /runs", f"request body application/json $.{field}", "property-removed")
        assert removed.breaking_for_clients and not removed.breaking_for_servers
    default = where(changes, "POST /runs/stream", "request body application/json $.on_disconnect", "default-changed")
    assert "cancel" in default.message and "continue" in default.message
    # ThreadSearchRequest.select: "context" dropped, "state_updated_at" added.
    select = "request body application/json $.select[]"
    assert "context" in where(changes, "POST /threads/search", select, "enum-value-removed").message
    assert "state_updated_at" in where(changes, "POST /threads/search", select, "enum-value-added").message
    status = where(changes, "GET /threads/{thread_id}/runs", "parameter query status $", "enum-value-added")
    assert "running" in status.message and status.breaking_for_servers and not status.breaking_for_clients
    checkpoint = "POST /threads/{thread_id}/state/checkpoint"
    assert where(changes, checkpoint, "parameter query subgraphs", "parameter-removed").breaking_for_clients
    # 0.4.48 pointed at #/components/schemas/Interrupt, which it had put under components/responses.
    dangling = [c for c in changes if c.kind == "ref-unresolved"]
    assert dangling and all("Interrupt" in c.message and not c.breaking for c in dangling)
    summary = specupdate.summary(changes)
    assert summary["operations"] == 59 and summary["breaking_for_clients"] > 0 and summary["breaking_for_servers"] > 0


def test_the_vendored_copy_is_the_release_it_names():
    """spec/openapi.yaml, compared with the wheel document of the version SOURCE.yaml names: no change."""
    version = yaml.safe_load((spec_dir() / "SOURCE.yaml").read_text())["source"].get("version")
    data = DATA / f"langgraph-api-{version}.openapi.json.gz"
    if not data.exists():
        pytest.skip(f"no test copy of langgraph-api {version}")
    assert diff(load_document(str(data)), load_document(str(spec_dir() / "openapi.yaml"))) == []


# ---------------------------------------------------------------------------------------- silence

ORDERLESS = {"enum", "required", "type", "anyOf", "oneOf", "allOf", "parameters", "tags"}


def shuffled(value, rng: random.Random, key: str = ""):
    """The same document with every mapping's key order, and every order-free list, permuted."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffled(value[k], rng, k) for k in keys}
    if isinstance(value, list):
        items = [shuffled(v, rng) for v in value]
        if key in ORDERLESS:
            rng.shuffle(items)
        return items
    return value


@pytest.mark.parametrize("version", ["0.4.48", "0.15.9", "0.16.7"])
def test_silent_on_itself_reordered_and_as_yaml(version: str, tmp_path: Path):
    document = real(version)
    assert diff(document, document) == []
    for seed in (1, 2):
        mixed = shuffled(copy.deepcopy(document), random.Random(seed))
        assert list(mixed["paths"]) != list(document["paths"])
        assert diff(document, mixed) == []
        assert diff(mixed, document) == []
    as_yaml = tmp_path / "openapi.yaml"
    as_yaml.write_text(vendor.render_yaml(shuffled(document, random.Random(3))), encoding="utf-8")
    assert diff(document, load_document(str(as_yaml))) == []


def test_documentation_only_edits_are_silent():
    old = real("0.16.7")
    new = copy.deepcopy(old)
    new["info"]["description"] = "edited"
    for item in new["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation["summary"] = operation["description"] = "edited"
                operation["operationId"] = "x" + str(operation.get("operationId"))
    for schema in new["components"]["schemas"].values():
        schema["title"] = "renamed"
        schema["description"] = "edited"
    assert diff(old, new) == []


# ------------------------------------------------------------------------------------------ the CLI

OLD, NEW = str(DATA / "langgraph-api-0.15.9.openapi.json.gz"), str(DATA / "langgraph-api-0.16.7.openapi.json.gz")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([OLD, NEW], 0),
        ([OLD, NEW, "--fail-on", "breaking"], 1),
        ([OLD, NEW, "--fail-on", "server-breaking"], 1),
        ([OLD, NEW, "--fail-on", "client-breaking"], 0),
        ([NEW, OLD, "--fail-on", "client-breaking"], 1),
        ([OLD, OLD, "--fail-on", "any"], 0),
        ([NEW, NEW, "--fail-on", "breaking"], 0),
        ([OLD, "/nonexistent/openapi.json", "--fail-on", "breaking"], 2),
    ],
)
def test_fail_on_exit_codes(args: list[str], code: int, capsys):
    assert main(["spec", "diff", *args]) == code


def test_formats(capsys):
    assert main(["spec", "diff", OLD, NEW, "--format", "json", "--coverage"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["changes"] == 11
    assert payload["changes"][0].keys() >= {"operation", "location", "kind", "breaking_for_clients"}
    assert "GET /threads/{thread_id}/state" in payload["coverage"]
    assert main(["spec", "diff", OLD, NEW, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| Operation | Where | Change | Breaks clients | Breaks servers |" in markdown
    assert "| `GET /threads/{thread_id}/storage` | `operation` | operation added" in markdown
    assert main(["spec", "diff", OLD, NEW]) == 0
    text = capsys.readouterr().out
    assert "11 change(s) in 6 operation(s); 0 breaking for clients, 1 breaking for servers" in text


def test_the_installed_command_gates_a_pipeline():
    command = [sys.executable, "-m", "conformance.cli", "spec", "diff", OLD, NEW, "--fail-on", "breaking"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 1, result.stderr
    assert "operation added" in result.stdout


def test_unreadable_documents_are_clear_errors(tmp_path: Path):
    (tmp_path / "a.json").write_text('{"openapi": "3.1.0"}')
    with pytest.raises(SpecLoadError, match="no 'paths'"):
        load_document(str(tmp_path / "a.json"))
    with pytest.raises(SpecLoadError, match=r"not 3\.x"):
        parse_document(b'{"swagger": "2.0", "paths": {}}')
    assert parse_document(gzip.compress(b"openapi: 3.0.3\npaths: {}\n"))["openapi"] == "3.0.3"


# ---------------------------------------------------------------------------- rules, one at a time


def document(
    request: dict | None = None,
    response: dict | None = None,
    parameters: list | None = None,
    schemas: dict | None = None,
    **extra,
) -> dict:
    """One operation, POST /things/{thing_id}, with the given body schemas and parameters."""
    operation = {
        "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}]
        + (parameters or []),
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": response or {}}}}},
        **extra,
    }
    if request is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things/{thing_id}": {"post": operation}},
        "components": {"schemas": schemas or {}},
    }


def only(old: dict, new: dict) -> Change:
    changes = diff(old, new)
    assert len(changes) == 1, changes
    return changes[0]


def sides(change: Change) -> tuple[bool, bool]:
    return change.breaking_for_clients, change.breaking_for_servers


OBJ = {"type": "object", "properties": {"a": {"type": "string"}}}
OBJ_REQ = {**OBJ, "required": ["a"]}
OBJ_AB = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
CLIENTS, SERVERS, BOTH, NEITHER = (True, False), (False, True), (True, True), (False, False)
STR, ARR = {"type": "string"}, {"type": "array"}
TIGHTER, LOOSER = "constraint-tightened", "constraint-loosened"

SCHEMA_RULES = [
    # (name, old schema, new schema, kind, sides when in a request body, sides when in a response)
    ("field added, optional", OBJ, OBJ_AB, "property-added", SERVERS, NEITHER),
    ("field added, required", OBJ, {**OBJ_AB, "required": ["b"]}, "property-added", BOTH, SERVERS),
    ("field removed", OBJ_AB, OBJ, "property-removed", CLIENTS, CLIENTS),
    ("field made required", OBJ, OBJ_REQ, "property-required", CLIENTS, SERVERS),
    ("field made optional", OBJ_REQ, OBJ, "property-optional", SERVERS, CLIENTS),
    ("enum value added", {"enum": ["a"]}, {"enum": ["a", "b"]}, "enum-value-added", SERVERS, CLIENTS),
    ("enum value removed", {"enum": ["a", "b"]}, {"enum": ["a"]}, "enum-value-removed", CLIENTS, SERVERS),
    ("enum introduced", {"type": "string"}, {"type": "string", "enum": ["a"]}, "enum-added", CLIENTS, SERVERS),
    ("minimum raised", {"minimum": 1}, {"minimum": 2}, "constraint-tightened", CLIENTS, SERVERS),
    ("minimum lowered", {"minimum": 2}, {"minimum": 1}, "constraint-loosened", SERVERS, CLIENTS),
    ("maximum lowered", {"maximum": 10}, {"maximum": 5}, "constraint-tightened", CLIENTS, SERVERS),
    ("maximum removed", {"maximum": 10}, {}, "constraint-loosened", SERVERS, CLIENTS),
    ("minLength added", STR, {**STR, "minLength": 1}, TIGHTER, CLIENTS, SERVERS),
    ("maxLength raised", {"maxLength": 5}, {"maxLength": 9}, "constraint-loosened", SERVERS, CLIENTS),
    ("minItems raised", {"minItems": 0}, {"minItems": 1}, "constraint-tightened", CLIENTS, SERVERS),
    ("maxItems lowered", {"maxItems": 9}, {"maxItems": 1}, "constraint-tightened", CLIENTS, SERVERS),
    ("exclusiveMinimum raised", {"exclusiveMinimum": 0}, {"exclusiveMinimum": 1}, TIGHTER, CLIENTS, SERVERS),
    ("pattern added", STR, {**STR, "pattern": "^a"}, TIGHTER, CLIENTS, SERVERS),
    ("pattern changed", {"pattern": "^a"}, {"pattern": "^b"}, "constraint-changed", BOTH, BOTH),
    ("uniqueItems set", ARR, {**ARR, "uniqueItems": True}, TIGHTER, CLIENTS, SERVERS),
    ("type incompatible", {"type": "string"}, {"type": "integer"}, "type-changed", BOTH, BOTH),
    ("type widened", {"type": "string"}, {"type": ["string", "null"]}, "type-changed", SERVERS, CLIENTS),
    ("type narrowed", {"type": ["string", "null"]}, {"type": "string"}, "type-changed", CLIENTS, SERVERS),
    ("integer to number", {"type": "integer"}, {"type": "number"}, "type-changed", SERVERS, CLIENTS),
    ("format added", {"type": "string"}, {"type": "string", "format": "uuid"}, "format-changed", CLIENTS, SERVERS),
    ("format changed", {"format": "uuid"}, {"format": "date-time"}, "format-changed", BOTH, BOTH),
    (
        "anyOf null added",
        {"type": "string"},
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "alternative-added",
        SERVERS,
        CLIENTS,
    ),
    (
        "anyOf alternative removed",
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        {"anyOf": [{"type": "string"}]},
        "alternative-removed",
        CLIENTS,
        SERVERS,
    ),
    (
        "additional properties forbidden",
        {"type": "object"},
        {"type": "object", "additionalProperties": False},
        "additional-properties",
        CLIENTS,
        SERVERS,
    ),
    ("items type changed", {"items": {"type": "string"}}, {"items": {"type": "integer"}}, "type-changed", BOTH, BOTH),
]


@pytest.mark.parametrize(("name", "old", "new", "kind", "in_request", "in_response"), SCHEMA_RULES, ids=lambda v: v)
def test_schema_rule(name: str, old: dict, new: dict, kind: str, in_request: tuple, in_response: tuple):
    del name
    request = only(document(request=old), document(request=new))
    assert (request.kind, sides(request)) == (kind, in_request), request
    assert request.location.startswith("request body application/json $")
    response = only(document(response=old), document(response=new))
    assert (response.kind, sides(response)) == (kind, in_response), response
    assert response.location.startswith("response 200 application/json $")


def test_default_changes():
    changed = only(document(request={"default": 1}), document(request={"default": 2}))
    assert (changed.kind, sides(changed)) == ("default-changed", BOTH)
    assert sides(only(document(request={}), document(request={"default": 2}))) == SERVERS
    assert sides(only(document(request={"default": 1}), document(request={}))) == CLIENTS
    assert sides(only(document(response={"default": 1}), document(response={"default": 2}))) == NEITHER


QUERY = {"name": "q", "in": "query", "schema": {"type": "string"}}


@pytest.mark.parametrize(
    ("old", "new", "kind", "expected"),
    [
        ([], [QUERY], "parameter-added", SERVERS),
        ([], [{**QUERY, "required": True}], "parameter-added", BOTH),
        ([QUERY], [], "parameter-removed", CLIENTS),
        ([QUERY], [{**QUERY, "required": True}], "parameter-required", CLIENTS),
        ([{**QUERY, "required": True}], [QUERY], "parameter-optional", SERVERS),
        ([QUERY], [{**QUERY, "in": "header"}], "parameter-moved", BOTH),
    ],
)
def test_parameter_rule(old: list, new: list, kind: str, expected: tuple):
    change = only(document(parameters=old), document(parameters=new))
    assert (change.kind, sides(change)) == (kind, expected)
    assert change.operation == "POST /things/{thing_id}"


def test_parameter_schema_changes_are_request_changes():
    old = document(parameters=[{**QUERY, "schema": {"type": "integer", "maximum": 100}}])
    new = document(parameters=[{**QUERY, "schema": {"type": "integer", "maximum": 10}}])
    change = only(old, new)
    assert (change.location, change.kind, sides(change)) == ("parameter query q $", "constraint-tightened", CLIENTS)


def test_header_names_are_case_insensitive_and_path_renames_are_harmless():
    header = {"name": "X-Key", "in": "header", "schema": {"type": "string"}}
    assert diff(document(parameters=[header]), document(parameters=[{**header, "name": "x-key"}])) == []
    old = document()
    new = document()
    new["paths"] = {"/things/{id}": new["paths"].pop("/things/{thing_id}")}
    new["paths"]["/things/{id}"]["post"]["parameters"][0]["name"] = "id"
    change = only(old, new)
    assert (change.operation, change.kind, sides(change)) == ("POST /things/{id}", "path-renamed", NEITHER)


def test_operation_added_and_removed():
    old, new = document(), document()
    new["paths"]["/things/{thing_id}"]["get"] = {"responses": {"200": {"description": "ok"}}}
    added = only(old, new)
    assert (added.operation, added.kind, sides(added)) == ("GET /things/{thing_id}", "operation-added", SERVERS)
    removed = only(new, old)
    assert (removed.kind, sides(removed)) == ("operation-removed", CLIENTS)


def test_request_body_rules():
    without, required = document(), document(request=OBJ)
    optional = document(request=OBJ)
    optional["paths"]["/things/{thing_id}"]["post"]["requestBody"]["required"] = False
    assert (only(without, required).kind, sides(only(without, required))) == ("request-body-added", BOTH)
    assert sides(only(without, optional)) == SERVERS
    assert (only(required, without).kind, sides(only(required, without))) == ("request-body-removed", CLIENTS)
    assert (only(optional, required).kind, sides(only(optional, required))) == ("request-body-required", CLIENTS)
    assert (only(required, optional).kind, sides(only(required, optional))) == ("request-body-optional", SERVERS)


def test_content_type_rules():
    old = document(request=OBJ)
    new = copy.deepcopy(old)
    operation = new["paths"]["/things/{thing_id}"]["post"]
    operation["requestBody"]["content"]["application/x-www-form-urlencoded"] = {"schema": OBJ}
    operation["responses"]["200"]["content"]["text/event-stream"] = {"schema": {"type": "string"}}
    changes = {c.kind: sides(c) for c in diff(old, new)}
    assert changes == {"request-content-type-added": SERVERS, "response-content-type-added": CLIENTS}
    changes = {c.kind: sides(c) for c in diff(new, old)}
    assert changes == {"request-content-type-removed": CLIENTS, "response-content-type-removed": SERVERS}


def test_status_code_rules():
    old, new = document(), document()
    new["paths"]["/things/{thing_id}"]["post"]["responses"]["404"] = {"description": "missing"}
    added = only(old, new)
    assert (added.location, added.kind, sides(added)) == ("response 404", "response-status-added", CLIENTS)
    removed = only(new, old)
    assert (removed.kind, sides(removed)) == ("response-status-removed", SERVERS)


def test_refs_are_followed_not_compared_as_text():
    old = document(response={"$ref": "#/components/schemas/Thing"}, schemas={"Thing": OBJ_REQ})
    renamed = document(response={"$ref": "#/components/schemas/Item"}, schemas={"Item": OBJ_REQ})
    inline = document(response=OBJ_REQ)
    assert diff(old, renamed) == [] and diff(old, inline) == [] and diff(inline, renamed) == []
    changed = document(response={"$ref": "#/components/schemas/Thing"}, schemas={"Thing": OBJ})
    change = only(old, changed)
    assert (change.location, change.kind) == ("response 200 application/json $.a", "property-optional")


def test_recursive_schemas_terminate_and_report_once():
    def tree(leaf_type: str) -> dict:
        node = {
            "type": "object",
            "properties": {
                "value": {"type": leaf_type},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "parent": {"$ref": "#/components/schemas/Node"},
            },
        }
        return document(response={"$ref": "#/components/schemas/Node"}, schemas={"Node": node})

    assert diff(tree("string"), tree("string")) == []
    change = only(tree("string"), tree("integer"))
    assert change.location == "response 200 application/json $.value"


def test_all_of_extension_is_compared_merged():
    base = document(request={"$ref": "#/components/schemas/Run"}, schemas={"Run": OBJ})
    extended = document(
        request={"allOf": [{"$ref": "#/components/schemas/Run"}, {"properties": {"b": {"type": "integer"}}}]},
        schemas={"Run": OBJ},
    )
    change = only(base, extended)
    assert (change.location, change.kind, sides(change)) == (
        "request body application/json $.b",
        "property-added",
        SERVERS,
    )


def test_dangling_refs():
    dangling = document(response={"$ref": "#/components/schemas/Missing"})
    assert diff(dangling, copy.deepcopy(dangling)) == []
    fixed = document(response={"$ref": "#/components/schemas/Missing"}, schemas={"Missing": {"type": "object"}})
    kinds = {c.kind: sides(c) for c in diff(dangling, fixed)}
    assert kinds == {"ref-unresolved": NEITHER, "type-changed": SERVERS}


def test_deprecation_is_reported_but_not_breaking():
    change = only(document(), document(deprecated=True))
    assert (change.kind, sides(change)) == ("operation-deprecated", NEITHER)


def test_should_fail():
    client = Change("op", "x", "k", "m", True, False)
    server = Change("op", "x", "k", "m", False, True)
    harmless = Change("op", "x", "k", "m", False, False)
    assert not specupdate.should_fail([client, server], "never")
    assert specupdate.should_fail([harmless], "any") and not specupdate.should_fail([], "any")
    assert specupdate.should_fail([client], "breaking") and specupdate.should_fail([server], "breaking")
    assert not specupdate.should_fail([harmless], "breaking")
    for gate, hit, miss in (("client-breaking", client, server), ("server-breaking", server, client)):
        assert specupdate.should_fail([hit], gate) and not specupdate.should_fail([miss, harmless], gate)


# ------------------------------------------------------------------- coverage, vendoring, validity


def test_coverage_of_the_real_tests():
    covered = specupdate.coverage()
    assert "test_thread_state.py::test_fresh_thread_state_is_empty" in covered["GET /threads/{thread_id}/state"]
    assert any(t.startswith("test_thread_search.py::") for t in covered["POST /threads/search"])
    assert "test_threads.py::test_storage_of_a_new_thread_is_empty" in covered["GET /threads/{thread_id}/storage"]
    protocol = ("POST /threads/{thread_id}/stream/events", "POST /threads/{thread_id}/commands")
    assert all(any(t.startswith("test_protocol.py::") for t in covered[op]) for op in protocol)
    assert {"GET /mcp/", "DELETE /mcp/", "GET /docs"} <= set(covered)
    # Every operation of the contract has a behavioural test (64 of 64 for langgraph-api 0.16.7), helper
    # classes' operations included, and a cron or store search is not taken for the thread search.
    assert set(covered) == set(default_contract().operations)
    assert not [t for t in covered["POST /threads/search"] if t.startswith(("test_crons.py", "test_store.py"))]


def test_coverage_follows_constants_helpers_fixtures_and_flows(tmp_path: Path):
    (tmp_path / "flows.py").write_text(
        "class Api:\n"
        "    def create(self):\n"
        "        return self.contract.validate(x, 'POST /things', status=200)\n"
        "    def create_twice(self):\n"
        "        return self.create()\n"
        "    def search(self):\n"
        "        return self.contract.validate(x, 'POST /things/search')\n"
    )
    (tmp_path / "conftest.py").write_text(
        "import pytest\n@pytest.fixture\ndef made(api):\n    return api.contract.validate(e, 'PUT /made')\n"
    )
    (tmp_path / "test_things.py").write_text(
        "import re\n"
        "OP = 'GET /things/{id}'\n"
        "PATTERN = re.compile('x')\n"
        "class Crates:\n"
        "    def search(self):\n"
        "        operation = 'POST /crates/search' if self.deep else 'POST /crates/all'\n"
        "        return self.api.contract.validate(e, operation)\n"
        "def _get(api):\n    return api.contract.validate(e, OP, status=200)\n"
        "def test_direct(contract):\n    contract.validate(e, 'DELETE /things/{id}')\n"
        "def test_helper(api):\n    _get(api)\n"
        "def test_flow(api):\n    api.create_twice()\n"
        "def test_fixture(made):\n    pass\n"
        "def test_module_call_is_not_a_flow():\n    re.create_twice()\n"
        "def test_mentions_only(api):\n    print('GET /elsewhere')\n"
        "def test_own_class_not_the_flow(crates):\n    crates.search()\n"
        "def test_api_search_is_the_flow(api):\n    api.search()\n"
        "def test_pattern_search_is_no_flow(api):\n    PATTERN.search('y')\n"
        "def test_put_together(contract):\n"
        "    contract.validate(e, 'GET /things/{id}' + ('/parts/{part}' if deep else '/parts'))\n"
    )
    (tmp_path / "test_broken.py").write_text("def test_(:\n")
    covered = specupdate.coverage(tmp_path, tmp_path / "flows.py")
    assert covered == {
        "DELETE /things/{id}": ["test_things.py::test_direct"],
        "GET /things/{id}": ["test_things.py::test_helper"],
        "GET /things/{id}/parts": ["test_things.py::test_put_together"],
        "GET /things/{id}/parts/{part}": ["test_things.py::test_put_together"],
        "POST /crates/all": ["test_things.py::test_own_class_not_the_flow"],
        "POST /crates/search": ["test_things.py::test_own_class_not_the_flow"],
        "POST /things": ["test_things.py::test_flow"],
        "POST /things/search": ["test_things.py::test_api_search_is_the_flow"],
        "PUT /made": ["test_things.py::test_fixture"],
    }


def test_vendor_report_is_the_gate_with_the_reference_pin():
    report = specupdate.vendor_report(real("0.15.9"), real("0.16.7"), {"source": {"version": "9.9.9"}})
    assert "GET /threads/{thread_id}/storage" in report and "(errata applied to both)" in report
    assert "move LANGGRAPH_API_VERSION" in report and "9.9.9" in report
    assert "0 change(s)" in specupdate.vendor_report(real("0.16.7"), real("0.16.7"), {})


def test_wheel_openapi_reads_the_top_level_file(monkeypatch):
    """--version: pip downloads the wheel (faked here, no network) and openapi.json is read from the zip."""

    def fake_pip(command, **kwargs):
        folder = Path(command[command.index("-d") + 1])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as wheel:
            wheel.writestr("openapi.json", '{"openapi": "3.1.0", "paths": {}}')
            wheel.writestr("langgraph_api/__init__.py", "")
        (folder / "langgraph_api-9.9.9-py3-none-any.whl").write_bytes(buffer.getvalue())
        assert "langgraph-api==9.9.9" in command and "--no-deps" in command
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(vendor.subprocess, "run", fake_pip)
    assert json.loads(vendor.wheel_openapi("9.9.9")) == {"openapi": "3.1.0", "paths": {}}
    raw, source = vendor.read_source(version="9.9.9")
    assert source["version"] == "9.9.9" and json.loads(raw)["paths"] == {}

    def failing_pip(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found\n")

    monkeypatch.setattr(vendor.subprocess, "run", failing_pip)
    with pytest.raises(ValueError, match="No matching distribution"):
        vendor.wheel_openapi("0.0.0")


def test_openapi_validity():
    valid = real("0.16.7")
    assert specupdate.openapi_problems(valid) == []
    problems = specupdate.openapi_problems(real("0.4.48"))
    assert any("PointerToNowhere" in p and "Interrupt" in p for p in problems)
    broken = copy.deepcopy(valid)
    del broken["info"]
    assert any("'info' is a required property" in p.replace('"', "'") for p in specupdate.openapi_problems(broken))


def test_invalid_upstream_corrected_by_errata_passes(capsys):
    upstream = real("0.16.7")
    broken = copy.deepcopy(upstream)
    del broken["info"]
    assert specupdate.validity_problems(broken, upstream) == []
    assert "corrected by errata" in capsys.readouterr().out
    assert specupdate.validity_problems(broken, broken)


def test_spec_check_validates_the_vendored_document(capsys):
    assert main(["spec", "check"]) == 0


def test_nullable_is_a_keyword_only_in_openapi_3_0():
    def pair(version: str) -> list[Change]:
        old = document(response={"type": "object", "properties": {"a": {"type": "string"}}})
        new = document(response={"type": "object", "properties": {"a": {"type": "string", "nullable": True}}})
        old["openapi"] = new["openapi"] = version
        return diff(old, new)

    (ignored,) = pair("3.1.0")
    assert ignored.kind == "nullable-ignored" and (ignored.breaking_for_clients, ignored.breaking_for_servers) == (
        False,
        True,
    )
    (widened,) = pair("3.0.3")
    assert widened.kind == "type-changed" and widened.breaking_for_clients
    assert specgate.openapi30_keywords({"openapi": "3.1.0", "x": {"type": "string", "nullable": True}})
    assert not specgate.openapi30_keywords({"openapi": "3.1.0", "x": {"type": ["string", "null"], "nullable": True}})
    assert not specgate.openapi30_keywords({"openapi": "3.0.3", "x": {"type": "string", "nullable": True}})


def test_vendor_file_records_the_release_not_a_path(tmp_path: Path):
    wheel = tmp_path / "langgraph_api-9.9.9rc1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("openapi.json", '{"openapi": "3.1.0", "paths": {}}')
    provenance = vendor.vendor(tmp_path / "spec", file=str(wheel))
    assert provenance["source"] == {
        "kind": "package",
        "package": "langgraph-api",
        "version": "9.9.9rc1",
        "location": "langgraph_api-9.9.9rc1-py3-none-any.whl/openapi.json",
    }
    plain = tmp_path / "openapi.json"
    plain.write_text('{"openapi": "3.1.0", "paths": {}}')
    with pytest.raises(ValueError, match="--release"):
        vendor.vendor(tmp_path / "spec", file=str(plain))
    source = vendor.vendor(tmp_path / "spec", file=str(plain), release="langgraph-api==9.9.8")["source"]
    assert source["version"] == "9.9.8" and source["location"] == "openapi.json" and str(tmp_path) not in str(source)
    with pytest.raises(ValueError, match=r"not 9\.9\.8"):
        vendor.vendor(tmp_path / "spec", file=str(wheel), release="9.9.8")


def test_newest_release_and_pre_release():
    listed = "langgraph-api (0.18.0.dev12)\nAvailable versions: 0.18.0.dev12, 0.17.0rc6, 0.16.7, 0.16.6, 0.4.48\n"
    assert vendor.newest("latest", listed) == "0.16.7"
    assert vendor.newest("latest-pre", listed) == "0.18.0.dev12"
    with pytest.raises(ValueError):
        vendor.newest("latest", "nothing")

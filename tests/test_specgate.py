"""``conformance spec gate``: what vendoring a new document would do to certifications, on small documents
and on real releases; and the recorded run it replays.

The real documents in tests/data/specs/ are the openapi.json files of langgraph-api wheels (see the README
there); the small ones are in tests/data/gate/ (below).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from conformance.cli import main
from conformance.contract.document import load_errata, moved_upstream
from conformance.contract.exchanges import ExchangeFile, ExchangeLog
from conformance.paths import spec_dir
from conformance.spectools import gate as specgate
from conformance.spectools import gate_report
from conformance.spectools.loading import load_document
from conformance.spectools.severity import should_fail
from tests.test_specdiff import REPO, real

# Small documents in tests/data/gate/: base.json; optional-request-fields.json (an optional body field, an
# optional query parameter and a request enum value: nothing a server of base fails); removed-response-field
# .json (Thing.note gone: clients lose it); next.json (Thing.reason `nullable: true`, history `select` over
# Thing's fields, a response enum value dropped that a recorded answer has, history's description promising
# fewer than `limit`). exchanges.jsonl is a recorded run of four tests against base; errata.yaml one erratum.

GATE = Path(__file__).parent / "data" / "gate"
RECORDED = REPO / "reports" / "langgraph-api-0.16.7-inmem" / "exchanges.jsonl.gz"


def gate_of(new: str, exchanges: str | None = "exchanges.jsonl", **kwargs) -> gate_report.Gate:
    errata = load_errata(GATE / "errata.yaml")
    recording = GATE / exchanges if exchanges else None
    return specgate.run_gate(
        load_document(str(GATE / "base.json")), load_document(str(GATE / new)), errata, recording=recording, **kwargs
    )


def gate_cli(new: str, *extra: str) -> int:
    args = [str(GATE / new), "--old", str(GATE / "base.json"), "--errata", str(GATE / "errata.yaml")]
    return main(["spec", "gate", *args, "--exchanges", str(GATE / "exchanges.jsonl"), *extra])


def item(gate: gate_report.Gate, operation: str, location: str, kind: str) -> gate_report.Item:
    found = [
        i for i in gate.items if (i.change.operation, i.change.location, i.change.kind) == (operation, location, kind)
    ]
    assert len(found) == 1, f"{operation} {location} {kind}: {found or [i.change for i in gate.items]}"
    return found[0]


@pytest.mark.parametrize(
    ("new", "fail_on", "code"),
    [
        ("optional-request-fields.json", "breaking", 0),
        ("optional-request-fields.json", "server-breaking", 0),
        ("optional-request-fields.json", "warning", 1),
        ("removed-response-field.json", "breaking", 1),
        ("removed-response-field.json", "client-breaking", 1),
        ("removed-response-field.json", "server-breaking", 0),
        ("next.json", "server-breaking", 1),
        ("base.json", "any", 0),
    ],
)
def test_gate_fail_on_is_green_for_optional_inputs_and_red_for_a_removed_response_field(new, fail_on, code, capsys):
    assert gate_cli(new, "--fail-on", fail_on) == code
    # `spec diff` grades with the same levels
    assert main(["spec", "diff", str(GATE / "base.json"), str(GATE / new), "--fail-on", fail_on]) == (
        code if new != "next.json" else 1
    )


def test_gate_levels_can_be_retuned(tmp_path: Path, capsys):
    severity = tmp_path / "severity.yaml"
    severity.write_text("request-property-added-optional: {servers: error}\n")
    assert gate_cli("optional-request-fields.json", "--fail-on", "server-breaking", "--severity", str(severity)) == 1
    severity.write_text("response-property-removed: info\n")
    assert gate_cli("removed-response-field.json", "--fail-on", "breaking", "--severity", str(severity)) == 0
    severity.write_text("response-property-removed: fatal\n")
    assert gate_cli("removed-response-field.json", "--severity", str(severity)) == 2
    assert main(["spec", "gate", "--checks"]) == 0
    assert "request-property-added-optional" in capsys.readouterr().out


def test_gate_replays_the_recording_and_names_what_each_change_touches():
    gate = gate_of("next.json")
    # a recorded answer carries "closed", which the new document no longer allows: that test would now fail
    dropped = item(gate, "GET /things/{id}", "response 200 application/json $.status", "enum-value-removed")
    assert dropped.would_fail == ["conformance/tests/test_things.py::test_get"]
    assert dropped.exercised == ["conformance/tests/test_things.py::test_get"]
    assert list(gate.would_fail) == ["conformance/tests/test_things.py::test_get"] and not gate.unattributed
    # `nullable: true` in a 3.1 document: null put into the recorded answers fails them
    for operation, path, tests in (
        ("GET /things/{id}", "$.reason", ["test_get"]),
        ("POST /things/search", "$[].reason", ["test_search"]),
        ("GET /things/{id}/history", "$[].reason", ["test_history", "test_history_limit"]),
    ):
        nullable = item(gate, operation, f"response 200 application/json {path}", "nullable-ignored")
        assert nullable.levels == {"clients": "info", "servers": "error"}
        assert nullable.predicted_tests == [f"conformance/tests/test_things.py::{t}" for t in tests]
        assert nullable.exercised == []  # no recorded answer has the new field
    assert any("reason" in k and "nullable" in k for k in gate.keywords)
    # `select` over Thing's fields, and no select erratum for the operation: Thing's required cannot hold
    projection = item(gate, "GET /things/{id}/history", "parameter query select", "response-projection")
    assert "Thing requires id, name" in projection.change.message and projection.levels["servers"] == "error"
    assert projection.predicted_tests == [
        "conformance/tests/test_properties.py::test_operation[GET /things/{id}/history]"
    ]
    select = item(gate, "GET /things/{id}/history", "parameter query select", "parameter-added")
    assert select.exercised == [] and select.levels == {"clients": "info", "servers": "warning"}
    # the description now allows fewer than `limit`: for review, with the tests of that operation
    (description,) = gate.descriptions
    assert description.obligation and description.operations == ["GET /things/{id}/history"]
    assert description.added == ["Can return fewer than `limit` versions; page with `before`."]
    assert description.tests == [
        "conformance/tests/test_things.py::test_history",
        "conformance/tests/test_things.py::test_history_limit",
    ]
    text = gate_report.render_text(gate)
    assert "would now fail: 1 test(s)" in text and "changes no recorded test exercises" in text
    payload = json.loads(gate_report.render_json(gate))
    assert payload["summary"]["would_now_fail_tests"] == 1 and payload["summary"]["description_obligations"] == 1
    assert "| Operation |" in gate_report.render_markdown(gate)


def test_gate_exercised_means_the_field_or_value_not_the_operation():
    gate = gate_of("optional-request-fields.json")
    value = item(gate, "POST /things/search", "request body application/json $.status", "enum-value-added")
    assert value.exercised == [] and "the field itself: 1 test(s)" in value.subject
    assert (
        item(gate, "POST /things/search", "request body application/json $.exclude", "property-added").exercised == []
    )
    removed = gate_of("removed-response-field.json")
    note = item(removed, "POST /things/search", "response 200 application/json $[].note", "property-removed")
    assert note.exercised == ["conformance/tests/test_things.py::test_search"]
    assert item(removed, "GET /things/{id}", "response 200 application/json $.note", "property-removed").exercised == []
    without = gate_of("next.json", exchanges=None)
    assert all(i.exercised is None for i in without.items) and not without.would_fail


def test_gate_applies_the_errata_to_both_sides_and_says_when_one_no_longer_applies():
    gate = gate_of("base.json")
    assert gate.items == [] and gate.errata == []
    assert gate.new.document["components"]["schemas"]["Thing"]["properties"]["name"]["type"] == ["string", "null"]
    moved = load_document(str(GATE / "base.json"))
    del moved["components"]["schemas"]["Thing"]["properties"]["name"]
    errata = load_errata(GATE / "errata.yaml")
    gone = specgate.run_gate(load_document(str(GATE / "base.json")), moved, errata)
    assert any("F001 does not apply" in p for p in gone.errata)
    changed = load_document(str(GATE / "base.json"))
    changed["components"]["schemas"]["Thing"]["properties"]["name"]["type"] = "integer"
    fixed = specgate.run_gate(load_document(str(GATE / "base.json")), changed, errata)
    assert any("F001: upstream changed" in p for p in fixed.errata)
    assert should_fail(fixed.levels(), "server-breaking")


def test_gate_on_0_16_7_to_0_17_0rc6_names_cancel_reason_history_select_and_the_untested():
    recording = RECORDED if RECORDED.exists() else None
    errata = load_errata(spec_dir() / "errata.yaml")
    gate = specgate.run_gate(real("0.16.7"), real("0.17.0rc6"), errata, recording=recording)
    runs = {
        "GET /threads/{thread_id}/runs": "$[].cancel_reason",
        "GET /threads/{thread_id}/runs/{run_id}": "$.cancel_reason",
        "POST /threads/{thread_id}/runs": "$.cancel_reason",
    }
    for operation, path in runs.items():
        nullable = item(gate, operation, f"response 200 application/json {path}", "nullable-ignored")
        assert nullable.levels["servers"] == "error"
    for operation, where in (
        ("GET /threads/{thread_id}/history", "parameter query select"),
        ("POST /threads/{thread_id}/history", "request body application/json $.select"),
    ):
        projection = item(gate, operation, where, "response-projection")
        assert "ThreadState requires" in projection.change.message
    obligations = {d.pointer for d in gate.descriptions if d.obligation}
    assert "/paths/~1threads~1{thread_id}~1history/get/description" in obligations
    assert any("stream~1events" in p for p in obligations)
    assert should_fail(gate.levels(), "server-breaking")
    if recording is None:
        pytest.skip("no recorded reference run in this checkout")
    assert gate.would_fail == {}  # 0.16.7's own answers still validate
    predicted = {t for i in gate.items if i.change.kind == "nullable-ignored" for t in i.predicted_tests}
    assert len(predicted) > 100  # every test that received a Run
    untested = {(i.change.operation, i.change.location) for i in gate.items if i.exercised == []}
    assert ("POST /threads/search", "request body application/json $.exclude_metadata") in untested
    assert ("GET /threads/{thread_id}/history", "parameter query select") in untested


def test_gate_on_0_17_0rc6_to_0_18_0dev12_only_warns_servers():
    errata = load_errata(spec_dir() / "errata.yaml")
    gate = specgate.run_gate(real("0.17.0rc6"), real("0.18.0.dev12"), errata)
    assert len(gate.items) == 15 and gate.keywords == []  # cancel_reason's nullable was already there
    assert {i.levels["servers"] for i in gate.items} == {"warning"}
    assert not should_fail(gate.levels(), "breaking")
    assert gate.descriptions and not any(d.obligation for d in gate.descriptions)  # a link moved


def test_spec_check_notices_a_moved_upstream_value_and_requires_it_recorded():
    upstream = load_document(str(GATE / "base.json"))
    errata = load_errata(GATE / "errata.yaml")
    assert moved_upstream(upstream, errata) == []
    upstream["components"]["schemas"]["Thing"]["properties"]["name"]["type"] = ["string", "null"]
    (problem,) = moved_upstream(upstream, errata)
    assert "F001: upstream changed" in problem and '["string", "null"]' in problem
    unrecorded = [dataclasses.replace(errata[0], has_upstream=False)]
    assert "must record `upstream:`" in moved_upstream(upstream, unrecorded)[0]


def test_recorded_exchanges_are_teed_without_changing_what_the_client_reads():
    class Wire(httpx.SyncByteStream):  # as the network delivers a body: in chunks, read by the client
        def __iter__(self):
            yield b'{"id": '
            yield b'"t1"}'

    log = ExchangeLog(lambda value: value, prefix="w-")
    with httpx.Client(base_url="http://target") as client:
        request = client.build_request("POST", "/things/search", params={"limit": 2}, json={"status": "open"})
    response = httpx.Response(200, headers={"content-type": "application/json"}, stream=Wire(), request=request)
    log.watch(request, response, ["test_a", ("fixture", "")])
    response.read()
    response.close()
    assert response.json() == {"id": "t1"}
    carried = json.loads(log.take(["test_a"]))
    (key,) = carried["keys"]
    assert carried["new"][key] == {
        "method": "POST",
        "path": "/things/search",
        "query": [["limit", "2"]],
        "status": 200,
        "content_type": "application/json",
        "request": {"status": "open"},
        "body": {"id": "t1"},
    }
    assert json.loads(log.take([("fixture", "")])) == {"keys": [key], "new": {}}  # carried once, counted twice
    written = ExchangeFile()
    written.add("test_a", json.dumps(carried))
    written.add("test_b", log.take([("fixture", "")]))
    records = [r for r in (written.payloads[k] | {"tests": written.tests[k]} for k in written.payloads)]
    assert records[0]["tests"] == ["test_a", "test_b"]

"""``conformance spec gate``: what vendoring a new upstream document would do to certifications.

``conformance spec diff`` lists what changed between two documents. That is not yet what a maintainer
must decide on: whether the suite, once the new document is vendored, fails servers that did nothing
wrong, and whether anything the suite checks moved under its feet. So the gate (:func:`run_gate`):

* compares the **contract the suite checks**, not the raw documents: both sides with today's errata
  applied (:func:`conformance.contract.document.apply_errata`, the one way the suite applies them), and
  ``nullable`` read as the JSON Schema 2020-12 validator reads a 3.1 document (not at all);
* **replays a recorded run** (recording.py) through the new contract: every recorded answer that
  validated against the old contract and fails the new one is a test that *would now fail*, attributed
  to the change at that place;
* **predicts** what the recording cannot show: a field declared ``nullable: true`` in a 3.1 document is
  a CONTRACT-SCHEMA failure on every answer that carries null (simulated: null put into the recorded
  answers at that place), and a new ``select``-like input that cuts the answer to chosen fields breaks
  the response schema's ``required`` unless the contract knows that operation's projection (E006, E012);
* names, per change, the tests that **exercise the changed field, parameter or enum value** (from the
  recorded requests and answers: who sent ``select`` to this operation, who received ``cancel_reason``),
  and the changes no test exercises.

Its other rooms: severity.py (each check's level per side, ``--fail-on``), descriptions.py (wording
changes to review), gate_report.py (what the gate found, as text, markdown or JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from conformance.contract.document import Contract, Erratum, apply_errata, load_errata, moved_upstream
from conformance.spectools.descriptions import description_changes
from conformance.spectools.diff import Change, diff, operations
from conformance.spectools.gate_report import RENDERERS, Gate, Item, Side, render_checks
from conformance.spectools.loading import SpecLoadError, load_document
from conformance.spectools.recording import (
    Recorded,
    default_recording,
    found_at,
    load_recording,
    place_of,
    places,
    selected,
    split_location,
)
from conformance.spectools.schemadiff import is_openapi_30, nullable_ignored
from conformance.spectools.severity import FAIL_ON, check_id, levels_of, load_severity, should_fail

# -------------------------------------------------------------------------------------- the contract


def contract_of(label: str, upstream: dict[str, Any], errata: list[Erratum]) -> Side:
    document, skipped = apply_errata(upstream, errata, strict=False)
    applied = [e for e in errata if e.id not in skipped]
    side = Side(label, upstream, document, [f"erratum {k} does not apply: {v}" for k, v in skipped.items()])
    try:
        side.contract = Contract(upstream, applied)
    except Exception as exc:  # a document the validator cannot load: the gate still diffs it
        side.skipped.append(f"the contract cannot be built: {exc}")
    return side


def openapi30_keywords(document: dict[str, Any]) -> list[str]:
    """OpenAPI 3.0 keywords a 3.1 document uses as if they still meant something: ``nullable: true`` on a
    schema that admits no null (E002's kind), a boolean ``exclusiveMinimum``/``exclusiveMaximum``."""
    if is_openapi_30(document):
        return []
    found: list[str] = []

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            if nullable_ignored(node):
                found.append(f"{pointer}: `nullable: true` (OpenAPI 3.0) is ignored in 3.1: null is rejected")
            for key in ("exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(node.get(key), bool):
                    found.append(f"{pointer}: boolean `{key}` is OpenAPI 3.0; 3.1 needs the bound itself")
            for key, value in node.items():
                walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{pointer}/{index}")

    walk(document, "")
    return found


# ------------------------------------------------------------------------------------------- the gate


def _projection(change: Change, new: Side) -> tuple[str, list[str]] | None:
    """A new input whose values name the answer's fields (``select``): (the response schema, its required)."""
    if change.kind not in ("parameter-added", "property-added") or not change.location.startswith(
        ("parameter", "request")
    ):
        return None
    values = _input_values(change, new.document)
    if len(values) < 3:
        return None
    for method_path, (_path, _item, operation) in operations(new.document).items():
        if f"{method_path[0]} {_path}" != change.operation:
            continue
        response = ((operation.get("responses") or {}).get("200") or {}).get("content") or {}
        schema = (response.get("application/json") or {}).get("schema")
        target, name = _object_of(schema, new.document)
        fields = set((target or {}).get("properties") or {})
        if fields and len({v.split(".", 1)[0] for v in values} & fields) >= min(3, len(values)):
            return name, sorted(set(target.get("required") or []))
    return None


def _resolve(node: Any, document: dict[str, Any]) -> tuple[Any, str]:
    name = ""
    for _ in range(10):
        if not (isinstance(node, dict) and "$ref" in node):
            break
        name = node["$ref"].rsplit("/", 1)[-1]
        found: Any = document
        for token in node["$ref"][2:].split("/"):
            found = found.get(token.replace("~1", "/").replace("~0", "~"), {}) if isinstance(found, dict) else {}
        node = found
    return node, name


def _object_of(schema: Any, document: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    schema, name = _resolve(schema, document)
    if isinstance(schema, dict) and schema.get("type") == "array":
        schema, name = _resolve(schema.get("items"), document)
    return (schema, name) if isinstance(schema, dict) and schema.get("properties") else (None, name)


def _input_values(change: Change, document: dict[str, Any]) -> list[str]:
    """The enum values a new parameter or body field accepts (through items and anyOf)."""
    schema: Any = None
    for method_path, (_path, item, operation) in operations(document).items():
        if f"{method_path[0]} {_path}" != change.operation:
            continue
        if change.location.startswith("parameter"):
            name = change.location.split()[-1]
            for parameter in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
                parameter = _resolve(parameter, document)[0]
                if isinstance(parameter, dict) and parameter.get("name") == name:
                    schema = parameter.get("schema")
        else:
            _head, tokens = split_location(change.location)
            body = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
            schema = _resolve(body.get("schema"), document)[0]
            for kind, name in tokens:
                schema = _resolve(schema, document)[0]
                if kind == "key":
                    schema = ((schema or {}).get("properties") or {}).get(name)
    values: list[str] = []

    def collect(node: Any, depth: int = 0) -> None:
        node = _resolve(node, document)[0]
        if not isinstance(node, dict) or depth > 5:
            return
        values.extend(str(v) for v in node.get("enum") or [] if isinstance(v, str))
        for key in ("anyOf", "oneOf"):
            for alternative in node.get(key) or []:
                collect(alternative, depth + 1)
        if "items" in node:
            collect(node["items"], depth + 1)

    collect(schema)
    return values


def _exercised(change: Change, records: list[Recorded]) -> tuple[str, list[str]]:
    """(what was looked for, the tests whose recorded exchanges show it) for one change."""
    mine = [r for r in records if r.operation == change.operation]
    head, tokens = split_location(change.location)
    kind = change.kind
    values: list[Any] = []
    if kind.startswith("enum-value"):
        values = json.loads(change.message.split(": ", 1)[1]) if ": [" in change.message else []
    if kind == "operation-added":
        return "a request to the operation", []
    if head.startswith("parameter"):
        name = head.split()[-1]
        hits = [r for r in mine if name in r.query]
        if values:
            sending = _tests(hits)
            hits = [r for r in hits if set(map(str, values)) & set(r.query[name])]
            shown = ", ".join(map(str, values))
            return f"query parameter {name} = {shown}; the parameter itself: {len(sending)} test(s)", _tests(hits)
        return f"query parameter {name}", _tests(hits)
    if head.startswith("request body"):
        hits = [r for r in mine if found_at(r.raw.get("request"), tokens)]
        what = f"request field {place_of(tokens)}"
        if values:
            sending = _tests(hits)
            hits = [r for r in hits if any(_has_value(v, values) for v in found_at(r.raw.get("request"), tokens))]
            return f"{what} = {', '.join(map(str, values))}; the field itself: {len(sending)} test(s)", _tests(hits)
        return what, _tests(hits)
    if head.startswith("response"):
        status = head.split()[1]
        answered = [r for r in mine if str(r.raw.get("status")) == status or status in ("DEFAULT",)]
        if not tokens and kind.startswith("response-status"):
            return f"an answer with status {status}", _tests(answered)
        hits = [r for r in answered if any(v is not None for v in found_at(r.raw.get("body"), tokens))]
        what = f"response field {place_of(tokens)} (status {status})"
        if values:
            hits = [r for r in hits if any(_has_value(v, values) for v in found_at(r.raw.get("body"), tokens))]
            return f"{what} = {', '.join(map(str, values))}", _tests(hits)
        return what, _tests(hits)
    return "a request to the operation", _tests(mine)


def _has_value(found: Any, values: list[Any]) -> bool:
    return any(found == v or (isinstance(found, list) and v in found) for v in values)


def _tests(records: list[Recorded]) -> list[str]:
    return sorted({t for r in records for t in r.tests})


def _inject_null(body: Any, tokens: list[tuple[str, str]]) -> bool:
    """Put null at the change's place in every parent object present; True when there was one."""
    if not tokens or tokens[-1][0] != "key":
        return False
    parents = [p for p in found_at(body, tokens[:-1]) if isinstance(p, dict)]
    for parent in parents:
        parent[tokens[-1][1]] = None
    return bool(parents)


def run_gate(
    old_upstream: dict[str, Any],
    new_upstream: dict[str, Any],
    errata: list[Erratum],
    *,
    labels: tuple[str, str] = ("OLD", "NEW"),
    recording: Path | None = None,
    severity: dict[str, dict[str, str]] | None = None,
) -> Gate:
    severity = severity or {}
    old = contract_of(labels[0], old_upstream, errata)
    new = contract_of(labels[1], new_upstream, errata)
    changes = diff(old.document, new.document)
    items = [Item(c, check_id(c), levels_of(c, severity)) for c in changes]
    records = load_recording(recording, old.contract) if recording and old.contract is not None else None

    # A projection the contract does not know: the response's `required` no longer holds for such answers.
    from conformance.contract.document import SELECT_ERRATA

    for item in list(items):
        projection = _projection(item.change, new)
        if projection is None or item.change.operation in SELECT_ERRATA:
            continue
        schema, required = projection
        name = item.change.location.split()[-1] if item.change.location.startswith("parameter") else "the field"
        change = Change(
            item.change.operation,
            item.change.location,
            "response-projection",
            f"{name} cuts the answer to the selected fields, but {schema} requires {', '.join(required)} and "
            "the contract validates that on every answer (no erratum like E012 for this operation)",
            False,
            True,
        )
        label = f"test_properties.py::test_operation[{item.change.operation}]"
        items.append(
            Item(
                change,
                "response-projection",
                levels_of(change, severity),
                predicted=f"the property layer sends {name} once vendored: {label} fails on a server that honours it",
                predicted_tests=[f"conformance/tests/{label}"],
            )
        )

    gate = Gate(
        old,
        new,
        items,
        description_changes(old.upstream, new.upstream),
        [*new.skipped, *moved_upstream(new.upstream, errata)],
        sorted(set(openapi30_keywords(new.document)) - set(openapi30_keywords(old.document))),
        str(recording) if recording else None,
    )
    for description in gate.descriptions:
        side = "warning" if description.obligation else "info"
        description.levels = dict(severity.get("description-changed") or {"clients": side, "servers": side})
    if records is None or old.contract is None or new.contract is None:
        return gate

    for item in gate.items:
        item.subject, item.exercised = _exercised(item.change, records)
    for description in gate.descriptions:
        description.tests = _tests([r for r in records if r.operation in description.operations])

    # Replay: every recorded JSON answer through both contracts.
    by_operation: dict[str, list[Item]] = {}
    for item in gate.items:
        by_operation.setdefault(item.change.operation, []).append(item)
    cache: dict[tuple[str, int, str], set[str]] = {}
    for record in records:
        raw = record.raw
        if "body" not in raw or record.operation.endswith("(undocumented)"):
            continue
        gate.replayed += 1
        status, content_type, body = int(raw["status"]), str(raw.get("content_type") or ""), raw["body"]
        key = (record.operation, status, json.dumps([body, raw.get("request"), raw.get("query")], sort_keys=True))
        if key not in cache:
            before = places(old.contract, record.operation, status, content_type, body, selected(record, old.contract))
            after = places(new.contract, record.operation, status, content_type, body, selected(record, new.contract))
            cache[key] = after - before
        for place in sorted(cache[key]):
            shown = f"{record.operation} -> {status} at {place}"
            owners = [
                i
                for i in by_operation.get(record.operation, [])
                if (
                    place.startswith("(status")
                    and i.change.kind == "response-status-removed"
                    and i.change.location == f"response {status}"
                )
                or (
                    place.startswith("$")
                    and i.change.location.startswith(f"response {status} ")
                    and place.startswith(place_of(split_location(i.change.location)[1]))
                )
            ]
            for test in record.tests:
                gate.would_fail.setdefault(test, [])
                if shown not in gate.would_fail[test]:
                    gate.would_fail[test].append(shown)
                for owner in owners:
                    if test not in owner.would_fail:
                        owner.would_fail.append(test)
                if not owners:
                    gate.unattributed.setdefault(shown, [])
                    if test not in gate.unattributed[shown]:
                        gate.unattributed[shown].append(test)

    # Prediction: null where a 3.1 document says `nullable: true`, as the new release's server sends it.
    for item in gate.items:
        if item.change.kind != "nullable-ignored" or not item.change.location.startswith("response"):
            continue
        head, tokens = split_location(item.change.location)
        status = head.split()[1]
        hit: set[str] = set()
        for record in records:
            raw = record.raw
            if record.operation != item.change.operation or str(raw.get("status")) != status or "body" not in raw:
                continue
            body = json.loads(json.dumps(raw["body"]))
            if not _inject_null(body, tokens):
                continue
            content_type = str(raw.get("content_type") or "")
            if places(new.contract, record.operation, int(status), content_type, body, selected(record, new.contract)):
                hit.update(record.tests)
        item.predicted_tests = sorted(hit)
        item.predicted = (
            f"a server that sends null there (as the document means) fails CONTRACT-SCHEMA in {len(hit)} test(s) "
            "(null put into the recorded answers and validated)"
        )
    for item in gate.items:
        item.would_fail.sort()
    return gate


# ------------------------------------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("new", nargs="?", help="file, URL or langgraph-api==VERSION: the document to vendor next")
    parser.add_argument("--old", help="the document today (default: the vendored spec/openapi.yaml)")
    parser.add_argument("--errata", help="the errata overlay (default: the suite's spec/errata.yaml)")
    parser.add_argument(
        "--exchanges",
        help="a recorded run (--record-exchanges) to replay; default: the reference's, when the checkout has it; "
        "'none' for none",
    )
    parser.add_argument("--format", choices=sorted(RENDERERS), default="text")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="never", help="exit 1 at this level (breaking = error)")
    parser.add_argument("--severity", help="YAML file: check id -> level, or {clients: level, servers: level}")
    parser.add_argument("--checks", action="store_true", help="list the checks and their default levels")


def run(args: argparse.Namespace) -> int:
    """``conformance spec gate``: 0, 1 when --fail-on matched, 2 when a document or file cannot be read."""
    from conformance.paths import spec_dir

    if args.checks:
        sys.stdout.write(render_checks())
        return 0
    if not args.new:
        print("error: name the new document (file, URL or langgraph-api==X)", file=sys.stderr)
        return 2
    from conformance.spectools.vendor import resolve

    try:
        args.new, args.old = resolve(args.new), resolve(args.old) if args.old else None
        old, new = load_document(args.old or str(spec_dir() / "openapi.yaml")), load_document(args.new)
        errata = load_errata(Path(args.errata) if args.errata else spec_dir() / "errata.yaml")
        severity = load_severity(args.severity)
    except (SpecLoadError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    recording = None if args.exchanges == "none" else Path(args.exchanges) if args.exchanges else default_recording()
    if recording is not None and not recording.exists():
        print(f"error: {recording}: no such recording", file=sys.stderr)
        return 2
    old_label = args.old or "spec/openapi.yaml"
    gate = run_gate(old, new, errata, labels=(old_label, args.new), recording=recording, severity=severity)
    sys.stdout.write(RENDERERS[args.format](gate))
    return 1 if should_fail(gate.levels(), args.fail_on) else 0

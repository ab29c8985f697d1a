"""``conformance spec gate``: what vendoring a new upstream document would do to certifications.

``conformance spec diff`` lists what changed between two documents. That is not yet what a maintainer
must decide on: whether the suite, once the new document is vendored, fails servers that did nothing
wrong, and whether anything the suite checks moved under its feet. So the gate:

* compares the **contract the suite checks**, not the raw documents: both sides with today's errata
  applied (:func:`conformance.contract.document.apply_errata`, the one way the suite applies them), and
  ``nullable`` read as the JSON Schema 2020-12 validator reads a 3.1 document (not at all);
* **replays a recorded run** (``--record-exchanges``; the reference's is committed beside its report)
  through the new contract: every recorded answer that validated against the old contract and fails the
  new one is a test that *would now fail*, attributed to the change at that place;
* **predicts** what the recording cannot show: a field declared ``nullable: true`` in a 3.1 document is
  a CONTRACT-SCHEMA failure on every answer that carries null (simulated: null put into the recorded
  answers at that place), and a new ``select``-like input that cuts the answer to chosen fields breaks
  the response schema's ``required`` unless the contract knows that operation's projection (E006, E012);
* names, per change, the tests that **exercise the changed field, parameter or enum value** (from the
  recorded requests and answers: who sent ``select`` to this operation, who received ``cancel_reason``),
  and the changes no test exercises;
* lists **description changes** for review, flagging those whose new sentences read like an obligation
  ("can return fewer than `limit` states", "ends the stream with an error frame");
* grades every check with a **severity per side** (error, warning, info) that a file can retune, like
  oasdiff's: ``--fail-on breaking`` fails on errors only. A new optional request field is a *warning*
  for servers (a server that ignores it still passes every test the suite has), a removed response field
  an *error* for clients.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.contract.document import Contract, Erratum, apply_errata, load_errata, moved_upstream
from conformance.spectools.diff import (
    Change,
    SpecLoadError,
    diff,
    is_openapi_30,
    load_document,
    nullable_ignored,
    operations,
)

LEVELS = ("info", "warning", "error")
SIDES = ("clients", "servers")
FAIL_ON = ("never", "any", "warning", "breaking", "client-breaking", "server-breaking")

# The level of a check for a side it breaks, where it is not "error". Everything a side does not break is
# "info". Why these are warnings for servers: a server of the old release that ignores a new optional input
# (or does not yet accept a new value) still passes every test the suite has; it becomes an obligation
# when a scenario exercises it, which the gate's "exercised by" column shows. A new operation is an error:
# the property layer checks every operation of the document (OPERATION-AVAILABLE).
DEFAULT_LEVELS: dict[str, dict[str, str]] = {
    "parameter-added-optional": {"servers": "warning"},
    "parameter-optional": {"servers": "warning"},
    "request-body-added-optional": {"servers": "warning"},
    "request-body-optional": {"servers": "warning"},
    "request-content-type-added": {"servers": "warning"},
    "request-property-added-optional": {"servers": "warning"},
    "request-property-optional": {"servers": "warning"},
    "request-enum-value-added": {"servers": "warning"},
    "request-enum-removed": {"servers": "warning"},
    "request-constraint-loosened": {"servers": "warning"},
    "request-alternative-added": {"servers": "warning"},
    "request-type-changed-widened": {"servers": "warning"},
    "request-format-changed-widened": {"servers": "warning"},
    "request-additional-properties-widened": {"servers": "warning"},
    "request-default-added": {"servers": "warning"},
    "response-status-added": {"clients": "warning"},
}
# Checks whose side depends on the direction of the edit: their id names it.
BY_EFFECT = ("type-changed", "format-changed", "composition-changed", "additional-properties", "items-changed")
# Description sentences that read like an obligation (what a server may, must or will do).
OBLIGATION = re.compile(
    r"\b(can(not)?|may|might|must|should|shall|will|never|always|only|fewer|more than|at (most|least)|"
    r"errors?|fail\w*|ends?|required|ignored?|instead)\b",
    re.I,
)
URL = re.compile(r"\(?https?://[^\s)]+\)?")
SHOWN_TESTS = 6


# ------------------------------------------------------------------------------------------- checks


def check_id(change: Change) -> str:
    """The check a change is an instance of, named as in DEFAULT_LEVELS and ``--severity`` files."""
    kind, where = change.kind, change.location
    if kind in ("parameter-added", "property-added", "request-body-added"):
        kind += "-required" if "(required)" in change.message else "-optional"
    if kind in BY_EFFECT:
        sides = (change.breaking_for_clients, change.breaking_for_servers)
        request = where.startswith(("parameter", "request"))
        widened = (False, True) if request else (True, False)
        kind += "-incompatible" if all(sides) else "-widened" if sides == widened else "-narrowed"
    if kind == "default-changed":
        sides = (change.breaking_for_clients, change.breaking_for_servers)
        kind = {(False, True): "default-added", (True, False): "default-removed"}.get(sides, "default-changed")
    if kind.startswith(("operation-", "parameter-", "path-", "request-", "response-", "description-")):
        return kind
    if where.startswith("parameter"):
        return f"request-{kind}"  # a parameter's schema is read like a request field's
    return f"{'response' if where.startswith('response') else 'request'}-{kind}"


def load_severity(path: str | None) -> dict[str, dict[str, str]]:
    """A severity file: ``check-id: level`` (both sides) or ``check-id: {clients: level, servers: level}``."""
    if not path:
        return {}
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a mapping of check id to a level or {{clients, servers}}")
    table: dict[str, dict[str, str]] = {}
    for check, value in data.items():
        levels = {side: value for side in SIDES} if isinstance(value, str) else dict(value or {})
        for side, level in levels.items():
            if side not in SIDES or level not in LEVELS:
                raise ValueError(f"{path}: {check}: {side}: {level!r} (sides {SIDES}, levels {LEVELS})")
        table[str(check)] = levels
    return table


def levels_of(change: Change, overrides: dict[str, dict[str, str]]) -> dict[str, str]:
    check = check_id(change)
    found = {}
    for side, breaks in zip(SIDES, (change.breaking_for_clients, change.breaking_for_servers), strict=True):
        if side in overrides.get(check, {}):
            found[side] = overrides[check][side]
        elif breaks:
            found[side] = DEFAULT_LEVELS.get(check, {}).get(side, "error")
        else:
            found[side] = "info"
    return found


def should_fail(levels: list[dict[str, str]], fail_on: str) -> bool:
    """The ``--fail-on`` gate over the levels of every reported item."""
    if fail_on == "any":
        return bool(levels)
    if fail_on == "warning":
        return any(v in ("warning", "error") for lv in levels for v in lv.values())
    if fail_on == "breaking":
        return any("error" in lv.values() for lv in levels)
    if fail_on in ("client-breaking", "server-breaking"):
        side = fail_on.split("-")[0] + "s"
        return any(lv.get(side) == "error" for lv in levels)
    return False


# -------------------------------------------------------------------------------------- the contract


@dataclass
class Side:
    """One document as the suite would check it."""

    label: str
    upstream: dict[str, Any]
    document: dict[str, Any]  # with the spec-bug errata applied
    skipped: list[str]  # errata that do not apply to this document
    contract: Contract | None = None


def contract_of(label: str, upstream: dict[str, Any], errata: list[Erratum]) -> Side:
    document, skipped = apply_errata(upstream, errata, strict=False)
    applied = [e for e in errata if e.id not in skipped]
    side = Side(label, upstream, document, [f"erratum {k} does not apply: {v}" for k, v in skipped.items()])
    try:
        side.contract = Contract(upstream, applied)
    except Exception as exc:  # a document the validator cannot load: the gate still diffs it
        side.skipped.append(f"the contract cannot be built: {exc}")
    return side


# --------------------------------------------------------------------------------------- locations

_TOKEN = re.compile(r'\.([A-Za-z_][\w-]*)|\[("(?:[^"\\]|\\.)*")\]|(\[\])|(\.\*)|(<[^>]*>)')


def split_location(location: str) -> tuple[str, list[tuple[str, str]]]:
    """("response 200 application/json", [("key", "tasks"), ("items", ""), ...]) from a change's location."""
    head, _, path = location.partition(" $")
    tokens = []
    for match in _TOKEN.finditer(path):
        name, quoted, items, values, _alt = match.groups()
        if name:
            tokens.append(("key", name))
        elif quoted:
            tokens.append(("key", json.loads(quoted)))
        elif items:
            tokens.append(("items", ""))
        elif values:
            tokens.append(("values", ""))
    return head.strip(), tokens


def found_at(value: Any, tokens: list[tuple[str, str]]) -> list[Any]:
    """The values at a change's path in a JSON instance (an array's items and a map's values all count)."""
    current = [value]
    for kind, name in tokens:
        following: list[Any] = []
        for node in current:
            if kind == "key" and isinstance(node, dict) and name in node:
                following.append(node[name])
            elif kind == "items" and isinstance(node, list):
                following.extend(node)
            elif kind == "values" and isinstance(node, dict):
                following.extend(node.values())
        current = following
    return current


def place_of(tokens: list[tuple[str, str]]) -> str:
    """The change's path written as the contract writes the place of a schema error (``$[*]['run_id']``)."""
    return "$" + "".join(f"[{n!r}]" if k == "key" else "[*]" for k, n in tokens)


# ----------------------------------------------------------------------------------------- recording


@dataclass
class Recorded:
    """A recorded exchange, placed on the old contract's operation."""

    operation: str
    tests: list[str]
    raw: dict[str, Any]

    @property
    def query(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for key, value in self.raw.get("query") or ():
            found.setdefault(key, []).append(value)
        return found


def load_recording(path: Path, contract: Contract) -> list[Recorded]:
    from conformance.contract.document import operation_of
    from conformance.contract.exchanges import read

    return [Recorded(operation_of(x["method"], x["path"], contract), list(x.get("tests") or []), x) for x in read(path)]


def recorded_coverage(path: Path, contract: Contract) -> dict[str, list[str]]:
    """Operation -> the tests that sent it a request in the recorded run (``spec diff --coverage``): what
    really ran, the property layer's ``test_operation[...]`` included, not a guess from method names."""
    covered: dict[str, set[str]] = {}
    for record in load_recording(path, contract):
        covered.setdefault(record.operation, set()).update(record.tests)
    return {op: sorted(tests) for op, tests in sorted(covered.items())}


def default_recording() -> Path | None:
    """The committed recording of the reference run, when this is a checkout that has it."""
    from conformance.paths import reports_dir
    from conformance.targets import reference

    path = reports_dir() / f"langgraph-api-{reference.LANGGRAPH_API_VERSION}-inmem" / "exchanges.jsonl.gz"
    return path if path.exists() else None


def _selected(record: Recorded, contract: Contract) -> list[str] | None:
    """The selection the suite validates an answer with (E006/E012: only where the contract knows it)."""
    from conformance.contract.document import SELECT_ERRATA

    erratum = SELECT_ERRATA.get(record.operation)
    if erratum is None or not any(e.id == erratum for e in contract.errata):
        return None
    request = record.raw.get("request")
    chosen = request.get("select") if isinstance(request, dict) else None
    chosen = chosen if chosen is not None else record.query.get("select")
    return chosen if isinstance(chosen, list) and all(isinstance(s, str) for s in chosen) else None


def places(contract: Contract, operation: str, status: int, content_type: str, body: Any, selected: Any) -> set[str]:
    """Where an answer breaks ``contract`` (status or schema), as the suite would report it."""
    if operation not in contract.operations:
        return {"(operation not in the document)"}
    if contract._documented(operation, status) is None:
        return {f"(status {status} not documented)"}
    try:
        return {p for p, _ in contract.response_places(operation, status, content_type, body, selected)}
    except Exception as exc:  # a schema the validator cannot compile: say so, do not crash the gate
        return {f"(cannot validate: {type(exc).__name__})"}


# -------------------------------------------------------------------------------------------- report


@dataclass
class Item:
    change: Change
    check: str
    levels: dict[str, str]
    subject: str = ""  # what "exercised" looked for
    exercised: list[str] | None = None  # None: no recording to tell
    would_fail: list[str] = field(default_factory=list)  # tests whose recorded answers now fail here
    predicted: str = ""  # what the gate predicts beyond the recording
    predicted_tests: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.change.as_dict(),
            "check": self.check,
            "levels": self.levels,
            "subject": self.subject,
            "exercised_by": self.exercised,
            "would_now_fail": self.would_fail,
            "predicted": self.predicted,
            "predicted_tests": self.predicted_tests,
        }


@dataclass
class Description:
    pointer: str
    operations: list[str]
    old: str
    new: str
    obligation: bool
    added: list[str]
    tests: list[str] | None = None
    levels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("pointer", "operations", "added", "obligation", "tests", "levels")}


@dataclass
class Gate:
    old: Side
    new: Side
    items: list[Item]
    descriptions: list[Description]
    errata: list[str]  # errata problems on the new document
    keywords: list[str]  # OpenAPI 3.0 keywords left in the new contract
    recording: str | None
    replayed: int = 0
    would_fail: dict[str, list[str]] = field(default_factory=dict)  # test -> "operation status place"
    unattributed: dict[str, list[str]] = field(default_factory=dict)

    def levels(self) -> list[dict[str, str]]:
        found = [i.levels for i in self.items] + [d.levels for d in self.descriptions]
        if self.errata or self.keywords:
            found.append({"clients": "info", "servers": "error"})  # the contract itself would be wrong
        return found


def _operation_refs(document: dict[str, Any]) -> dict[str, set[str]]:
    """Operation -> every ``#/components/...`` pointer it reaches through ``$ref``s."""

    def refs_in(node: Any, into: set[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    into.add(value[1:])
                else:
                    refs_in(value, into)
        elif isinstance(node, list):
            for value in node:
                refs_in(value, into)

    direct: dict[str, set[str]] = {}
    for name, schema in (document.get("components") or {}).get("schemas", {}).items():
        refs_in(schema, direct.setdefault(f"/components/schemas/{name}", set()))
    reach: dict[str, set[str]] = {}
    for (method, _), (path, item, operation) in operations(document).items():
        found: set[str] = set()
        refs_in({"op": operation, "parameters": item.get("parameters")}, found)
        stack = list(found)
        while stack:
            for ref in direct.get(stack.pop(), ()):
                if ref not in found:
                    found.add(ref)
                    stack.append(ref)
        reach[f"{method} {path}"] = found
    return reach


def _descriptions(document: dict[str, Any]) -> dict[str, str]:
    """pointer -> text of every description and summary; parameters keyed by name, not position."""
    out: dict[str, str] = {}

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                escaped = str(key).replace("~", "~0").replace("/", "~1")
                if key in ("description", "summary") and isinstance(value, str):
                    out[f"{pointer}/{escaped}"] = value
                elif key == "parameters" and isinstance(value, list):
                    for parameter in value:
                        if isinstance(parameter, dict):
                            where = f"{parameter.get('in')}:{parameter.get('name', parameter.get('$ref'))}"
                            walk(parameter, f"{pointer}/parameters/{where}")
                else:
                    walk(value, f"{pointer}/{escaped}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{pointer}/{index}")

    walk(document, "")
    return out


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", URL.sub("", text)) if s.strip()]


def description_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Description]:
    """Descriptions of things both documents have whose wording changed, and the operations they belong to."""
    before, after = _descriptions(old), _descriptions(new)
    reach = _operation_refs(new)
    found = []
    for pointer in sorted(set(after)):
        if before.get(pointer) == after[pointer]:
            continue
        if pointer not in before and not _exists(old, pointer.rsplit("/", 1)[0]):
            continue  # a new element: the structural change reports it
        old_text, new_text = before.get(pointer, ""), after[pointer]
        old_sentences = set(_sentences(old_text))
        added = [s for s in _sentences(new_text) if s not in old_sentences]
        if not added and set(_sentences(new_text)) == old_sentences:
            added = []  # only a link or spacing changed
        ops = _operations_of(pointer, reach)
        found.append(Description(pointer, ops, old_text, new_text, any(OBLIGATION.search(s) for s in added), added))
    return found


def _exists(document: dict[str, Any], pointer: str) -> bool:
    node: Any = document
    for token in pointer.strip("/").split("/") if pointer.strip("/") else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, list) and ":" in token:  # a parameter keyed "in:name"
            where, _, name = token.partition(":")
            match = [p for p in node if isinstance(p, dict) and p.get("in") == where and p.get("name") == name]
            if not match:
                return False
            node = match[0]
        else:
            return False
    return True


def _operations_of(pointer: str, reach: dict[str, set[str]]) -> list[str]:
    if pointer.startswith("/paths/"):
        tokens = pointer.split("/")
        path = tokens[2].replace("~1", "/").replace("~0", "~")
        method = tokens[3].upper() if len(tokens) > 3 else ""
        return [f"{method} {path}"] if method else []
    return sorted(op for op, refs in reach.items() if any(pointer == r or pointer.startswith(r + "/") for r in refs))


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
            before = places(old.contract, record.operation, status, content_type, body, _selected(record, old.contract))
            after = places(new.contract, record.operation, status, content_type, body, _selected(record, new.contract))
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
            if places(new.contract, record.operation, int(status), content_type, body, _selected(record, new.contract)):
                hit.update(record.tests)
        item.predicted_tests = sorted(hit)
        item.predicted = (
            f"a server that sends null there (as the document means) fails CONTRACT-SCHEMA in {len(hit)} test(s) "
            "(null put into the recorded answers and validated)"
        )
    for item in gate.items:
        item.would_fail.sort()
    return gate


# ------------------------------------------------------------------------------------------ rendering


def _levels_text(levels: dict[str, str]) -> str:
    return " ".join(f"{side}:{levels[side]}" for side in SIDES)


def _test_list(tests: list[str]) -> str:
    short = [t.removeprefix("conformance/tests/") for t in tests]
    shown = ", ".join(short[:SHOWN_TESTS])
    return shown + (f" (+{len(short) - SHOWN_TESTS} more)" if len(short) > SHOWN_TESTS else "")


def summary(gate: Gate) -> dict[str, Any]:
    levels = gate.levels()
    count = {f"{side}_{lvl}": sum(1 for lv in levels if lv.get(side) == lvl) for side in SIDES for lvl in LEVELS[1:]}
    untested = [i for i in gate.items if i.exercised == [] and not i.predicted_tests]
    return {
        "changes": len(gate.items),
        **count,
        "would_now_fail_tests": len(gate.would_fail),
        "predicted_fail_tests": len({t for i in gate.items for t in i.predicted_tests}),
        "untested_changes": len(untested) if gate.recording else None,
        "description_changes": len(gate.descriptions),
        "description_obligations": sum(d.obligation for d in gate.descriptions),
        "replayed_answers": gate.replayed,
    }


def render_text(gate: Gate) -> str:
    s = summary(gate)
    lines = [
        f"{gate.old.label} -> {gate.new.label} (errata applied to both): {s['changes']} change(s); "
        f"errors: {s['clients_error']} for clients, {s['servers_error']} for servers; "
        f"warnings: {s['clients_warning']} for clients, {s['servers_warning']} for servers",
    ]
    if gate.recording:
        lines.append(
            f"replayed {gate.replayed} recorded answer(s) ({gate.recording}): would now fail: "
            f"{s['would_now_fail_tests']} test(s); predicted to fail on a new server: {s['predicted_fail_tests']} "
            f"test(s); changes no test exercises: {s['untested_changes']}"
        )
    else:
        lines.append("no recorded run (--exchanges): no replay, no per-field test evidence")
    for problem in gate.errata:
        lines.append(f"ERRATUM: {problem}")
    for problem in gate.keywords:
        lines.append(f"KEYWORD: {problem}")
    grouped: dict[str, list[Item]] = {}
    for item in gate.items:
        grouped.setdefault(item.change.operation, []).append(item)
    for operation, items in grouped.items():
        lines += ["", operation]
        for item in items:
            c = item.change
            lines.append(f"  [{_levels_text(item.levels)}] {c.location}: {c.message}  ({item.check})")
            if item.exercised is not None and c.kind != "response-projection":
                shown = _test_list(item.exercised) if item.exercised else "NO TEST"
                lines.append(f"      exercised ({item.subject}): {shown}")
            if item.would_fail:
                lines.append(f"      would now fail: {len(item.would_fail)} test(s): {_test_list(item.would_fail)}")
            if item.predicted:
                lines.append(f"      predicted: {item.predicted}")
                if item.predicted_tests:
                    lines.append(f"        {_test_list(item.predicted_tests)}")
    untested = [i for i in gate.items if i.exercised == [] and not i.predicted_tests]
    if untested:
        lines += ["", f"changes no recorded test exercises ({len(untested)}):"]
        lines += [f"  {i.change.operation} {i.change.location}: {i.change.message}" for i in untested]
    if gate.unattributed:
        lines += ["", "recorded answers that would now fail, at no listed change:"]
        for where, tests in sorted(gate.unattributed.items()):
            lines.append(f"  {where}: {_test_list(sorted(tests))}")
    if gate.descriptions:
        lines += ["", "description changes (for review; * = new wording reads like an obligation):"]
        for d in gate.descriptions:
            mark = "*" if d.obligation else " "
            ops = ", ".join(d.operations[:4]) + (f" (+{len(d.operations) - 4})" if len(d.operations) > 4 else "")
            lines.append(f" {mark} {d.pointer} [{ops or 'no operation'}]")
            for sentence in d.added:
                lines.append(f"      + {sentence[:200]}")
            if not d.added:
                lines.append("      (links or spacing only)")
            if d.obligation and d.tests is not None:
                lines.append(f"      re-read the tests of these operations: {_test_list(d.tests) or 'none'}")
    return "\n".join(lines) + "\n"


def render_markdown(gate: Gate) -> str:
    s = summary(gate)
    lines = [
        f"## Spec gate: `{gate.old.label}` → `{gate.new.label}`",
        "",
        f"{s['changes']} change(s); errors: {s['clients_error']} for clients, {s['servers_error']} for servers. "
        f"Would now fail: {s['would_now_fail_tests']} test(s); predicted: {s['predicted_fail_tests']}; "
        f"untested changes: {s['untested_changes']}.",
        "",
        "| Operation | Where | Change | Clients | Servers | Exercised by | Would now fail / predicted |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in gate.items:
        c = item.change
        exercised = "n/a" if item.exercised is None else (str(len(item.exercised)) if item.exercised else "**none**")
        fail = f"{len(item.would_fail)}" + (f" / {len(item.predicted_tests)} predicted" if item.predicted else "")
        lines.append(
            f"| `{c.operation}` | `{c.location}` | {c.message} (`{item.check}`) | {item.levels['clients']} | "
            f"{item.levels['servers']} | {exercised} | {fail} |"
        )
    if gate.descriptions:
        lines += ["", "### Description changes", ""]
        for d in gate.descriptions:
            lines.append(f"- {'**obligation?** ' if d.obligation else ''}`{d.pointer}`: " + " ".join(d.added))
    for problem in [*gate.errata, *gate.keywords]:
        lines.append(f"- **contract**: {problem}")
    return "\n".join(lines) + "\n"


def render_json(gate: Gate) -> str:
    payload = {
        "old": gate.old.label,
        "new": gate.new.label,
        "summary": summary(gate),
        "recording": gate.recording,
        "errata": gate.errata,
        "keywords": gate.keywords,
        "changes": [i.as_dict() for i in gate.items],
        "would_now_fail": gate.would_fail,
        "unattributed": gate.unattributed,
        "descriptions": [d.as_dict() for d in gate.descriptions],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


def render_checks() -> str:
    """The checks and their default levels per side (``conformance spec gate --checks``)."""
    lines = ["check                                     clients  servers   (level when the side breaks)"]
    for check, levels in sorted(DEFAULT_LEVELS.items()):
        lines.append(f"{check:<42}{levels.get('clients', 'error'):<9}{levels.get('servers', 'error')}")
    lines.append("every other check                         error    error")
    lines.append("description-changed                       warning when the new wording reads like an obligation")
    return "\n".join(lines) + "\n"


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

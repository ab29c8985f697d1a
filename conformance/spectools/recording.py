"""A recorded run, read for the spec gate: which tests sent what to which operation, and what came back.

Why it exists: the gate's best evidence is not a guess from the documents but the suite's own run
(``--record-exchanges``; the reference's is committed beside its report). This module places each recorded
exchange on the old contract's operation, validates an answer as the suite would (with the selection
E006/E012 let it make), and reads a change's location (``response 200 application/json $.tasks[].id``) as
a path into a recorded request or answer, so that a change is matched to the tests that sent or received
that very field. ``spec diff --coverage`` reads the same recording: which tests really ran an operation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.contract.document import Contract

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


def selected(record: Recorded, contract: Contract) -> list[str] | None:
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

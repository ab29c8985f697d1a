"""Description changes between two documents, listed for review, with the operations they belong to.

Why it exists: the diff compares no descriptions, but upstream sometimes changes what an operation
promises only in prose ("can return fewer than `limit` states", "ends the stream with an error frame").
This module lists every description whose wording changed, finds the operations it belongs to (through
the ``$ref``s that reach it), and flags those whose new sentences read like an obligation, so that a
maintainer re-reads the tests of those operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from conformance.spectools.diff import operations

# Description sentences that read like an obligation (what a server may, must or will do).
OBLIGATION = re.compile(
    r"\b(can(not)?|may|might|must|should|shall|will|never|always|only|fewer|more than|at (most|least)|"
    r"errors?|fail\w*|ends?|required|ignored?|instead)\b",
    re.I,
)
URL = re.compile(r"\(?https?://[^\s)]+\)?")


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

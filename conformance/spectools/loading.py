"""OpenAPI documents read from a file, a URL or a langgraph-api release, and their local ``$ref``s followed.

Why it exists: the diff, the gate and ``conformance spec vendor`` all read documents (JSON or YAML,
gzipped or not), and each must say which document could not be read and why (:class:`SpecLoadError`,
exit 2) instead of a traceback. Following a ``$ref`` is part of reading: the resolver overlays the sibling
keywords and says when the result is still the referenced schema (only documentation beside it), which
lets the schema diff remember one comparison per pair of refs.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

# Keywords that only document a schema: a change to them changes no request or response.
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "examples",
        "example",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "xml",
        "discriminator",
        "$schema",
        "$id",
        "$anchor",
        "contentEncoding",
    }
)


class SpecLoadError(ValueError):
    """A document given to the diff cannot be read or is not an OpenAPI document."""


def load_document(source: str) -> dict[str, Any]:
    """An OpenAPI document from a file, a URL or ``langgraph-api==X``; JSON or YAML, optionally gzipped."""
    if source.startswith("langgraph-api=="):
        from conformance.spectools.vendor import wheel_openapi

        try:
            raw = wheel_openapi(source.split("==", 1)[1])
        except ValueError as exc:
            raise SpecLoadError(str(exc)) from None
    elif re.match(r"^https?://", source):
        import httpx

        try:
            response = httpx.get(source, timeout=30, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SpecLoadError(f"{source}: {exc}") from None
        raw = response.content
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise SpecLoadError(f"{source}: {exc.strerror or exc}") from None
    return parse_document(raw, source)


def parse_document(raw: bytes, label: str = "document") -> dict[str, Any]:
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        document = json.loads(raw)
    except ValueError:
        import yaml

        try:
            document = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise SpecLoadError(f"{label}: neither JSON nor YAML") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise SpecLoadError(f"{label}: no 'paths': not an OpenAPI document")
    if not str(document.get("openapi", "")).startswith("3."):
        raise SpecLoadError(f"{label}: openapi {document.get('openapi')!r} is not 3.x")
    return document


class Resolver:
    """Follows local ``$ref`` chains inside one document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise LookupError(f"$ref {ref} is not local to the document")
        node: Any = self.document
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise LookupError(f"$ref {ref} does not resolve")
        return node

    def resolve(self, node: Any) -> tuple[Any, str | None, str | None]:
        """(target with sibling keywords overlaid, first ref or None, problem or None)."""
        if isinstance(node, bool):
            return ({} if node else {"not": {}}), None, None
        if not isinstance(node, dict) or "$ref" not in node:
            return node, None, None
        first = node["$ref"]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        seen: set[str] = set()
        current = node
        while isinstance(current, dict) and "$ref" in current:
            ref = current["$ref"]
            if ref in seen:
                return {}, first, f"$ref {ref} is circular without content"
            seen.add(ref)
            try:
                target = self._pointer(ref)
            except LookupError as exc:
                return dict(siblings), first, str(exc)
            current = target if not isinstance(target, bool) else ({} if target else {"not": {}})
        merged = {**current, **siblings} if siblings else current
        # With non-documentation siblings the merged schema is not the ref's: do not share its memo entry.
        key = first if not set(siblings) - ANNOTATIONS else None
        return merged, key, None

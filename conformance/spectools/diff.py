"""``conformance spec diff``: what changed between two OpenAPI 3.x documents, and whom it breaks.

Why this exists: upstream regenerates its openapi.json on every langgraph-api release, and vendoring a
new one silently changes what the suite checks. A textual diff of two 200 KB documents is unreadable and
mostly noise (key order, descriptions), and a change to a shared schema such as ``Interrupt`` shows up in
one place while it affects a dozen operations. So this module compares the two documents the way a
client and a server see them: operation by operation, with every ``$ref`` followed (cycle-safe, since
``ThreadState`` contains itself), ignoring pure documentation, and says for each change separately
whether it breaks *clients* or *servers*:

* a **client** is a program written against OLD that now talks to a server which follows NEW: it breaks
  when NEW rejects requests OLD allowed, or answers with something OLD did not announce;
* a **server** is an implementation of OLD that is now certified against NEW: it breaks when NEW asks it
  to accept, honour or answer something OLD did not (its certification outcome can change).

Requests flow from client to server and responses the other way, so one schema rule has opposite
effects on the two sides. A request schema that *narrows* (accepts fewer documents) breaks clients; one
that *widens* breaks servers, which must now accept more. For responses it is the reverse.

=============================================  ==============  ==============
change                                         clients         servers
=============================================  ==============  ==============
operation added                                --              breaking
operation removed                              breaking        --
parameter added, optional                      --              breaking
parameter added, required                      breaking        breaking
parameter removed                              breaking        --
parameter made required                        breaking        --
parameter made optional                        --              breaking
parameter moved (query/path/header/cookie)     breaking        breaking
request body added, required                   breaking        breaking
request body added, optional                   --              breaking
request body removed                           breaking        --
request body made required / optional          breaking / --   -- / breaking
request content type added / removed           -- / breaking   breaking / --
request field added, optional                  --              breaking
request field added, required                  breaking        breaking
request field removed                          breaking        --
request field made required / optional         breaking / --   -- / breaking
request schema narrowed (*)                    breaking        --
request schema widened (*)                     --              breaking
request default added / removed / changed      -- / b / b      b / -- / b
response status code added                     breaking        --
response status code removed                   --              breaking
response content type added / removed          breaking / --   -- / breaking
response field added, optional                 --              --
response field added, required                 --              breaking
response field removed                         breaking        --
response field made required / optional        -- / breaking   breaking / --
response schema narrowed (*)                   --              breaking
response schema widened (*)                    breaking        --
type or format changed incompatibly            breaking        breaking
operation deprecated, path parameter renamed   --              --
=============================================  ==============  ==============

(*) narrowed: enum value removed or enum introduced, constraint tightened (minimum, maximum, exclusive
bounds, minLength, maxLength, minItems, maxItems, minProperties, maxProperties, pattern or multipleOf
added, uniqueItems set), type narrowed (``[string, null]`` to ``string``), format added, additional
properties forbidden, an ``anyOf``/``oneOf`` alternative removed or an ``allOf`` part added.
Widened: the opposite of each. A change that is neither (a different pattern, ``string`` to
``integer``) breaks both sides. ``nullable: true`` adds null only in an OpenAPI 3.0 document; in a 3.1
document, on a schema that admits no null, it is reported as ``nullable-ignored`` (the author meant null,
the validator rejects it: breaking for servers in a response, for clients in a request). Descriptions,
titles, examples, tags, summaries, operation ids and ``x-`` extensions are never compared. The same
table, with reasons, is in docs/SPEC-UPDATES.md.

This module pairs the operations of the two documents and compares their parameters, bodies and
responses; loading.py reads the documents, schemadiff.py compares the schemas.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from conformance.spectools.loading import Resolver
from conformance.spectools.schemadiff import REQUEST, RESPONSE, SchemaDiff, render_path

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, order=True)
class Change:
    """One difference, where it is, and which side it breaks."""

    operation: str
    location: str
    kind: str
    message: str
    breaking_for_clients: bool
    breaking_for_servers: bool

    @property
    def breaking(self) -> bool:
        return self.breaking_for_clients or self.breaking_for_servers

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------------------ operation diff


def _template(path: str) -> str:
    """/threads/{thread_id} and /threads/{id} are the same operation."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def operations(document: dict[str, Any]) -> dict[tuple[str, str], tuple[str, dict, dict]]:
    """(METHOD, path template) -> (path, path item, operation)."""
    found = {}
    for path, item in sorted(document.get("paths", {}).items()):
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                found.setdefault((method.upper(), _template(path)), (path, item, item[method]))
    return found


def _param_key(parameter: dict[str, Any], path: str) -> tuple[str, str]:
    where, name = str(parameter.get("in", "?")), str(parameter.get("name", "?"))
    if where == "path":
        names = re.findall(r"\{([^}]*)\}", path)
        return (where, f"#{names.index(name)}") if name in names else (where, name)
    return where, name.lower() if where == "header" else name


class _OperationDiff:
    def __init__(self, schemas: SchemaDiff, old_doc: dict, new_doc: dict) -> None:
        self.schemas = schemas
        self.old_doc, self.new_doc = old_doc, new_doc
        self.changes: list[Change] = []
        self.label = ""

    def add(self, location: str, kind: str, message: str, client: bool, server: bool) -> None:
        self.changes.append(Change(self.label, location, kind, message, client, server))

    def schema(self, prefix: str, old: Any, new: Any, direction: str) -> None:
        for finding in self.schemas.compare(old, new, direction):
            location = f"{prefix} {render_path(finding.path)}"
            self.add(location, finding.kind, finding.message, finding.client, finding.server)

    def _parameters(self, resolver: Resolver, path: str, item: dict, operation: dict) -> dict:
        merged: dict[tuple[str, str], dict] = {}
        for source in (item.get("parameters") or [], operation.get("parameters") or []):
            for raw in source:
                parameter = resolver.resolve(raw)[0]
                if isinstance(parameter, dict):
                    merged[_param_key(parameter, path)] = parameter
        return merged

    def run(self, old: tuple[str, dict, dict], new: tuple[str, dict, dict]) -> None:
        (old_path, old_item, old_op), (new_path, new_item, new_op) = old, new
        if old_path != new_path:
            self.add("path", "path-renamed", f"path parameters renamed: {old_path} -> {new_path}", False, False)
        if new_op.get("deprecated") and not old_op.get("deprecated"):
            self.add("operation", "operation-deprecated", "operation deprecated", False, False)
        self.compare_parameters(
            self._parameters(self.schemas.old, old_path, old_item, old_op),
            self._parameters(self.schemas.new, new_path, new_item, new_op),
        )
        self.compare_body(
            self.schemas.old.resolve(old_op.get("requestBody"))[0],
            self.schemas.new.resolve(new_op.get("requestBody"))[0],
        )
        self.compare_responses(old_op.get("responses") or {}, new_op.get("responses") or {})

    def compare_parameters(self, old: dict, new: dict) -> None:
        def shown(key: tuple[str, str], parameter: dict) -> str:
            return f"parameter {key[0]} {parameter.get('name', key[1])}"

        moved_from = {key[1]: key for key in old if key not in new and key[0] != "path"}
        for key in sorted(set(new) - set(old)):
            parameter, required = new[key], bool(new[key].get("required")) or key[0] == "path"
            origin = moved_from.get(key[1]) if key[0] != "path" else None
            if origin is not None:
                message = f"moved from {origin[0]} to {key[0]}"
                self.add(shown(key, parameter), "parameter-moved", message, True, True)
                old_parameter = old.pop(origin)
                self.schema(
                    shown(key, parameter), old_parameter.get("schema", {}), parameter.get("schema", {}), REQUEST
                )
                continue
            note = "required" if required else "optional"
            self.add(shown(key, parameter), "parameter-added", f"parameter added ({note})", required, True)
        for key in sorted(set(old) - set(new)):
            self.add(shown(key, old[key]), "parameter-removed", "parameter removed", True, False)
        for key in sorted(set(old) & set(new)):
            before, after = old[key], new[key]
            where = shown(key, after)
            was, now = bool(before.get("required")), bool(after.get("required"))
            if was != now:
                kind = "parameter-required" if now else "parameter-optional"
                self.add(where, kind, "parameter made " + ("required" if now else "optional"), now, not now)
            self.schema(where, before.get("schema", {}), after.get("schema", {}), REQUEST)

    def compare_body(self, old: Any, new: Any) -> None:
        if not isinstance(old, dict) and not isinstance(new, dict):
            return
        if not isinstance(old, dict):
            required = bool(new.get("required"))
            note = "required" if required else "optional"
            self.add("request body", "request-body-added", f"request body added ({note})", required, True)
            return
        if not isinstance(new, dict):
            self.add("request body", "request-body-removed", "request body removed", True, False)
            return
        was, now = bool(old.get("required")), bool(new.get("required"))
        if was != now:
            kind = "request-body-required" if now else "request-body-optional"
            self.add("request body", kind, "request body made " + ("required" if now else "optional"), now, not now)
        self.compare_content("request body", old.get("content") or {}, new.get("content") or {}, REQUEST)

    def compare_content(self, prefix: str, old: dict, new: dict, direction: str) -> None:
        old = {str(k).lower(): v for k, v in old.items()}
        new = {str(k).lower(): v for k, v in new.items()}
        side = "request" if direction == REQUEST else "response"
        for media in sorted(set(new) - set(old)):
            client, server = (False, True) if direction == REQUEST else (True, False)
            self.add(f"{prefix} {media}", f"{side}-content-type-added", "content type added", client, server)
        for media in sorted(set(old) - set(new)):
            client, server = (True, False) if direction == REQUEST else (False, True)
            self.add(f"{prefix} {media}", f"{side}-content-type-removed", "content type removed", client, server)
        for media in sorted(set(old) & set(new)):
            before = (old[media] or {}).get("schema", {})
            after = (new[media] or {}).get("schema", {})
            self.schema(f"{prefix} {media}", before, after, direction)

    def compare_responses(self, old: dict, new: dict) -> None:
        old = {str(k).upper(): v for k, v in old.items()}
        new = {str(k).upper(): v for k, v in new.items()}
        for status in sorted(set(new) - set(old)):
            self.add(f"response {status}", "response-status-added", f"status {status} added", True, False)
        for status in sorted(set(old) - set(new)):
            self.add(f"response {status}", "response-status-removed", f"status {status} removed", False, True)
        for status in sorted(set(old) & set(new)):
            before = self.schemas.old.resolve(old[status])[0]
            after = self.schemas.new.resolve(new[status])[0]
            before = before.get("content") or {} if isinstance(before, dict) else {}
            after = after.get("content") or {} if isinstance(after, dict) else {}
            self.compare_content(f"response {status}", before, after, RESPONSE)


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change between two OpenAPI documents, sorted, so equal inputs give equal output."""
    schemas = SchemaDiff(old, new)
    ops = _OperationDiff(schemas, old, new)
    old_ops, new_ops = operations(old), operations(new)
    for key in sorted(set(old_ops) | set(new_ops)):
        method = key[0]
        if key not in new_ops:
            ops.label = f"{method} {old_ops[key][0]}"
            ops.add("operation", "operation-removed", "operation removed", True, False)
        elif key not in old_ops:
            ops.label = f"{method} {new_ops[key][0]}"
            ops.add("operation", "operation-added", "operation added", False, True)
        else:
            ops.label = f"{method} {new_ops[key][0]}"
            ops.run(old_ops[key], new_ops[key])
    return sorted(set(ops.changes))

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
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REQUEST, RESPONSE = "request", "response"
NARROW, WIDEN, CHANGE = "narrow", "widen", "change"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
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
# Kept outside when a plain schema is wrapped as the single alternative of an anyOf/oneOf.
OUTER = ANNOTATIONS | {"default"}
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
HANDLED = frozenset(
    {
        "$ref",
        "type",
        "nullable",
        "format",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "default",
        "pattern",
        "multipleOf",
        "uniqueItems",
        "anyOf",
        "oneOf",
        "allOf",
        *LOWER_BOUNDS,
        *UPPER_BOUNDS,
    }
)


class SpecLoadError(ValueError):
    """A document given to the diff cannot be read or is not an OpenAPI document."""


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


@dataclass(frozen=True)
class _Finding:
    """A schema-level difference, relative to the schema being compared (prefixed by the caller)."""

    path: tuple[str, ...]
    kind: str
    message: str
    client: bool
    server: bool


def _sides(direction: str, effect: str) -> tuple[bool, bool]:
    """(breaks clients, breaks servers) for a narrowing, widening or incompatible schema change."""
    if effect == CHANGE:
        return True, True
    if direction == REQUEST:
        return effect == NARROW, effect == WIDEN
    return effect == WIDEN, effect == NARROW


def _canon(value: Any) -> str:
    """An order-insensitive text form, so key order and YAML-vs-JSON never count as a change."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------- loading


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


class _Resolver:
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


# ---------------------------------------------------------------------------------------- schema diff


def _types(schema: dict[str, Any], nullable: bool = True) -> set[str] | None:
    """The types a schema admits; ``nullable: true`` adds null only where it is a keyword (OpenAPI 3.0)."""
    declared = schema.get("type")
    if declared is None:
        types = None
    elif isinstance(declared, list):
        types = set(declared)
    else:
        types = {declared}
    if types is not None and nullable and schema.get("nullable") is True:
        types.add("null")
    return types


def is_openapi_30(document: dict[str, Any]) -> bool:
    return str(document.get("openapi", "")).startswith("3.0")


def nullable_ignored(schema: Any) -> bool:
    """``nullable: true`` in a 3.1 document on a schema that does not admit null otherwise: the author meant
    null, JSON Schema 2020-12 (what OpenAPI 3.1 is, and what the suite validates with) rejects it."""
    if not isinstance(schema, dict) or schema.get("nullable") is not True:
        return False
    types = _types(schema, nullable=False)
    if types is None or "null" in types:
        return False
    alternatives = schema.get("anyOf") or schema.get("oneOf") or []
    return not any(isinstance(a, dict) and a.get("type") == "null" for a in alternatives)


def _expand(types: set[str]) -> set[str]:
    return types | {"integer"} if "number" in types else types


def _label(schema: Any, resolver: _Resolver) -> str:
    """A short, order-independent name for an alternative: its ref name, title or type."""
    if isinstance(schema, dict) and "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    resolved = resolver.resolve(schema)[0]
    return _title(resolved) or _kind(resolved)


class SchemaDiff:
    """Compares schemas of two documents; results are memoised per (old ref, new ref, direction)."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = _Resolver(old)
        self.new = _Resolver(new)
        # `nullable` is a keyword of OpenAPI 3.0 only: in a 3.1 document it is read as a validator reads it.
        self.old_nullable, self.new_nullable = is_openapi_30(old), is_openapi_30(new)
        self._memo: dict[tuple[str, str, str], list[_Finding]] = {}
        self._active: set[tuple[str, str, str]] = set()
        self._cut: set[tuple[str, str, str]] = set()

    def compare(self, old: Any, new: Any, direction: str) -> list[_Finding]:
        old_schema, old_ref, old_problem = self.old.resolve(old)
        new_schema, new_ref, new_problem = self.new.resolve(new)
        findings: list[_Finding] = []
        if old_problem or new_problem:
            if old_problem == new_problem and _canon(old) == _canon(new):
                return []  # the same dangling reference on both sides: nothing changed
            for side, problem in (("OLD", old_problem), ("NEW", new_problem)):
                if problem:
                    findings.append(_Finding((), "ref-unresolved", f"{side}: {problem}", False, False))
        key = (old_ref, new_ref, direction) if old_ref and new_ref else None
        if key is not None:
            if key in self._memo:
                return findings + self._memo[key]
            if key in self._active:  # a cycle (ThreadState.tasks[].state): reported where it started
                self._cut.add(key)
                return findings
            self._active.add(key)
            cuts_before = set(self._cut)
        try:
            result = self._compare_resolved(old_schema, new_schema, direction)
        finally:
            if key is not None:
                self._active.discard(key)
        if key is not None:
            new_cuts = self._cut - cuts_before - {key}
            self._cut.discard(key)
            if not new_cuts:
                self._memo[key] = result
        return findings + result

    def _compare_resolved(self, old: Any, new: Any, direction: str) -> list[_Finding]:
        if not isinstance(old, dict) or not isinstance(new, dict):
            if _canon(old) == _canon(new):
                return []
            return [_Finding((), "schema-changed", f"schema {_show(old)} -> {_show(new)}", True, True)]
        out: list[_Finding] = []
        old, new = self._compositions(old, new, direction, out)
        if self._type(old, new, direction, out):
            return out  # incompatible types: the per-keyword differences below would only be noise
        self._format(old, new, direction, out)
        self._enum(old, new, direction, out)
        self._bounds(old, new, direction, out)
        self._properties(old, new, direction, out)
        self._additional(old, new, direction, out)
        self._items(old, new, direction, out)
        self._default(old, new, direction, out)
        for keyword in sorted((set(old) | set(new)) - HANDLED - ANNOTATIONS):
            if keyword.startswith("x-"):
                continue
            if _canon(old.get(keyword)) != _canon(new.get(keyword)):
                message = f"keyword {keyword}: {_show(old.get(keyword))} -> {_show(new.get(keyword))}"
                out.append(_Finding((), "keyword-changed", message, True, True))
        return out

    # Each check appends its findings to ``out``.

    def _add(self, out: list[_Finding], kind: str, message: str, direction: str, effect: str) -> None:
        client, server = _sides(direction, effect)
        out.append(_Finding((), kind, message, client, server))

    def _compositions(
        self, old: dict, new: dict, direction: str, out: list[_Finding]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Compare anyOf/oneOf/allOf; return both schemas without them for the remaining checks."""
        # An allOf that merely extends a model (RunCreateStateless + on_disconnect) is compared merged.
        old = _merge_all_of(old, self.old) or old
        new = _merge_all_of(new, self.new) or new
        old_any = next((k for k in ("anyOf", "oneOf") if isinstance(old.get(k), list)), None)
        new_any = next((k for k in ("anyOf", "oneOf") if isinstance(new.get(k), list)), None)
        if old_any or new_any:
            # `string` -> anyOf[string, null] is a widening by one alternative, not a type change.
            old_alts, old = _split(old, old_any)
            new_alts, new = _split(new, new_any)
            if old_any and new_any and old_any != new_any:
                effect = NARROW if new_any == "oneOf" else WIDEN
                self._add(out, "composition-changed", f"{old_any} -> {new_any}", direction, effect)
            self._alternatives(old_alts, new_alts, new_any or old_any or "anyOf", direction, out, False)
        if isinstance(old.get("allOf"), list) or isinstance(new.get("allOf"), list):
            old_all, new_all = old.get("allOf") or [], new.get("allOf") or []
            old = {k: v for k, v in old.items() if k != "allOf"}
            new = {k: v for k, v in new.items() if k != "allOf"}
            if len(old_all) == 1 and len(new_all) == 1:
                out.extend(self.compare(old_all[0], new_all[0], direction))
            else:
                self._alternatives(old_all, new_all, "allOf", direction, out, True)
        return old, new

    def _alternatives(
        self, old: list, new: list, keyword: str, direction: str, out: list[_Finding], conjunction: bool
    ) -> None:
        """Pair alternatives by ref or content, then by type; unpaired ones were added or removed."""
        unpaired_old = sorted(old, key=_canon)
        unpaired_new = sorted(new, key=_canon)
        pairs = []

        def pair(matches) -> None:
            for branch in list(unpaired_old):
                candidates = [b for b in unpaired_new if matches(branch, b)]
                if candidates:
                    # Among several candidates, the one sharing most field names is the edited one.
                    best = max(candidates, key=lambda b: self._overlap(branch, b))
                    pairs.append((branch, best))
                    unpaired_old.remove(branch)
                    unpaired_new.remove(best)

        pair(lambda a, b: _signature(a) == _signature(b))  # the same ref or the same inline schema
        pair(lambda a, b: _title(self.old.resolve(a)[0]) == _title(self.new.resolve(b)[0]) != "")  # same name
        pair(lambda a, b: _kind(self.old.resolve(a)[0]) == _kind(self.new.resolve(b)[0]))  # same type
        if len(unpaired_old) == 1 and len(unpaired_new) == 1:  # one alternative was edited
            pair(lambda a, b: True)
        for old_branch, new_branch in pairs:
            segment = f"<{keyword} {_label(new_branch, self.new)}>"
            for finding in self.compare(old_branch, new_branch, direction):
                out.append(_Finding((segment, *finding.path), *_rest(finding)))
        for branch in unpaired_old:
            effect = WIDEN if conjunction else NARROW
            self._add(out, "alternative-removed", f"{keyword} part {_describe(branch)} removed", direction, effect)
        for branch in unpaired_new:
            effect = NARROW if conjunction else WIDEN
            self._add(out, "alternative-added", f"{keyword} part {_describe(branch)} added", direction, effect)

    def _overlap(self, old: Any, new: Any) -> int:
        before, after = self.old.resolve(old)[0], self.new.resolve(new)[0]
        if not isinstance(before, dict) or not isinstance(after, dict):
            return 0
        return len(set(before.get("properties") or {}) & set(after.get("properties") or {}))

    def _type(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> bool:
        """Report a type change; True when the types are incompatible (nothing in common)."""
        old_types, new_types = _types(old, self.old_nullable), _types(new, self.new_nullable)
        if not self.new_nullable and nullable_ignored(new) and not (not self.old_nullable and nullable_ignored(old)):
            self._nullable(out, direction)
        if old_types == new_types:
            return False
        shown = f"type {_show(sorted(old_types) if old_types else 'any')} -> "
        shown += _show(sorted(new_types) if new_types else "any")
        if old_types is None:
            self._add(out, "type-changed", shown, direction, NARROW)
        elif new_types is None or old_types <= _expand(new_types):
            self._add(out, "type-changed", shown, direction, WIDEN)
        elif new_types <= _expand(old_types):
            self._add(out, "type-changed", shown, direction, NARROW)
        else:
            self._add(out, "type-changed", shown, direction, CHANGE)
            return not (_expand(old_types) & _expand(new_types))
        return False

    def _nullable(self, out: list[_Finding], direction: str, path: tuple[str, ...] = ()) -> None:
        """A schema that says ``nullable: true`` where the keyword means nothing: null is rejected. In a
        response a server that sends null (as its author meant) fails; in a request, a client that does."""
        message = "`nullable: true` is an OpenAPI 3.0 keyword; this 3.1 document (JSON Schema 2020-12) rejects null"
        client, server = (False, True) if direction == RESPONSE else (True, False)
        out.append(_Finding(path, "nullable-ignored", message, client, server))

    def _format(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> None:
        before, after = old.get("format"), new.get("format")
        if before == after:
            return
        effect = NARROW if before is None else WIDEN if after is None else CHANGE
        self._add(out, "format-changed", f"format {before or 'none'} -> {after or 'none'}", direction, effect)

    def _enum(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> None:
        def values(schema: dict) -> dict[str, Any] | None:
            if "const" in schema:
                return {_canon(schema["const"]): schema["const"]}
            if isinstance(schema.get("enum"), list):
                return {_canon(v): v for v in schema["enum"]}
            return None

        before, after = values(old), values(new)
        if before == after or (before is not None and after is not None and before.keys() == after.keys()):
            return
        if before is None:
            self._add(out, "enum-added", f"values restricted to {_show(list(after.values()))}", direction, NARROW)
        elif after is None:
            self._add(out, "enum-removed", "values no longer restricted to an enum", direction, WIDEN)
        else:
            added = [after[k] for k in sorted(after.keys() - before.keys())]
            removed = [before[k] for k in sorted(before.keys() - after.keys())]
            if added:
                self._add(out, "enum-value-added", f"enum value(s) added: {_show(added, 120)}", direction, WIDEN)
            if removed:
                message = f"enum value(s) removed: {_show(removed, 120)}"
                self._add(out, "enum-value-removed", message, direction, NARROW)

    def _bounds(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> None:
        for keyword in (*LOWER_BOUNDS, *UPPER_BOUNDS, "pattern", "multipleOf", "uniqueItems"):
            before, after = old.get(keyword), new.get(keyword)
            if _canon(before) == _canon(after) or (keyword == "uniqueItems" and bool(before) == bool(after)):
                continue
            if before is None or before is False:
                effect = NARROW
            elif after is None or after is False:
                effect = WIDEN
            elif keyword in ("pattern", "multipleOf") or isinstance(before, bool) or isinstance(after, bool):
                effect = CHANGE
            elif keyword in LOWER_BOUNDS:
                effect = NARROW if after > before else WIDEN
            else:
                effect = NARROW if after < before else WIDEN
            kind = {NARROW: "constraint-tightened", WIDEN: "constraint-loosened", CHANGE: "constraint-changed"}
            self._add(out, kind[effect], f"{keyword} {_show(before)} -> {_show(after)}", direction, effect)

    def _properties(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> None:
        old_props = old.get("properties") if isinstance(old.get("properties"), dict) else {}
        new_props = new.get("properties") if isinstance(new.get("properties"), dict) else {}
        old_req = set(old.get("required") or [])
        new_req = set(new.get("required") or [])
        for name in sorted(set(old_props) | set(new_props) | old_req | new_req):
            segment = f".{name}" if re.fullmatch(r"[A-Za-z_][\w-]*", name) else f"[{json.dumps(name)}]"
            was, now = name in old_req, name in new_req
            if name in old_props and name in new_props:
                for finding in self.compare(old_props[name], new_props[name], direction):
                    out.append(_Finding((segment, *finding.path), *_rest(finding)))
            elif name in old_props:
                # A request field that disappears is no longer honoured; a response field, no longer sent.
                note = " (was required)" if was else ""
                out.append(_Finding((segment,), "property-removed", f"field removed{note}", True, False))
                continue
            elif name in new_props:
                if direction == REQUEST:
                    client, server = now, True
                else:
                    client, server = False, now
                note = "required" if now else "optional"
                out.append(_Finding((segment,), "property-added", f"field added ({note})", client, server))
                if not self.new_nullable and nullable_ignored(self.new.resolve(new_props[name])[0]):
                    self._nullable(out, direction, (segment,))
                continue
            if was != now:
                kind, effect = ("property-required", NARROW) if now else ("property-optional", WIDEN)
                client, server = _sides(direction, effect)
                message = "field made required" if now else "field made optional"
                out.append(_Finding((segment,), kind, message, client, server))

    def _additional(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> None:
        before, after = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if _canon(before) == _canon(after):
            return
        if after is False:
            self._add(out, "additional-properties", "additional properties no longer allowed", direction, NARROW)
        elif before is False:
            self._add(out, "additional-properties", "additional properties now allowed", direction, WIDEN)
        else:
            for finding in self.compare({} if before is True else before, {} if after is True else after, direction):
                out.append(_Finding((".*", *finding.path), *_rest(finding)))

    def _items(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> None:
        before, after = old.get("items"), new.get("items")
        if before is None and after is None:
            return
        if isinstance(before, list) or isinstance(after, list):  # 3.0-era tuple form: compare as a whole
            if _canon(before) != _canon(after):
                self._add(out, "items-changed", f"items {_show(before)} -> {_show(after)}", direction, CHANGE)
            return
        for finding in self.compare({} if before is None else before, {} if after is None else after, direction):
            out.append(_Finding(("[]", *finding.path), *_rest(finding)))

    def _default(self, old: dict, new: dict, direction: str, out: list[_Finding]) -> None:
        if _canon(old.get("default")) == _canon(new.get("default")) and ("default" in old) == ("default" in new):
            return
        if direction == RESPONSE:  # a default in a response documents nothing a party acts on
            client, server = False, False
        elif "default" not in old:  # servers must now apply it; clients did not rely on anything
            client, server = False, True
        elif "default" not in new:  # clients that relied on it lose it; servers are free
            client, server = True, False
        else:
            client, server = True, True
        message = f"default {_show(old.get('default', 'none'))} -> {_show(new.get('default', 'none'))}"
        out.append(_Finding((), "default-changed", message, client, server))


def _rest(finding: _Finding) -> tuple[str, str, bool, bool]:
    return finding.kind, finding.message, finding.client, finding.server


def _split(schema: dict[str, Any], keyword: str | None) -> tuple[list, dict[str, Any]]:
    """(alternatives, the rest); a plain schema is its own single alternative."""
    if keyword:
        return schema[keyword], {k: v for k, v in schema.items() if k != keyword}
    inner = {k: v for k, v in schema.items() if k not in OUTER}
    return [inner], {k: v for k, v in schema.items() if k in OUTER}


def _signature(branch: Any) -> str:
    if isinstance(branch, dict) and "$ref" in branch:
        return "ref:" + str(branch["$ref"])
    return "inline:" + _canon(
        {k: v for k, v in branch.items() if k not in ANNOTATIONS} if isinstance(branch, dict) else branch
    )


def _kind(schema: Any) -> str:
    types = _types(schema) if isinstance(schema, dict) else None
    if not types and isinstance(schema, dict):
        types = {"object"} if "properties" in schema else {"array"} if "items" in schema else None
    return "|".join(sorted(types)) if types else "schema"


def _title(schema: Any) -> str:
    return str(schema.get("title") or "") if isinstance(schema, dict) else ""


def _merge_all_of(schema: dict[str, Any], resolver: _Resolver, depth: int = 0) -> dict[str, Any] | None:
    """``schema`` with its allOf parts merged into one schema, or None when they do not merge cleanly."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or depth > 8:
        return None
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in parts:
        resolved = resolver.resolve(part)[0]
        if not isinstance(resolved, dict):
            return None
        if "allOf" in resolved:
            resolved = _merge_all_of(resolved, resolver, depth + 1)
            if resolved is None:
                return None
        for key, value in resolved.items():
            if key == "properties" and isinstance(value, dict):
                properties = dict(merged.get("properties") or {})
                for name, sub in value.items():
                    both = name in properties and _canon(properties[name]) != _canon(sub)
                    properties[name] = {"allOf": [properties[name], sub]} if both else sub
                merged["properties"] = properties
            elif key == "required" and isinstance(value, list):
                merged["required"] = sorted(set(merged.get("required") or []) | set(value))
            elif key in ANNOTATIONS:
                merged.setdefault(key, value)
            elif key in merged and _canon(merged[key]) != _canon(value):
                return None
            else:
                merged[key] = value
    return merged


def _describe(branch: Any) -> str:
    if isinstance(branch, dict) and "$ref" in branch:
        return str(branch["$ref"]).rsplit("/", 1)[-1]
    return _show(branch, 80)


def render_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(path)


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

    def _parameters(self, resolver: _Resolver, path: str, item: dict, operation: dict) -> dict:
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

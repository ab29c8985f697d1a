"""Two schemas compared the way a validator reads them; each difference says which side it breaks.

Why it is a room of its own: a change to a shared schema such as ``Interrupt`` shows up in one place
while it affects a dozen operations, so the operation diff (diff.py) hands every request and response
schema to :class:`SchemaDiff`, which follows each ``$ref`` (cycle-safe, since ``ThreadState`` contains
itself), remembers one comparison per pair of refs, and grades each difference as a narrowing, a
widening or an incompatible change. Whom that breaks depends on the direction: a narrowed request schema
breaks clients, a narrowed response schema servers (the table in diff.py's docstring). ``nullable``
counts only in an OpenAPI 3.0 document.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from conformance.spectools.loading import ANNOTATIONS, Resolver

REQUEST, RESPONSE = "request", "response"
NARROW, WIDEN, CHANGE = "narrow", "widen", "change"
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


def _label(schema: Any, resolver: Resolver) -> str:
    """A short, order-independent name for an alternative: its ref name, title or type."""
    if isinstance(schema, dict) and "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    resolved = resolver.resolve(schema)[0]
    return _title(resolved) or _kind(resolved)


class SchemaDiff:
    """Compares schemas of two documents; results are memoised per (old ref, new ref, direction)."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = Resolver(old)
        self.new = Resolver(new)
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


def _merge_all_of(schema: dict[str, Any], resolver: Resolver, depth: int = 0) -> dict[str, Any] | None:
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

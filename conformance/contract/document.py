"""The contract: the vendored OpenAPI document with its errata applied, and validation against it.

The upstream document stays untouched on disk. Corrections live in ``spec/errata.yaml``; only entries of
kind ``spec-bug`` (the document is wrong for every server) change what is validated. Entries of kind
``reference-bug`` leave the check strict and are listed so the reference's expected failures have their
evidence. Validators are built once per (operation, status, media type), not per request.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.contract.client import Exchange
from conformance.contract.failures import ConformanceFailure
from conformance.contract.findings import record
from conformance.contract.yamlio import SAFE_LOADER
from conformance.paths import spec_dir

SPEC_URI = "urn:conformance:openapi"
ERRATA_KINDS = ("spec-bug", "reference-bug")
MAX_SCHEMA_FINDINGS = 8  # places of one body reported as findings of their own; more is one deviation's noise
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecError(ValueError):
    """The spec or its errata cannot be loaded; the suite cannot start."""


@dataclass(frozen=True)
class Erratum:
    id: str
    kind: str
    location: str
    op: str
    value: Any
    evidence: str
    summary: str
    upstream: Any = None  # what a `replace` corrects, as upstream had it (`spec check` notices when it moves)
    has_upstream: bool = False


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _pointer_parent(document: Any, pointer: str) -> tuple[Any, str]:
    if not pointer.startswith("/"):
        raise SpecError(f"errata location {pointer!r} is not a JSON pointer")
    tokens = [_unescape(t) for t in pointer[1:].split("/")]
    node = document
    for token in tokens[:-1]:
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError):
            raise SpecError(f"errata location {pointer!r}: {token!r} does not exist in the spec") from None
    return node, tokens[-1]


def apply_erratum(document: dict, erratum: Erratum) -> None:
    parent, key = _pointer_parent(document, erratum.location)
    if erratum.op == "none":  # implemented by the contract's own code (see its evidence)
        return
    if erratum.op == "replace":
        if key not in parent:
            raise SpecError(f"erratum {erratum.id}: {erratum.location} does not exist, cannot replace it")
        parent[key] = copy.deepcopy(erratum.value)
    elif erratum.op == "add":
        if key in parent:
            raise SpecError(f"erratum {erratum.id}: {erratum.location} already exists; use replace")
        parent[key] = copy.deepcopy(erratum.value)
    else:
        raise SpecError(f"erratum {erratum.id}: unknown op {erratum.op!r} (replace, add or none)")


def apply_errata(upstream: dict, errata: list[Erratum], *, strict: bool = True) -> tuple[dict, dict[str, str]]:
    """The contract as the validator reads it: ``upstream`` with its spec-bug errata applied (reference-bug
    errata change nothing). The one way errata are applied, by the suite and by ``conformance spec gate``.

    ``strict``: an erratum that does not apply raises SpecError; otherwise it is skipped and its problem
    returned by its id (the gate applies today's errata to a new upstream document, where some may no longer fit).
    """
    document = copy.deepcopy(upstream)
    skipped: dict[str, str] = {}
    for erratum in errata:
        if erratum.kind != "spec-bug":
            continue
        try:
            apply_erratum(document, erratum)
        except SpecError as exc:
            if strict:
                raise
            skipped[erratum.id] = str(exc)
    return document, skipped


def upstream_value(document: Any, pointer: str) -> tuple[bool, Any]:
    """(found, the value at ``pointer``) in ``document``."""
    try:
        parent, key = _pointer_parent(document, pointer)
    except SpecError:
        return False, None
    if isinstance(parent, dict):
        return (key in parent), parent.get(key)
    if isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        return True, parent[int(key)]
    return False, None


def moved_upstream(upstream: dict, errata: list[Erratum]) -> list[str]:
    """Replace errata whose corrected node no longer holds what it held when the erratum was written: the
    upstream fix or change has to be read before the erratum keeps overwriting it."""
    problems = []
    for erratum in errata:
        if erratum.kind != "spec-bug" or erratum.op != "replace":
            continue
        if not erratum.has_upstream:
            problems.append(f"erratum {erratum.id}: a replace erratum must record `upstream:` (the value it corrects)")
            continue
        found, value = upstream_value(upstream, erratum.location)
        if found and json.dumps(value, sort_keys=True) != json.dumps(erratum.upstream, sort_keys=True):
            problems.append(
                f"erratum {erratum.id}: upstream changed at {erratum.location}: it recorded "
                f"{json.dumps(erratum.upstream)}, upstream now has {json.dumps(value)}: has upstream fixed it? "
                "(delete the erratum, or update `upstream:` and its evidence)"
            )
    return problems


def load_yaml(path: Path, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise SpecError(f"{what} not found: {path}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SpecError(f"{what} {path} is not valid YAML{where}") from None


def load_errata(path: Path) -> list[Erratum]:
    data = load_yaml(path, "errata overlay") or {}
    errata = []
    for entry in data.get("errata", []):
        try:
            erratum = Erratum(
                id=entry["id"],
                kind=entry["kind"],
                location=entry["location"],
                op=entry.get("op", "replace"),
                value=entry.get("value"),
                evidence=entry["evidence"],
                summary=entry["summary"],
                upstream=entry.get("upstream"),
                has_upstream="upstream" in entry,
            )
        except KeyError as exc:
            raise SpecError(f"errata entry {entry.get('id', '?')} lacks {exc.args[0]!r}") from None
        if erratum.kind not in ERRATA_KINDS:
            raise SpecError(f"erratum {erratum.id}: kind must be one of {ERRATA_KINDS}")
        errata.append(erratum)
    return errata


def source_release(spec_path: Path) -> str | None:
    """ "langgraph-api 0.16.7": the release SOURCE.yaml beside the document names, when it names one."""
    source = spec_path.parent / "SOURCE.yaml"
    try:
        provenance = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    origin = provenance.get("source") if isinstance(provenance, dict) else None
    if not isinstance(origin, dict) or not origin.get("package") or not origin.get("version"):
        return None
    return f"{origin['package']} {origin['version']}"


class Contract:
    """The effective contract (upstream + spec-bug errata) and its validators."""

    def __init__(self, upstream: dict, errata: list[Erratum], release: str | None = None) -> None:
        if not isinstance(upstream, dict) or "paths" not in upstream:
            raise SpecError("the spec has no 'paths': not an OpenAPI document")
        self.upstream = upstream
        self.errata = errata
        self.release = release  # the release the document comes from ("langgraph-api 0.16.7"), if known
        self.document = apply_errata(upstream, errata)[0]
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.operations: dict[str, dict] = {}
        self.pointers: dict[str, str] = {}
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if method in HTTP_METHODS:
                    key = f"{method.upper()} {path}"
                    self.operations[key] = operation
                    self.pointers[key] = f"/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}"
        self._validators: dict[str, Draft202012Validator] = {}

    @classmethod
    def load(cls, spec_path: Path | None = None, errata_path: Path | None = None) -> Contract:
        spec_path = spec_path or spec_dir() / "openapi.yaml"
        errata_path = errata_path or spec_path.parent / "errata.yaml"
        upstream = load_yaml(spec_path, "OpenAPI document")
        errata = load_errata(errata_path) if errata_path.exists() else []
        return cls(upstream, errata, source_release(spec_path))

    @property
    def version(self) -> str:
        return str(self.upstream.get("info", {}).get("version", "?"))

    def _validator(self, pointer: str) -> Draft202012Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            self._validators[pointer] = validator
        return validator

    def _documented(self, operation: str, status: int) -> tuple[str, dict] | None:
        responses = self.operations[operation].get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return key, responses[key]
        return None

    def validate(
        self,
        exchange: Exchange,
        operation: str,
        *,
        status: int | None = None,
        rule: str = "HTTP-STATUS",
        selected: list[str] | None = None,
    ) -> Any:
        """Check status, content type and body of ``exchange`` against ``operation``; return the body.

        ``selected``: the fields a ``select`` asked for; ``required`` is then enforced for those only
        (erratum E006).
        """
        if operation not in self.operations:
            raise KeyError(f"{operation!r} is not an operation of the spec")
        if status is not None and exchange.status != status:
            raise ConformanceFailure(
                rule,
                f"{operation}: answered {exchange.status}, expected {status}",
                expected=status,
                actual=exchange.status,
                exchange=exchange,
                rule_text=_rule_text(rule),
            )
        documented = self._documented(operation, exchange.status)
        if documented is None:
            listed = ", ".join(self.operations[operation].get("responses", {}))
            raise ConformanceFailure(
                "CONTRACT-STATUS",
                status_message(operation, exchange.status),
                expected=f"one of {listed}",
                actual=exchange.status,
                exchange=exchange,
                rule_text=_rule_text("CONTRACT-STATUS"),
            )
        key, response = documented
        content = response.get("content") or {}
        if not content:
            return None
        media = exchange.content_type.split(";", 1)[0].strip().lower()
        if media not in content:
            # A finding of its own; the body is still judged as the documented type when it is one.
            record(
                ConformanceFailure(
                    "CONTRACT-CONTENT-TYPE",
                    content_type_message(operation, media, exchange.status),
                    expected=" or ".join(content),
                    actual=media or "(none)",
                    exchange=exchange,
                    rule_text=_rule_text("CONTRACT-CONTENT-TYPE"),
                )
            )
            documented_json = [m for m in content if "json" in m]
            if not documented_json or not _parses(exchange.text):
                return exchange.text  # not the documented JSON either: the one finding says it
            media = documented_json[0]
        if "json" not in media:
            return exchange.text
        body = exchange.json()
        if "schema" in content[media]:
            pointer = f"{self.pointers[operation]}/responses/{key}/content/{media.replace('/', '~1')}/schema"
            self._check(body, pointer, f"{operation} -> {exchange.status}", exchange, selected)
        return body

    def validate_body(self, body: Any, schema: str, *, exchange: Exchange | None = None) -> None:
        """Check a JSON value against ``#/components/schemas/<schema>``."""
        if schema not in self.document.get("components", {}).get("schemas", {}):
            raise KeyError(f"schema {schema!r} is not in the spec")
        self._check(body, f"/components/schemas/{schema}", schema, exchange)

    def response_places(
        self, operation: str, status: int, content_type: str, body: Any, selected: list[str] | None = None
    ) -> list[tuple[str, ValidationError]]:
        """Where ``body`` breaks the documented JSON schema of that answer: (JSON path, its best error)."""
        documented = self._documented(operation, status)
        content = (documented[1].get("content") or {}) if documented else {}
        media = content_type.split(";", 1)[0].strip().lower()
        media = media if media in content else next((m for m in content if "json" in m), "")
        if not media or "schema" not in content.get(media, {}):
            return []
        pointer = f"{self.pointers[operation]}/responses/{documented[0]}/content/{media.replace('/', '~1')}/schema"
        return self._places(body, pointer, selected)

    def _places(self, body: Any, pointer: str, selected: list[str] | None) -> list[tuple[str, ValidationError]]:
        """One (place, error) per place in the body that breaks the schema, a place's best error."""
        by_place: dict[str, list[ValidationError]] = {}
        for error in self._validator(pointer).iter_errors(body):
            if not _unselected(error, selected):
                by_place.setdefault(_where(error), []).append(error)
        return [(place, best_match(found)) for place, found in sorted(by_place.items())[:MAX_SCHEMA_FINDINGS]]

    def _check(
        self, body: Any, pointer: str, what: str, exchange: Exchange | None, selected: list[str] | None = None
    ) -> None:
        # One finding per place in the body that breaks the schema: a known error at one field must not
        # hide a new one at another. The behaviour checks still run on the fields that are there.
        for place, error in self._places(body, pointer, selected):
            failure = ConformanceFailure(
                "CONTRACT-SCHEMA",
                schema_message(what, place, error),
                expected=f"{error.validator} {_short_schema(error)}",
                actual=_actual(place, error),
                exchange=exchange,
                rule_text=_rule_text("CONTRACT-SCHEMA"),
            )
            # The response's schema and a component it uses (ErrorResponse) may both be checked on one
            # body: the same place of the same answer is one finding.
            failure.identity = (
                "CONTRACT-SCHEMA",
                id(exchange) if exchange is not None else id(body),
                place,
                str(error.validator),
                error.message,
            )
            record(failure)


# Operations whose ``select`` returns only the selected fields, and the erratum that says so (op: none: the
# contract's ``selected=`` implements it). Without its erratum in the overlay an operation is judged strictly.
SELECT_ERRATA = {
    "POST /threads/search": "E006",
    "GET /threads/{thread_id}/runs": "E012",
    "POST /assistants/search": "E012b",
    "POST /runs/crons/search": "E012c",
}


def schema_message(what: str, place: str, error: ValidationError) -> str:
    """How a schema finding reads, the same for a handwritten test and the property layer."""
    return f"{what}: body does not match the schema at {place} ({error.validator})"


def status_message(operation: str, status: int) -> str:
    return f"{operation}: status {status} is not documented"


def content_type_message(operation: str, media: str, status: int) -> str:
    return f"{operation}: content type {media or '(none)'!r} is not documented for status {status}"


def _unselected(error: ValidationError, selected: list[str] | None) -> bool:
    """A `required` error about a field the request did not select (erratum E006)."""
    if selected is None or error.validator != "required":
        return False
    missing = {name for name in error.validator_value if isinstance(error.instance, dict)} - set(error.instance)
    return bool(missing) and not missing & set(selected)


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _where(error: ValidationError) -> str:
    """The JSON path of an error, items of a list as ``[*]``: the same field of every item is one place."""
    return "$" + "".join(f"[{p!r}]" if isinstance(p, str) else "[*]" for p in error.absolute_path)


def _actual(place: str, error: ValidationError) -> str:
    """What broke the schema, with where when it is deeper than the finding's place: inside an ``anyOf``
    the best error is a branch's, so ``$['checkpoint']`` (null allowed by E003) can fail for what its
    ``checkpoint_map`` holds, and the message alone ("None is not of type 'object'") would blame the
    checkpoint. The place in the finding's message stays the anyOf's, so listed findings keep matching."""
    deeper = _where(error)
    return f"{deeper}: {error.message}" if deeper != place else error.message


def _short_schema(error: ValidationError) -> str:
    text = repr(error.validator_value)
    return text if len(text) < 120 else text[:120] + "..."


def _rule_text(rule: str) -> str:
    from conformance.contract.rules import load_rules

    return load_rules().get(rule, {}).get("text", "")


@functools.cache
def default_contract() -> Contract:
    return Contract.load()


_UUID_SEGMENT = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def operation_of(method: str, path: str, contract: Contract | None) -> str:
    """The documented operation a request belongs to; literal segments beat parameters (/threads/search)."""
    segments = path.strip("/").split("/")
    best, best_score = None, -1
    for key in contract.operations if contract is not None else ():
        op_method, template = key.split(" ", 1)
        parts = template.strip("/").split("/")
        if op_method != method or len(parts) != len(segments):
            continue
        score = 0
        for want, got in zip(parts, segments, strict=True):
            if want.startswith("{") and want.endswith("}"):
                continue
            if want != got:
                break
            score += 1
        else:
            if score > best_score:
                best, best_score = key, score
    if best is not None:
        return best
    shown = "/".join("{id}" if _UUID_SEGMENT.match(s) else s for s in segments)
    return f"{method} /{shown} (undocumented)"

"""Judging one answer: schemathesis' checks run on it, and what they find becomes findings.

Its own module because this is where a certification's verdicts come from: each check is either
conformance or advisory (``CHECKS`` below; docs/PROPERTIES.md says why), a finding is worded as the
handwritten tests word the same rule (so one deviation seen by both is one deviation), and findings that
follow from another on the same answer are not repeated. Nothing here sends a request or keeps a count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from conformance.contract.client import Exchange
from conformance.contract.document import (
    SELECT_ERRATA,
    Contract,
    content_type_message,
    schema_message,
    status_message,
)
from conformance.contract.findings import explained_by
from conformance.properties.schema import STREAM_MEDIA
from conformance.properties.send import Sent

# check -> (conformance?, rule). Rules of advisory checks name what was seen; they never fail a test.
CHECKS: dict[str, tuple[bool, str]] = {
    "not_a_server_error": (True, "PROPERTY-SERVER-ERROR"),
    "status_code_conformance": (True, "CONTRACT-STATUS"),
    "content_type_conformance": (True, "CONTRACT-CONTENT-TYPE"),
    "response_headers_conformance": (True, "CONTRACT-HEADERS"),
    "response_schema_conformance": (True, "CONTRACT-SCHEMA"),
    "negative_data_rejection": (False, "PROPERTY-NEGATIVE-ACCEPTED"),
    "positive_data_acceptance": (False, "PROPERTY-POSITIVE-REJECTED"),
}


@dataclass
class Finding:
    rule: str
    conformance: bool
    message: str
    expected: Any
    actual: Any
    exchange: Exchange
    case: str  # "coverage phase, negative: ..." - how the case came about


def describe_case(case: Any) -> str:
    meta = getattr(case, "meta", None)
    if meta is None:
        return "case"
    phase = getattr(getattr(meta, "phase", None), "name", "?")
    mode = getattr(getattr(meta, "generation", None), "mode", "?")
    description = getattr(getattr(getattr(meta, "phase", None), "data", None), "description", None)
    text = f"{getattr(phase, 'value', phase)} phase, {getattr(mode, 'value', mode)} data"
    return f"{text}: {description}" if description else text


def is_negative(case: Any) -> bool:
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return bool(getattr(mode, "is_negative", False))


def malformed_path_ids(case: Any, contract: Contract, label: str) -> list[str]:
    """The path parameters declared ``format: uuid`` whose value in this case is not a UUID, when the path
    is the only part of the request generated invalid (so the malformed id is why the request is invalid)."""
    components = getattr(getattr(case, "meta", None), "components", None) or {}
    negative = {str(getattr(loc, "value", loc)) for loc, info in components.items() if info.mode.is_negative}
    if negative != {"path"}:
        return []
    found = []
    for parameter in contract.operations[label].get("parameters") or []:
        schema = parameter.get("schema") or {}
        if parameter.get("in") != "path" or schema.get("format") != "uuid":
            continue
        value = (case.path_parameters or {}).get(parameter["name"])
        if not isinstance(value, str) or not _UUID_TEXT.match(value):
            found.append(parameter["name"])
    return found


_UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def evaluate(case: Any, sent: Sent, contract: Contract, label: str) -> list[Finding]:
    """Run the checks on one answer and classify what they find (see ``CHECKS``)."""
    how = describe_case(case)
    if sent.error is not None:
        waited = "no answer" if sent.error == "HTTP-TRANSPORT" else "no answer within the request timeout"
        what = f"{label}: {waited}"
        return [Finding(sent.error, True, what, "an HTTP answer", sent.exchange.text, sent.exchange, how)]
    documented = list(contract.operations[label].get("responses", {}))
    findings = []
    for name, failure in _failures(case, sent.response):
        conformance, rule = CHECKS[name]
        finding = _classify(name, conformance, rule, failure, case, sent, contract, label, documented)
        if finding is not None:
            finding.case = how
            findings.append(finding)
    return without_consequences(findings)


def without_consequences(findings: list[Finding]) -> list[Finding]:
    """The findings of one answer, less those another finding of the same answer explains."""
    explained = explained_by({f.rule for f in findings if f.conformance})
    return [f for f in findings if not (f.conformance and f.rule in explained)]


def _failures(case: Any, response: Any) -> list[tuple[str, Any]]:
    """(check name, failure) for every failing check: one validation pass, attributed by failure type.

    A failure of a type this table does not know (another schemathesis version) is attributed by running
    the checks one at a time, which is slower but never guesses.
    """
    import schemathesis
    from schemathesis.checks import load_all_checks
    from schemathesis.core.failures import FailureGroup

    load_all_checks()
    checks = [getattr(schemathesis.checks, name) for name in CHECKS]
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        owners = [(_owner(failure), failure) for failure in group.exceptions]
        if all(name is not None for name, _ in owners):
            return owners
    else:
        return []
    found = []
    for name, check in zip(CHECKS, checks, strict=True):
        try:
            case.validate_response(response, checks=[check])
        except FailureGroup as group:
            found += [(name, failure) for failure in group.exceptions]
    return found


FAILURE_OWNERS = {
    "ServerError": "not_a_server_error",
    "ContentTypeServerError": "not_a_server_error",
    "UndefinedStatusCode": "status_code_conformance",
    "MissingContentType": "content_type_conformance",
    "UndefinedContentType": "content_type_conformance",
    "MalformedMediaType": "content_type_conformance",
    "MissingHeaders": "response_headers_conformance",
    "JsonSchemaError": "response_schema_conformance",
    "MalformedJson": "response_schema_conformance",
    "ContentDeserializationError": "response_schema_conformance",
    "DiscriminatorMismatch": "response_schema_conformance",
    "AcceptedNegativeData": "negative_data_rejection",
    "RejectedPositiveData": "positive_data_acceptance",
}


def _owner(failure: Any) -> str | None:
    name = FAILURE_OWNERS.get(type(failure).__name__)
    if name == "response_schema_conformance" and str(getattr(failure, "title", "")).startswith("Response header"):
        return "response_headers_conformance"
    return name


def _classify(
    name: str,
    conformance: bool,
    rule: str,
    failure: Any,
    case: Any,
    sent: Sent,
    contract: Contract,
    label: str,
    documented: list[str],
) -> Finding | None:
    status = sent.response.status_code
    title = getattr(failure, "title", None) or type(failure).__name__
    detail = " ".join(str(getattr(failure, "message", "") or "").split())
    message = f"{label}: {title}"
    expected: Any = None
    actual: Any = detail or status
    if name == "negative_data_rejection" and 200 <= status < 300:
        malformed = malformed_path_ids(case, contract, label)
        if malformed:
            # Not a generator's guess: the document declares the id a UUID, so a request whose only fault
            # is a malformed id is not a request for any resource, and a 2xx answers what was never asked.
            rule, conformance = "PROPERTY-MALFORMED-ID-ACCEPTED", True
            message = f"{label}: a malformed {', '.join(malformed)} (not a UUID) was answered {status}"
            return Finding(
                rule, conformance, message, "a 4xx (the id is declared format uuid)", status, sent.exchange, ""
            )
    if name == "not_a_server_error":
        conformance = not any(key in (str(status), f"{str(status)[0]}XX") for key in documented)
        rule = rule if conformance else "PROPERTY-DOCUMENTED-5XX"
        expected, actual = "an answer that is not a server error", status
    elif name == "status_code_conformance":
        if is_negative(case) and 400 <= status < 500:
            conformance, rule = False, "PROPERTY-NEGATIVE-STATUS"
        expected, actual = f"one of {', '.join(documented)}", status
        message = status_message(label, status)  # worded as the handwritten tests word it: one deviation
    elif name == "content_type_conformance":
        actual = sent.exchange.content_type or "(none)"
        message = content_type_message(label, sent.exchange.content_type.split(";", 1)[0].strip().lower(), status)
    elif name == "response_schema_conformance":
        if STREAM_MEDIA in sent.exchange.content_type and _stream_is_text(contract, label, status):
            return None
        if type(failure).__name__ == "MalformedJson":
            rule, expected = "HTTP-JSON", "a JSON body"
        else:
            expected = "a body valid against the documented schema (errata applied)"
            if _selected_fields_only(case, sent, contract, label):
                return None
            message = _schema_place(contract, label, sent) or message
    return Finding(rule, conformance, message, expected, actual, sent.exchange, "")


def _schema_place(contract: Contract, label: str, sent: Sent) -> str | None:
    """The schema finding worded as a handwritten test words it (the first place the body breaks the
    schema), so the same deviation seen by both is one deviation."""
    try:
        body = json.loads(sent.exchange.text)
    except ValueError:
        return None
    status = sent.exchange.status
    places = contract.response_places(label, status, sent.exchange.content_type, body)
    return schema_message(f"{label} -> {status}", *places[0]) if places else None


def _stream_is_text(contract: Contract, label: str, status: int) -> bool:
    """The document describes this event stream as a whole as ``type: string``, which any stream is.

    Schemathesis judges each event of a stream against the media type's schema; this document's SSE
    schemas are ``type: string`` for the stream, not a schema per event, so an event (an object with data
    and event fields) can never match and the check would only measure that misreading. As in
    :meth:`Contract.validate`, only JSON bodies are validated against a schema.
    """
    responses = contract.operations[label].get("responses", {})
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default") or {}
    schema = ((response.get("content") or {}).get(STREAM_MEDIA) or {}).get("schema") or {}
    return schema.get("type") == "string" and "itemSchema" not in (response.get("content") or {}).get(STREAM_MEDIA, {})


def _selected_fields_only(case: Any, sent: Sent, contract: Contract, label: str) -> bool:
    """With ``select``, ``required`` holds for the selected fields only (E006, E012); the contract knows how."""
    erratum = SELECT_ERRATA.get(label)
    if erratum is None or not any(e.id == erratum for e in contract.errata):
        return False
    selected = (case.body if isinstance(case.body, dict) else {}).get("select")
    if selected is None:
        selected = dict(case.query or {}).get("select")
    if isinstance(selected, str):
        selected = [selected]
    if not isinstance(selected, list) or not selected or not all(isinstance(s, str) for s in selected):
        return False
    try:
        body = json.loads(sent.exchange.text)
    except ValueError:
        return False
    # Asked, not validated: a validation would record its findings into the running test.
    places = contract.response_places(label, sent.exchange.status, sent.exchange.content_type, body, selected)
    return not places

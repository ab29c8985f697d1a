"""The property-based layer: every operation of the effective contract, exercised with schemathesis.

Schemathesis generates the requests (its examples, coverage and fuzzing phases, positive and negative
data) from the *effective* document (upstream + errata, :attr:`Contract.document`) and judges the answers
with its checks. Everything else is the suite's, for reasons that matter to a certification:

* **One pytest test per operation, parametrized by pytest itself.** ``@schema.parametrize()`` gives every
  operation the same node id on pytest 9.2 (schemathesis 4.32 builds its items with ``name=`` only) and
  ``schemathesis.pytest.from_fixture`` fails with ``AttributeError: _nodeid``. So the test module lists
  the operations and, at run time, asks schemathesis' own pytest builder (``build_operation_test``, the
  function ``@schema.parametrize()`` calls) for the Hypothesis test of one operation. The run-time build
  also lets the seed, example count, target URL and headers come from the session's settings.
* **Requests go through the session's httpx client**, so they carry the configured headers, count in the
  report's operation matrix, and an SSE stream can be read for a bounded time (event streams never end).
* **No case raises inside Hypothesis.** Each case's findings are collected; the test fails afterwards
  with the first conformance finding. Nothing is shrunk or replayed, so a seed always sends the same
  requests, a failing run takes no longer than a passing one, and advisory findings never stop the run.
* **Each check is either conformance or advisory** (``CHECKS`` below, docs/PROPERTIES.md says why).
  Advisory findings become ``PropertyAdvisory`` warnings and junit properties, never failures.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.contract import sse
from conformance.contract.client import Exchange
from conformance.contract.document import Contract, content_type_message, schema_message, status_message
from conformance.contract.failures import ConformanceFailure, message_signature
from conformance.contract.findings import ConformanceFailures, explained_by
from conformance.contract.rules import rule_text
from conformance.plugin.settings import SettingsError
from conformance.properties import PropertyAdvisory, canonical
from conformance.properties.world import READ_ONLY, VICTIM_OPS, World

# requests' defaults and schemathesis' random case id: httpx sends its own defaults, and a random header
# would make equal seeds send different requests.
DROPPED_HEADERS = {"x-schemathesis-testcaseid", "user-agent", "accept-encoding", "connection", "content-length"}
STREAM_MEDIA = "text/event-stream"
STREAM_MAX_BYTES = 256 * 1024
STREAM_MAX_EVENTS = 2_000  # within a window of a second at most: the bytes bound comes first
WORKERS = 8  # concurrent requests for operations whose cases are independent (see Layer.run)
# POSTs that only listen: a subscription to a thread's events changes nothing, so its cases may overlap.
LISTENING = ("POST /threads/{thread_id}/stream/events",)


@dataclass(frozen=True)
class Budget:
    """How much generation one run buys; ``--max-examples`` overrides ``max_examples``."""

    name: str
    max_examples: int  # fuzzing examples per operation
    stream_examples: int  # fuzzing examples for operations that answer an event stream
    stream_window: float  # seconds an event stream is read after its headers arrived


BUDGETS = {
    "quick": Budget("quick", max_examples=5, stream_examples=2, stream_window=0.25),
    "full": Budget("full", max_examples=50, stream_examples=10, stream_window=1.0),
}

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
MAX_FINDINGS_PER_OPERATION = 12  # distinct (rule, message) findings one operation reports
# When an operation breaks several rules, the test fails with the first of these (stable across seeds).
RULE_ORDER = (
    "OPERATION-AVAILABLE",
    "HTTP-TRANSPORT",
    "HTTP-TIMEOUT",
    "PROPERTY-SERVER-ERROR",
    "CONTRACT-STATUS",
    "CONTRACT-CONTENT-TYPE",
    "HTTP-JSON",
    "CONTRACT-SCHEMA",
    "CONTRACT-HEADERS",
)


# ---------------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Plan:
    seed: int
    budget: Budget
    max_examples: int
    request_timeout: float


def _integer(settings: Any, name: str, minimum: int) -> int | None:
    raw = getattr(settings, name)
    if raw is None:
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{name} from {settings.sources[name]}: expected an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} from {settings.sources[name]}: must be at least {minimum}, got {raw!r}")
    return value


def plan_from(settings: Any) -> Plan:
    """The layer's settings (--conformance-seed, --max-examples, --property-budget), validated."""
    budget_name = str(settings.property_budget).strip().lower()
    if budget_name not in BUDGETS:
        raise SettingsError(
            f"property_budget from {settings.sources['property_budget']}: expected one of "
            f"{', '.join(BUDGETS)}, got {settings.property_budget!r}"
        )
    budget = BUDGETS[budget_name]
    seed = _integer(settings, "conformance_seed", 0) or 0
    examples = _integer(settings, "max_examples", 1)
    return Plan(seed, budget, examples or budget.max_examples, settings.request_timeout)


# ----------------------------------------------------------------------------------------------- schema
def is_streaming(operation: dict[str, Any]) -> bool:
    return any(STREAM_MEDIA in (r.get("content") or {}) for r in operation.get("responses", {}).values())


def without_local_constants() -> None:
    """Same seed, same requests, whatever code is around: Hypothesis mixes string and number constants
    it finds in the *local* modules loaded at the time (not site-packages) into generated data, so the same
    seed generated other requests from a checkout than from an installed wheel, and after any edit of the
    suite's own modules. The property layer draws from the document alone. Hypothesis offers no setting
    for this; where its internal hook is absent (another release), nothing changes."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without the provider module
        return
    if hasattr(providers, "_get_local_constants") and hasattr(providers, "Constants"):
        providers._get_local_constants = providers.Constants  # an empty set of constants, every time


def build_schema(contract: Contract, plan: Plan, base_url: str) -> Any:
    """The schemathesis schema of the effective document: seeded, derandomized, no example database."""
    import schemathesis

    without_local_constants()

    streaming = [key for key, op in contract.operations.items() if is_streaming(op)]
    config = schemathesis.Config.from_dict(
        {
            "seed": plan.seed,
            "suppress-health-check": ["all"],
            "generation": {
                "mode": "all",
                "max-examples": plan.max_examples,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "examples": {"enabled": True},
                # Undeclared methods (405 probes) are outside the contract: no case is spent on them.
                "coverage": {"enabled": True, "unexpected-methods": []},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "operations": [
                {
                    "include-name": key,
                    "generation": {"max-examples": min(plan.max_examples, plan.budget.stream_examples)},
                }
                for key in streaming
            ],
        }
    )
    schema = schemathesis.openapi.from_dict(copy_document(contract), config=config)
    schema.config.update(base_url=base_url.rstrip("/"))
    return schema


def copy_document(contract: Contract) -> dict[str, Any]:
    """A copy for schemathesis, which annotates the dict it loads; the contract's document stays as it is."""
    return json.loads(json.dumps(contract.document))


def operation_test(schema: Any, label: str, run_case: Any) -> Any:
    """The Hypothesis test schemathesis' pytest integration builds for ``label`` (all configured phases)."""
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test

    operation = schema.find_operation_by_label(label)
    if operation is None:
        raise KeyError(f"schemathesis does not know the operation {label!r}")
    return build_operation_test(
        config=schema.config, operation=operation, test_func=run_case, given_kwargs={}, feedback=FeedbackSources()
    )


# ------------------------------------------------------------------------------------------- exchanges
@dataclass
class Sent:
    exchange: Exchange
    response: Any  # schemathesis.Response, or None when nothing came back
    cut_short: bool = False
    error: str | None = None  # HTTP-TIMEOUT / HTTP-TRANSPORT


def send(http: httpx.Client, case: Any, secret_headers: tuple[str, ...], window: float) -> Sent | None:
    """Send ``case`` with the session's client; read an event stream for ``window`` seconds at most.

    Returns None for a case httpx cannot put on the wire (a header value it refuses, say): that is a
    property of the generated data, not of the target.
    """
    import requests
    import schemathesis

    kwargs = case.as_transport_kwargs()
    generated = {k.lower() for k in (case.headers or {})}
    headers = {
        k: str(v)
        for k, v in kwargs.get("headers", {}).items()
        if k.lower() not in DROPPED_HEADERS and (k.lower() != "accept" or "accept" in generated)
    }
    content = kwargs.get("data")
    try:
        if "json" in kwargs:
            content = json.dumps(kwargs["json"], ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        if isinstance(content, str):
            content = content.encode("utf-8")
        request = http.build_request(
            kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, content=content
        )
    except (ValueError, TypeError, UnicodeError, httpx.InvalidURL):
        return None
    shown = {k: v for k, v in headers.items() if k.lower() not in {s.lower() for s in secret_headers}}
    # The generated headers are shown (secrets stay placeholders) and the body is reproduced byte for byte.
    evidence: dict[str, Any] = {"secret_headers": secret_headers, "shown_headers": shown, "raw_body": True}
    started = time.monotonic()
    cut = False
    try:
        # A kept-alive connection the server closed without answering is the transport's business: the
        # request goes out again on a fresh one (conformance/contract/client.py, KeptAliveTransport).
        response = http.send(request, stream=True)
    except httpx.LocalProtocolError:
        return None
    except httpx.TimeoutException:
        return Sent(Exchange.from_httpx(request, None, text="(timeout)", **evidence), None, error="HTTP-TIMEOUT")
    except httpx.TransportError as exc:
        unanswered = Exchange.from_httpx(request, None, text=f"(no answer: {type(exc).__name__})", **evidence)
        return Sent(unanswered, None, error="HTTP-TRANSPORT")
    try:
        if STREAM_MEDIA in response.headers.get("content-type", ""):
            deadline = time.monotonic() + window
            read = sse.read(response, deadline=deadline, max_events=STREAM_MAX_EVENTS, max_bytes=STREAM_MAX_BYTES)
            if read.error is not None:
                raise read.error
            body, cut = read.body, not read.ended
        else:
            body = response.read()
    except httpx.TimeoutException:
        cut_off = Exchange.from_httpx(request, None, text="(timeout while reading the body)", **evidence)
        return Sent(cut_off, None, error="HTTP-TIMEOUT")
    except httpx.TransportError as exc:
        cut_off = Exchange.from_httpx(request, None, text=f"(body cut off: {type(exc).__name__})", **evidence)
        return Sent(cut_off, None, error="HTTP-TRANSPORT")
    finally:
        response.close()
    text = body.decode(response.encoding or "utf-8", "replace")
    exchange = Exchange.from_httpx(request, response, text=text, elapsed=time.monotonic() - started, **evidence)
    grouped: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        grouped.setdefault(name.lower(), []).append(value)
    prepared = requests.Request(request.method, exchange.url, headers=shown, data=content).prepare()
    checked = schemathesis.Response(
        status_code=response.status_code,
        headers=grouped,
        content=body,
        request=prepared,
        elapsed=exchange.elapsed,
        verify=True,
        message=response.reason_phrase,
        http_version=response.http_version.replace("HTTP/", ""),
        encoding=response.encoding,
        stream_cut_short=cut,
    )
    return Sent(exchange, checked, cut_short=cut)


# -------------------------------------------------------------------------------------------- findings
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


# Operations whose ``select`` returns only the selected fields, and the erratum that says so (op: none, the
# contract's ``selected=`` implements it). Without its erratum in the overlay an operation is judged strictly.
SELECT_ERRATA = {
    "POST /threads/search": "E006",
    "GET /threads/{thread_id}/runs": "E012",
    "POST /assistants/search": "E012b",
    "POST /runs/crons/search": "E012c",
}


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
        contract.validate(sent.exchange, label, selected=selected)
    except (ConformanceFailure, KeyError):
        return False
    return True


# ------------------------------------------------------------------------------------------ operations
@dataclass
class OperationRun:
    """What happened to one operation's generated cases."""

    label: str
    cases: int = 0
    phases: Counter = field(default_factory=Counter)
    modes: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    examples: dict[int, str] = field(default_factory=dict)  # status -> the first answer with it
    skipped: Counter = field(default_factory=Counter)
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # rule -> findings (first few kept)
    counts: Counter = field(default_factory=Counter)  # rule -> number of cases
    distinct: dict[tuple[str, int, str], Finding] = field(default_factory=dict)  # (rule, status, message) -> first
    distinct_counts: Counter = field(default_factory=Counter)  # (rule, status, message) -> number of cases
    streams_cut: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    seconds: float = 0.0
    canonical: str = "not sent"  # the canonical request's answer (conformance/properties/canonical.py)

    def add(self, findings: list[Finding]) -> None:
        for rule in {f.rule for f in findings}:
            self.counts[rule] += 1
        for finding in findings:
            kept = self.findings.setdefault(finding.rule, [])
            if len(kept) < 3:
                kept.append(finding)
            # Each distinct deviation of a rule (another undocumented status, another place in the body)
            # is a finding of its own; its first case is its evidence.
            key = (finding.rule, finding.exchange.status, message_signature(finding.message))
            self.distinct.setdefault(key, finding)
            self.distinct_counts[key] += 1

    def conformance_rules(self) -> list[str]:
        rules = [r for r, kept in self.findings.items() if kept[0].conformance]
        return sorted(rules, key=lambda r: (RULE_ORDER.index(r) if r in RULE_ORDER else len(RULE_ORDER), r))

    def advisory_rules(self) -> list[str]:
        return sorted(r for r, kept in self.findings.items() if not kept[0].conformance)

    def failure(self) -> ConformanceFailure | None:
        """Every conformance rule the operation's cases broke, each a finding of its own (in RULE_ORDER),
        so a listed deviation of one rule never hides another rule's. The first case of each rule is its
        evidence; how that case came about is shown beside what was seen, not in the message, so the
        message identifies the deviation and not the generated data."""
        rules = self.conformance_rules()
        unavailable = self.findings.get(canonical.RULE)
        if unavailable and all(
            f.exchange.status == unavailable[0].exchange.status for f in self.findings.get("CONTRACT-STATUS", [])
        ):
            # The operation is not served (a redirect, a 404): its generated requests' same status is that.
            rules = [r for r in rules if r != "CONTRACT-STATUS"]
        if not rules:
            return None
        findings = []
        for key in sorted(
            (key for key in self.distinct if key[0] in rules), key=lambda key: (rules.index(key[0]), key[1], key[2])
        )[:MAX_FINDINGS_PER_OPERATION]:
            rule, first, count = key[0], self.distinct[key], self.distinct_counts[key]
            findings.append(
                ConformanceFailure(
                    rule,
                    f"{first.message}; {rule} in {count} of {self.cases} generated request(s)",
                    expected=first.expected,
                    actual=f"{first.actual} (case: {first.case})" if first.case else first.actual,
                    exchange=first.exchange,
                    rule_text=rule_text(rule),
                )
            )
        return ConformanceFailures(findings)

    def advisory_headline(self) -> str | None:
        rules = self.advisory_rules()
        if not rules:
            return None
        tally = ", ".join(f"{r} in {self.counts[r]}" for r in rules)
        where = "examples: properties.json, junit property 'advisory'"
        return f"{self.label}: advisory, not failed: {tally} of {self.cases} case(s) ({where})"

    def examples_of(self, rules: list[str]) -> dict[str, list[dict[str, str]]]:
        """The first cases of each rule, with their reproduction (for properties.json and junit)."""
        return {
            rule: [
                {
                    "case": f.case,
                    "answer": f.exchange.summary(),
                    "detail": _clip(str(f.actual)),
                    "reproduce": f.exchange.curl(),
                }
                for f in self.findings[rule]
            ]
            for rule in rules
        }

    def summary(self) -> dict[str, Any]:
        return {
            "operation": self.label,
            "cases": self.cases,
            "seconds": round(self.seconds, 3),
            "phases": dict(sorted(self.phases.items())),
            "modes": dict(sorted(self.modes.items())),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "first_answers": {str(k): v for k, v in sorted(self.examples.items())},
            "skipped": dict(self.skipped),
            "streams_cut_short": self.streams_cut,
            "canonical_request": self.canonical,
            "requests_sha256": self.digest.hexdigest(),
            "conformance": {r: self.counts[r] for r in self.conformance_rules()},
            "advisory": {r: self.counts[r] for r in self.advisory_rules()},
            "examples": self.examples_of(self.conformance_rules() + self.advisory_rules()),
        }


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def fingerprint(case: Any) -> bytes:
    """The generated request before the session's ids go in: equal for equal seeds, whatever the session."""
    body = case.body if isinstance(case.body, dict | list | str | int | float | bool) or case.body is None else "?"
    data = [case.method, case.path, case.path_parameters, dict(case.query or {}), dict(case.headers or {}), body]
    return json.dumps(data, sort_keys=True, default=str).encode()


@dataclass
class Layer:
    """The session's property layer: schema, world, and one :class:`OperationRun` per operation tested."""

    contract: Contract
    plan: Plan
    schema: Any
    world: World
    http: httpx.Client
    secret_headers: tuple[str, ...]
    tagged: set[str]
    parallel: set[str]
    graph_assistants: dict[str, str] = field(default_factory=dict)  # fixture graph -> its default assistant
    runs: dict[str, OperationRun] = field(default_factory=dict)

    @classmethod
    def open(cls, cert: Any, contract: Contract, plan: Plan) -> Layer:
        schema = build_schema(contract, plan, cert.target.url)
        world = World.open(cert)
        parallel = {key for key in contract.operations if key.startswith("GET ") or key in (*VICTIM_OPS, *LISTENING)}
        return cls(
            contract,
            plan,
            schema,
            world,
            cert.http,
            cert.secret_headers,
            tagged_operations(contract),
            parallel,
            dict(cert.target.assistants),
        )

    def run(self, label: str) -> OperationRun:
        """Generate every case of ``label``, send them, and judge the answers in case order.

        Generation comes first (nothing a case gets back changes what Hypothesis generates next), then
        a pool sends the cases while this thread judges the answers as they come in. Operations whose
        cases cannot disturb each other (GETs, event subscriptions, operations whose cases each get a
        victim of their own) are sent ``WORKERS`` at a time: a quiet event stream or a join that polls
        then costs its wait once per batch, not once per case. Every other operation (anything that may
        create or change what another case sees, run streams included) is sent one case at a time, in
        order.
        """
        record = OperationRun(label)
        self.runs[label] = record
        generated: list[Any] = []

        def run_case(case: Any) -> None:
            record.digest.update(fingerprint(case))
            generated.append(case)

        started = time.monotonic()
        operation_test(self.schema, label, run_case)()
        tagged = label in self.tagged
        window = self.plan.budget.stream_window

        def deliver(case: Any) -> Sent | str:
            skip = self.world.prepare(case, label, tagged)
            if skip:
                return skip
            return send(self.http, case, self.secret_headers, window) or "not sendable over HTTP"

        workers = WORKERS if label in self.parallel else 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conformance-property") as pool:
            try:
                for case, sent in zip(generated, pool.map(deliver, generated), strict=True):
                    if isinstance(sent, str):
                        record.skipped[sent] += 1
                        continue
                    self._judge(record, case, sent, label)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        self._canonical(record, label)
        record.seconds = time.monotonic() - started
        return record

    def _canonical(self, record: OperationRun, label: str) -> None:
        """Send the operation's canonical request; anything but a documented 2xx fails OPERATION-AVAILABLE."""
        method, path = label.split(" ", 1)
        wanted = canonical.documented_success(self.contract.document["paths"][path][method.lower()])
        build = canonical.CANONICAL.get(label)
        if not wanted or build is None:
            record.canonical = "not checked: the document lists no 2xx" if build else "no canonical request"
            return
        try:
            request = build(self.world, self.graph_assistants)
        except KeyError as exc:
            # Not proven available is not available: the operation fails, naming the set-up the target refused.
            record.canonical = f"not sent: the session could not make its {exc.args[0]}"
            noun = f"/{str(exc.args[0]).removesuffix('_id')}s"  # assistant_id -> the refused POST /assistants
            related = [e for e in self.world.refused if noun in e.path] or self.world.refused
            refused = related[0] if related else None
            unsent = self.http.build_request(method, path)  # the operation's template: nothing was sent
            why = "; ".join(self.world.notes) or "no answer recorded"
            record.add(
                [
                    Finding(
                        canonical.RULE,
                        True,
                        f"{label}: not proven available: the session could not make its {exc.args[0]} ({why})",
                        "a valid request on the session's own resources",
                        record.canonical,
                        refused or Exchange.from_httpx(unsent, None, secret_headers=self.secret_headers),
                        "canonical request",
                    )
                ]
            )
            return
        exchange = canonical.send(self.http, request, self.secret_headers)
        record.canonical = exchange.summary() if exchange.status else f"no answer {exchange.text}"
        if exchange.status in wanted:
            return
        shown = wanted[0] if len(wanted) == 1 else wanted
        finding = Finding(
            canonical.RULE,
            True,
            f"{label}: a valid request on the session's own resources answered {exchange.status or 'nothing'}, "
            f"not {shown}",
            shown,
            f"{exchange.status}: {exchange.body_excerpt(160) or '(empty body)'}",
            exchange,
            "canonical request",
        )
        record.add([finding])

    def _judge(self, record: OperationRun, case: Any, sent: Sent, label: str) -> None:
        record.cases += 1
        meta = getattr(case, "meta", None)
        record.phases[str(getattr(getattr(getattr(meta, "phase", None), "name", None), "value", "?"))] += 1
        record.modes["negative" if is_negative(case) else "positive"] += 1
        record.statuses[sent.exchange.status] += 1
        if sent.exchange.status not in record.examples:
            record.examples[sent.exchange.status] = f"{sent.exchange.summary()}: {sent.exchange.body_excerpt(200)}"
        record.streams_cut += sent.cut_short
        if sent.response is not None and sent.exchange.status == 200:
            with contextlib.suppress(ValueError):
                self.world.note_created(label, 200, json.loads(sent.exchange.text or "null"))
        record.add(evaluate(case, sent, self.contract, label))

    def report(self, record: OperationRun, node: Any, scrub: Any = lambda text: text) -> None:
        """Advisories as warnings and junit properties; then the first conformance finding, if any.

        ``scrub`` removes secrets from what is shown (the report's own scrubber: reports and the terminal
        must never show the API key, header values or URL credentials, even quoted by the target).
        """
        node.user_properties.append(("property_cases", record.cases))
        for rule, examples in record.examples_of(record.advisory_rules()).items():
            first = examples[0]
            line = f"{rule} in {record.counts[rule]} case(s); first: {first['answer']}; reproduce: {first['reproduce']}"
            node.user_properties.append(("advisory", scrub(line)))
        headline = record.advisory_headline()
        if headline:
            warnings.warn(PropertyAdvisory(scrub(headline)), stacklevel=2)
        failure = record.failure()
        if failure is not None:
            raise failure

    def summary(self) -> dict[str, Any]:
        return {
            "plan": {
                "seed": self.plan.seed,
                "budget": self.plan.budget.name,
                "max_examples": self.plan.max_examples,
                "stream_examples": min(self.plan.max_examples, self.plan.budget.stream_examples),
                "stream_window_seconds": self.plan.budget.stream_window,
            },
            "resources": {k: v for k, v in sorted(self.world.ids.items())},
            "resource_notes": self.world.notes,
            "victims": self.world.victims,
            "cases": sum(r.cases for r in self.runs.values()),
            "operations": [r.summary() for r in self.runs.values()],
        }


def tagged_operations(contract: Contract) -> set[str]:
    """Operations that create or change something and whose request body has a ``metadata`` object."""
    found = set()
    for key, operation in contract.operations.items():
        method, path = key.split(" ", 1)
        if method == "GET" or READ_ONLY.search(path):
            continue
        content = (operation.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema", {})
        if "metadata" in _properties(contract.document, schema):
            found.add(key)
    return found


def _properties(document: dict[str, Any], schema: Any, depth: int = 0) -> set[str]:
    """Top-level property names of a body schema (through $ref, *Of and, for arrays, their items)."""
    if not isinstance(schema, dict) or depth > 4:
        return set()
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        target = document.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
        return _properties(document, target, depth + 1)
    names = set(schema.get("properties") or {})
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(keyword) or []:
            names |= _properties(document, branch, depth + 1)
    if isinstance(schema.get("items"), dict):
        names |= _properties(document, schema["items"], depth + 1)
    return names

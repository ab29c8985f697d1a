"""The property layer's run loop: every operation of the effective contract, exercised with schemathesis.

Schemathesis generates the requests (its examples, coverage and fuzzing phases, positive and negative
data) from the *effective* document (upstream + errata, :attr:`Contract.document`) and judges the answers
with its checks. Everything else is the suite's, for reasons that matter to a certification, and each
reason has its module:

* **One pytest test per operation, parametrized by pytest itself**, each built at run time from the
  session's settings (schema.py: the schema, one operation's Hypothesis test, and why not
  ``@schema.parametrize()``; budget.py: the seed, budget and example count).
* **Requests go through the session's httpx client** (send.py), so they carry the configured headers,
  count in the report's operation matrix, and an SSE stream can be read for a bounded time (event streams
  never end).
* **No case raises inside Hypothesis.** Each case's findings are collected (judge.py) and added up per
  operation (record.py); the test fails afterwards with every conformance finding. Nothing is shrunk or
  replayed, so a seed always sends the same requests, a failing run takes no longer than a passing one,
  and advisory findings never stop the run.
* **Each check is either conformance or advisory** (``judge.CHECKS``, docs/PROPERTIES.md says why).
  Advisory findings become ``PropertyAdvisory`` warnings and junit properties, never failures.

This module is the loop that ties them together: the session's :class:`Layer` generates every case of an
operation, sends them (in parallel where cases cannot disturb each other), judges the answers in case
order, sends the canonical request (canonical.py), and reports.
"""

from __future__ import annotations

import contextlib
import json
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.contract.client import Exchange
from conformance.contract.document import Contract
from conformance.properties import PropertyAdvisory, canonical
from conformance.properties.budget import Plan, plan_from
from conformance.properties.judge import Finding, evaluate, is_negative
from conformance.properties.record import OperationRun
from conformance.properties.schema import build_schema, fingerprint, operation_test
from conformance.properties.send import Sent, send
from conformance.properties.world import READ_ONLY, VICTIM_OPS, World

# What callers import from here: conformance/tests/test_properties.py uses ``layer.plan_from`` and
# ``layer.Layer``; ``PropertyAdvisory`` was defined here before it moved to the package.
__all__ = ["Layer", "PropertyAdvisory", "plan_from"]

WORKERS = 8  # concurrent requests for operations whose cases are independent (see Layer.run)
# POSTs that only listen: a subscription to a thread's events changes nothing, so its cases may overlap.
LISTENING = ("POST /threads/{thread_id}/stream/events",)


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
        the cases are sent, then the answers are judged in case order (judging sends nothing and changes
        nothing a later case meets). Operations whose cases cannot disturb each other (GETs, event
        subscriptions, operations whose cases each get a victim of their own) are sent ``WORKERS`` at a
        time: a quiet event stream or a join that polls then costs its wait once per batch, not once per
        case. Every other operation (anything that may create or change what another case sees, run
        streams included) is sent one case at a time, in order, by this thread.

        Why judging waits until every case is answered: judging is CPU work, and a thread that holds
        Python's interpreter lock while a request is in flight makes the sender wait for the lock after
        each read (up to the switch interval, 5 ms, several times a request): measured, a 4 ms request took
        24 ms. Sent first and judged after, each costs its own time only.
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

        if label in self.parallel:
            with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="conformance-property") as pool:
                try:
                    answers = list(pool.map(deliver, generated))
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
        else:
            answers = [deliver(case) for case in generated]
        for case, sent in zip(generated, answers, strict=True):
            if isinstance(sent, str):
                record.skipped[sent] += 1
                continue
            self._judge(record, case, sent, label)
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

"""From the document to generated requests: the schemathesis schema, one operation's Hypothesis test,
and the fingerprint of a generated request.

Its own module because determinism lives here: the seed, derandomization, no example database, no local
constants and no feedback from answers decide that the same seed sends the same requests
(``requests_sha256`` in properties.json proves it), whatever is sent or judged afterwards.

Why the test of one operation comes from schemathesis' own pytest builder and not from
``@schema.parametrize()``: ``@schema.parametrize()`` gives every operation the same node id on pytest 9.2
(schemathesis 4.32 builds its items with ``name=`` only) and ``schemathesis.pytest.from_fixture`` fails
with ``AttributeError: _nodeid``. So the test module lists the operations and, at run time, asks
``build_operation_test`` (the function ``@schema.parametrize()`` calls) for the Hypothesis test of one
operation. The run-time build also lets the seed, example count, target URL and headers come from the
session's settings.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.contract.document import Contract
from conformance.properties.budget import Plan

STREAM_MEDIA = "text/event-stream"


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


def fingerprint(case: Any) -> bytes:
    """The generated request before the session's ids go in: equal for equal seeds, whatever the session."""
    body = case.body if isinstance(case.body, dict | list | str | int | float | bool) or case.body is None else "?"
    data = [case.method, case.path, case.path_parameters, dict(case.query or {}), dict(case.headers or {}), body]
    return json.dumps(data, sort_keys=True, default=str).encode()

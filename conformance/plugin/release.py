"""What a target built on an older langgraph-api release does not have.

The contract is the vendored spec of one langgraph-api release (spec/SOURCE.yaml names it). A server built
on an older release lacks the operations added since, and it would fail their tests as if it broke the
newer contract, without a word about why. Such a target states its release and what it lacks in its
expected-failures file::

    release: langgraph-api 0.11.1
    unsupported_operations:           # operations added after the release (conformance spec diff says which)
      - operation: GET /threads/{thread_id}/storage
        reason: not in langgraph-api 0.11.1 (added in 0.16.0)
    unsupported_tests:                # tests that need a field or value the release does not accept
      - test: test_crons.py::test_patch_is_reflected[clear-end_time]
        reason: 'not in langgraph-api 0.11.1 (added in 0.12.0): PATCH /runs/crons/{cron_id} end_time: null'

``conformance baseline RESULTS --release langgraph-api==0.11.1`` writes ``unsupported_operations`` from the
spec diff between that release and the vendored spec. A test is then *unsupported*, with the entry's
reason, never passed:

* the property layer's test of an unsupported operation (``test_operation[GET /threads/{thread_id}/storage]``);
* a scenario test whose checked operations (the coverage map of ``conformance spec diff --coverage``: the
  operations whose responses it validates) are all unsupported;
* a test listed in ``unsupported_tests``;
* at run time, a test that needs an unsupported operation beside others, when it fails on a request to
  that operation answered 404 or 405 (the route is not there). Any other failure stays a failure.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.contract.document import operation_of

ABSENT_STATUSES = (404, 405)  # what a server answers for a route it does not have


@dataclass
class Release:
    """The release a target states, and what it lacks of the vendored spec."""

    release: str | None = None  # e.g. "langgraph-api 0.11.1"
    operations: dict[str, str] = field(default_factory=dict)  # "GET /path" -> reason
    tests: dict[str, str] = field(default_factory=dict)  # "test_x.py::test_y[p]" -> reason


def parse(data: dict[str, Any], where: str) -> Release:
    """The ``release``, ``unsupported_operations`` and ``unsupported_tests`` of an expected-failures file.

    Raises ValueError with the problem; the caller names the file.
    """
    release = data.get("release")
    if release is not None and not (isinstance(release, str) and release.strip()):
        raise ValueError("'release' names the release the target is built on, e.g. 'langgraph-api 0.11.1'")
    result = Release(release=release.strip() if release else None)
    default = f"not in {result.release}" if result.release else f"declared in {where}"
    for raw in data.get("unsupported_operations", []) or []:
        operation = raw.get("operation") if isinstance(raw, dict) else raw
        if not isinstance(operation, str) or len(operation.split(" ", 1)) != 2:
            raise ValueError(f"unsupported_operations entries are 'METHOD /path' or {{operation, reason}}, got {raw!r}")
        method, path = operation.split(" ", 1)
        reason = raw.get("reason") if isinstance(raw, dict) else None
        result.operations[f"{method.upper()} {path.strip()}"] = reason or default
    for raw in data.get("unsupported_tests", []) or []:
        if not isinstance(raw, dict) or not raw.get("test") or not raw.get("reason"):
            raise ValueError(f"unsupported_tests entries need 'test' and 'reason', got {raw!r}")
        result.tests[str(raw["test"])] = str(raw["reason"])
    return result


def unknown_operations(release: Release, known: Collection[str] | None) -> list[str]:
    """Declared unsupported operations that the contract does not have (a typo would hide nothing)."""
    return [] if known is None else sorted(op for op in release.operations if op not in known)


def matches(test: str, nodeid: str) -> bool:
    return nodeid == test or nodeid.endswith("/" + test)


def _function_key(item: pytest.Item) -> str:
    """ "test_x.py::test_y" (or "test_x.py::Class::test_y"): how the coverage map names a test."""
    name = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else item.name
    return f"{Path(str(item.path)).name}::{name.split('[', 1)[0]}"


def checked_operations(items: list[pytest.Item]) -> dict[str, set[str]]:
    """Test function -> the operations whose responses it validates, from the source of the items' modules."""
    from conformance.contract.coverage import coverage

    by_test: dict[str, set[str]] = {}
    for folder in sorted({Path(str(i.path)).parent for i in items}):
        for operation, tests in coverage(tests_dir=folder).items():
            for test in tests:
                by_test.setdefault(test, set()).add(operation)
    return by_test


def reason_for(item: pytest.Item, release: Release, checked: dict[str, set[str]]) -> str | None:
    """Why ``item`` cannot be judged on the target's release, or None when it can."""
    for test, reason in release.tests.items():
        if matches(test, item.nodeid):
            return reason
    if not release.operations:
        return None
    operation = getattr(getattr(item, "callspec", None), "params", {}).get("operation")
    if isinstance(operation, str) and operation in release.operations:
        return f"{operation}: {release.operations[operation]}"
    needed = checked.get(_function_key(item)) or set()
    if needed and needed <= set(release.operations):
        return "; ".join(f"{op}: {release.operations[op]}" for op in sorted(needed))
    return None


def absent(failure: Any, unsupported: dict[str, str], contract: Any, base_path: str = "") -> str | None:
    """The reason when ``failure`` is a request to an unsupported operation that the target does not have.

    ``unsupported``: operation -> reason, as declared; ``base_path``: the path of the target's URL.
    """
    exchange = getattr(failure, "exchange", None)
    method, path = getattr(exchange, "method", None), getattr(exchange, "path", None)
    if not unsupported or not method or not path or getattr(exchange, "status", None) not in ABSENT_STATUSES:
        return None
    path, prefix = path.split("?", 1)[0], base_path.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    operation = operation_of(method, path, contract)
    if operation not in unsupported:
        return None
    return f"{operation}: {unsupported[operation]} (it answered {exchange.status})"

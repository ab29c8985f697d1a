"""Rule ids and the sentences they enforce (spec/rules.yaml), and ``expect``, the one way tests assert.

A rule id is stable across releases so that expected-failure files and reports can name it. Each rule
points at the operation and the sentence of the guide or the OpenAPI document it comes from.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from conformance.client import Exchange
from conformance.failures import ConformanceFailure
from conformance.paths import spec_dir


@functools.cache
def load_rules(path: Path | None = None) -> dict[str, dict[str, str]]:
    path = path or spec_dir() / "rules.yaml"
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return data.get("rules", {})


def rule_text(rule: str) -> str:
    entry = load_rules().get(rule)
    if entry is None:
        raise KeyError(f"unknown rule id {rule!r}: add it to spec/rules.yaml")
    return entry["text"]


def expect(
    condition: Any,
    rule: str,
    message: str,
    *,
    expected: Any = None,
    actual: Any = None,
    exchange: Exchange | None = None,
) -> None:
    """Fail with a ConformanceFailure naming ``rule`` unless ``condition`` holds."""
    text = rule_text(rule)  # an unknown rule id is a bug in the suite even when the check passes
    if not condition:
        raise ConformanceFailure(rule, message, expected=expected, actual=actual, exchange=exchange, rule_text=text)

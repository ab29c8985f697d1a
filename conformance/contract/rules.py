"""Rule ids and the sentences they enforce (spec/rules.yaml); the checks that name them are in checks.py.

A rule id is stable across releases so that expected-failure files and reports can name it. Each rule
points at the operation and the sentence of the guide or the OpenAPI document it comes from.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from conformance.contract.yamlio import SAFE_LOADER
from conformance.paths import spec_dir


@functools.cache
def load_rules(path: Path | None = None) -> dict[str, dict[str, str]]:
    path = path or spec_dir() / "rules.yaml"
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=SAFE_LOADER) or {}
    return data.get("rules", {})


def rule_text(rule: str) -> str:
    entry = load_rules().get(rule)
    if entry is None:
        raise KeyError(f"unknown rule id {rule!r}: add it to spec/rules.yaml")
    return entry["text"]

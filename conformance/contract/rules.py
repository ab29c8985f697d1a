"""Rule ids, the sentences they enforce and where each sentence comes from (spec/rules.yaml).

A rule id is stable across releases so that expected-failure files and reports can name it; the checks
that name them are in checks.py. Every rule has

- ``text``: the sentence the checks enforce;
- ``source``: a short human label of where it comes from ("POST /threads, Thread.status");
- ``cites``: the machine-checkable list of what supports the text (tests/test_rules.py checks each),
  every item one of four kinds:

  - ``openapi: <JSON pointer into spec/openapi.yaml>``: a schema, a property, a ``required`` list, a
    documented response, a parameter or an operation's description. ``quote:`` (optional) holds words
    that must appear in the string the pointer resolves to (whitespace runs count as one space);
    ``holds:`` (optional) values the list (or keys the mapping) it resolves to must contain; ``equals:``
    (optional) the value it resolves to (a default, a format). A pointer that exists only once an
    erratum is applied resolves in the effective document, and the rule cites that erratum too.
  - ``erratum: <id>``: an entry of spec/errata.yaml.
  - ``guide: <title>`` with ``quote:`` (a sentence of the guide as the page renders it) and ``url:``: an
    official LangGraph guide or reference page (docs.langchain.com, langchain-ai.github.io,
    reference.langchain.com).
  - ``suite: <setting>``: one of the suite's own operational bounds (``request_timeout``,
    ``run_timeout``): the rule is the suite's limit, not a sentence of the contract.

- ``profile``: ``contract`` (the default) when the cites support the whole text, or
  ``reference-compatible`` when the rule states what the official server does beyond the document;
  such a rule says ``why`` (what the official server does, and how that was seen).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from conformance.contract.yamlio import SAFE_LOADER
from conformance.paths import spec_dir

CONTRACT = "contract"
REFERENCE_COMPATIBLE = "reference-compatible"
RULE_PROFILES = (CONTRACT, REFERENCE_COMPATIBLE)
CITE_KINDS = ("openapi", "erratum", "guide", "suite")
SUITE_SETTINGS = ("request_timeout", "run_timeout")


@functools.cache
def load_rules(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every rule by id: its ``text``, ``source``, ``cites`` (a list, maybe empty) and ``profile``."""
    path = path or spec_dir() / "rules.yaml"
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=SAFE_LOADER) or {}
    rules = data.get("rules", {}) or {}
    for entry in rules.values():
        entry.setdefault("cites", [])
        entry.setdefault("profile", CONTRACT)
    return rules


def _entry(rule: str) -> dict[str, Any]:
    entry = load_rules().get(rule)
    if entry is None:
        raise KeyError(f"unknown rule id {rule!r}: add it to spec/rules.yaml")
    return entry


def rule_text(rule: str) -> str:
    return _entry(rule)["text"]


def cites_of(rule: str) -> list[dict[str, Any]]:
    """What supports the rule's text: ``openapi``, ``erratum``, ``guide`` or ``suite`` items."""
    return _entry(rule)["cites"]


def profile_of(rule: str) -> str:
    """``contract`` (the document, its errata or a guide says it) or ``reference-compatible``."""
    return _entry(rule)["profile"]


def cite_kind(cite: dict[str, Any]) -> str | None:
    """The kind of one cite (the one of CITE_KINDS it names), None when it names none or several."""
    kinds = [kind for kind in CITE_KINDS if kind in cite]
    return kinds[0] if len(kinds) == 1 else None

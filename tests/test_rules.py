"""Every rule of spec/rules.yaml says where it comes from, and every citation can be checked.

Fast and offline: it reads spec/rules.yaml, spec/openapi.yaml, spec/errata.yaml and the suite's source,
never a server. docs/RULES.md describes the citation kinds.
"""

from __future__ import annotations

import ast
import re
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from conformance.contract import rules as rules_module
from conformance.contract.document import Contract, load_errata
from conformance.contract.rules import (
    CITE_KINDS,
    CONTRACT,
    REFERENCE_COMPATIBLE,
    RULE_PROFILES,
    SUITE_SETTINGS,
    cite_kind,
    cites_of,
    load_rules,
    profile_of,
)
from conformance.contract.yamlio import SAFE_LOADER
from conformance.paths import PACKAGE_DIR, REPO_DIR, spec_dir

RULES = load_rules()
KEYS = {
    "openapi": {"openapi", "quote", "holds", "equals"},
    "erratum": {"erratum"},
    "guide": {"guide", "quote", "url"},
    "suite": {"suite"},
}
GUIDE_HOSTS = ("docs.langchain.com", "langchain-ai.github.io", "reference.langchain.com")
RULE_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+")
# expect(condition, RULE, message) names its rule second, ConformanceFailure(RULE, ...) first; every other
# check (and the fault catalogue) names it as rule=; a rule assigned to a name holding "rule" counts too.
RULE_CALLS = {"expect": 1, "ConformanceFailure": 0}


@pytest.fixture(scope="module")
def upstream() -> dict:
    with open(spec_dir() / "openapi.yaml", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SAFE_LOADER)


@pytest.fixture(scope="module")
def effective() -> dict:
    return Contract.load().document


@pytest.fixture(scope="module")
def errata() -> dict:
    return {erratum.id: erratum for erratum in load_errata(spec_dir() / "errata.yaml")}


class Unresolved(LookupError):
    pass


def resolve(document: Any, pointer: str) -> Any:
    """The node a JSON pointer (RFC 6901) names in ``document``."""
    if not pointer.startswith("/"):
        raise Unresolved(f"{pointer!r} is not a JSON pointer (it starts with /)")
    node = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise Unresolved(f"{pointer}: {token!r} does not exist") from None
    return node


def _words(text: str) -> str:
    return " ".join(text.split())


def _all_cites():
    for rule, entry in RULES.items():
        for index, cite in enumerate(entry["cites"]):
            yield rule, index, cite


def test_every_rule_has_text_source_and_a_cite():
    bad = {}
    for rule, entry in RULES.items():
        problems = [f"no {key}" for key in ("text", "source") if not str(entry.get(key) or "").strip()]
        if not isinstance(entry["cites"], list) or not entry["cites"]:
            problems.append("no cites")
        if entry["profile"] not in RULE_PROFILES:
            problems.append(f"profile {entry['profile']!r} is not one of {RULE_PROFILES}")
        unknown = set(entry) - {"text", "source", "cites", "profile", "why"}
        if unknown:
            problems.append(f"unknown keys {sorted(unknown)}")
        if problems:
            bad[rule] = problems
    assert bad == {}


def test_every_rule_id_is_an_id():
    assert [rule for rule in RULES if not RULE_ID.fullmatch(rule)] == []


def test_every_cite_is_one_kind_with_its_own_keys():
    bad = []
    for rule, index, cite in _all_cites():
        kind = cite_kind(cite) if isinstance(cite, dict) else None
        if kind is None:
            bad.append(f"{rule} cite {index}: names none or several of {CITE_KINDS}: {cite!r}")
        elif set(cite) - KEYS[kind]:
            bad.append(f"{rule} cite {index}: keys {sorted(set(cite) - KEYS[kind])} do not belong to a {kind} cite")
        elif not all(isinstance(cite[key], str) and cite[key].strip() for key in set(cite) - {"holds", "equals"}):
            bad.append(f"{rule} cite {index}: an empty or non-string value: {cite!r}")
    assert not bad, "\n".join(bad)


def test_every_openapi_pointer_resolves_and_holds_its_quote(upstream, effective, errata):
    """Upstream first; a pointer that exists only through an erratum needs that erratum cited beside it."""
    bad = []
    for rule, index, cite in _all_cites():
        if cite_kind(cite) != "openapi":
            continue
        pointer = cite["openapi"]
        try:
            node = resolve(upstream, pointer)
        except Unresolved as missing:
            cited = [c["erratum"] for c in RULES[rule]["cites"] if cite_kind(c) == "erratum"]
            making = [e for e in cited if e in errata and pointer.startswith(errata[e].location)]
            try:
                node = resolve(effective, pointer)
            except Unresolved:
                bad.append(f"{rule} cite {index}: {missing}, in the document and with its errata")
                continue
            if not making:
                bad.append(f"{rule} cite {index}: {pointer} exists only with an erratum; cite the erratum")
                continue
        if "quote" in cite:
            if not isinstance(node, str):
                bad.append(f"{rule} cite {index}: {pointer} is a {type(node).__name__}, not a string to quote")
            elif _words(cite["quote"]) not in _words(node):
                bad.append(f"{rule} cite {index}: {pointer} does not say {cite['quote']!r}")
        if "equals" in cite and node != cite["equals"]:
            bad.append(f"{rule} cite {index}: {pointer} is {node!r}, not {cite['equals']!r}")
        if "holds" in cite:
            wanted = cite["holds"] if isinstance(cite["holds"], list) else [cite["holds"]]
            if not isinstance(node, list | dict):
                bad.append(f"{rule} cite {index}: {pointer} is not a list or mapping to hold {wanted}")
            elif [item for item in wanted if item not in node]:
                bad.append(f"{rule} cite {index}: {pointer} does not hold {[i for i in wanted if i not in node]}")
    assert not bad, "\n".join(bad)


def test_every_erratum_cited_exists(errata):
    cited = {cite["erratum"] for _, _, cite in _all_cites() if cite_kind(cite) == "erratum"}
    assert sorted(cited - set(errata)) == []


def test_every_guide_cite_has_a_quote_and_an_official_url():
    bad = []
    for rule, index, cite in _all_cites():
        if cite_kind(cite) != "guide":
            continue
        url = urlparse(cite.get("url", ""))
        if not cite.get("quote", "").strip():
            bad.append(f"{rule} cite {index}: guide {cite['guide']!r} without a quote")
        if url.scheme != "https" or url.hostname not in GUIDE_HOSTS:
            bad.append(f"{rule} cite {index}: guide {cite['guide']!r} url {cite.get('url')!r} is not an official guide")
    assert not bad, "\n".join(bad)


def test_every_suite_cite_names_a_setting():
    named = {cite["suite"] for _, _, cite in _all_cites() if cite_kind(cite) == "suite"}
    assert named <= set(SUITE_SETTINGS)
    options = "\n".join(p.read_text() for p in (PACKAGE_DIR / "plugin").rglob("*.py"))
    assert [setting for setting in named if setting not in options] == []


def test_every_reference_compatible_rule_says_why():
    bad = [
        rule
        for rule, entry in RULES.items()
        if entry["profile"] == REFERENCE_COMPATIBLE and not str(entry.get("why") or "").strip()
    ]
    assert not bad, "\n".join(bad)
    assert [rule for rule, entry in RULES.items() if entry.get("why") and entry["profile"] == CONTRACT] == []


def _named_rules(tree: ast.AST) -> set[str]:
    """Rule ids a module passes as ``rule=``, as expect's second argument, or assigns to a ``rule``."""
    named = set()
    for node in ast.walk(tree):
        values: list[ast.AST] = []
        if isinstance(node, ast.Call):
            values += [k.value for k in node.keywords if k.arg == "rule"]
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in RULE_CALLS and len(node.args) > RULE_CALLS[name]:
                values.append(node.args[RULE_CALLS[name]])
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(isinstance(t, ast.Name) and "rule" in t.id.lower() for t in targets):
                values.append(node.value)
        for value in values:
            for sub in ast.walk(value):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and RULE_ID.fullmatch(sub.value):
                    named.add(sub.value)
    return named


def _string_ids(text: str) -> set[str]:
    """Every quoted string of the source that looks like a rule id of a known family ("RUNS-...")."""
    families = {rule.split("-")[0] for rule in RULES}
    return {m for m in re.findall(r"""["']([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)["']""", text) if m.split("-")[0] in families}


def test_every_rule_id_the_suite_uses_exists():
    used: dict[str, set[str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for rule in _named_rules(ast.parse(text)) | _string_ids(text):
            used.setdefault(rule, set()).add(str(path.relative_to(REPO_DIR)))
    assert "RUNS-CREATE" in used and "CONTRACT-SCHEMA" in used, "the scan found none of the ids it must find"
    missing = {rule: sorted(where) for rule, where in used.items() if rule not in RULES}
    assert missing == {}, "rule ids used but not in spec/rules.yaml"


def test_every_rule_id_an_expected_failure_or_fault_names_exists():
    from tests import faults

    named = {fault.rule for fault in faults.FAULTS}
    for path in sorted((REPO_DIR / "reports").glob("*/expected-failures.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("expected_failures", []) or []:
            named.add(entry["rule"])
            named |= {other["rule"] for other in entry.get("or", []) or []}
    assert sorted(named - set(RULES)) == []


def test_the_loader_defaults_cites_and_profile(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  A-B:\n    source: s\n    text: t\n", encoding="utf-8")
    entry = load_rules(path)["A-B"]
    assert entry["cites"] == [] and entry["profile"] == CONTRACT


def test_the_accessors_answer_and_refuse_unknown_ids():
    assert profile_of("CONTRACT-SCHEMA") == CONTRACT
    assert cites_of("CONTRACT-SCHEMA")
    with pytest.raises(KeyError, match="unknown rule id"):
        profile_of("NO-SUCH-RULE")
    assert rules_module.cite_kind({"openapi": "/paths", "erratum": "E001"}) is None

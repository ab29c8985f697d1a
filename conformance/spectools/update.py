"""What a maintainer needs when upstream releases a new spec: the diff rendered, its gate, coverage, validity.

Kept apart from diff.py and schemadiff.py (the comparison itself) so that each stays readable:

* rendering the changes as text, markdown or JSON, and the ``--fail-on`` gate of ``conformance spec diff``;
* which conformance tests cover a changed operation (conformance/contract/coverage.py, derived from the
  tests' own source, so the answer never goes stale);
* whether a document is valid OpenAPI at all (``conformance spec check``), with openapi-spec-validator.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from conformance.contract.coverage import coverage
from conformance.spectools.diff import Change, diff
from conformance.spectools.loading import SpecLoadError, load_document

FAIL_ON = ("never", "any", "warning", "breaking", "client-breaking", "server-breaking")


# ------------------------------------------------------------------------------------------ reporting


def summary(changes: list[Change]) -> dict[str, int]:
    return {
        "changes": len(changes),
        "operations": len({c.operation for c in changes}),
        "breaking_for_clients": sum(c.breaking_for_clients for c in changes),
        "breaking_for_servers": sum(c.breaking_for_servers for c in changes),
    }


def should_fail(changes: list[Change], fail_on: str, severity: dict[str, dict[str, str]] | None = None) -> bool:
    """The ``--fail-on`` gate, on the level of each change per side (conformance/spectools/severity.py): breaking =
    an error for clients or for servers, so a release that only adds optional request fields (warnings for
    servers: nothing the suite checks today needs them) passes, and one that removes a response field fails."""
    from conformance.spectools.severity import levels_of
    from conformance.spectools.severity import should_fail as fails

    return fails([levels_of(c, severity or {}) for c in changes], fail_on)


def _who(change: Change) -> str:
    sides = [n for n, b in (("clients", change.breaking_for_clients), ("servers", change.breaking_for_servers)) if b]
    return "+".join(sides) or "-"


def _headline(changes: list[Change], old_label: str, new_label: str) -> str:
    if not changes:
        return f"{old_label} -> {new_label}: no changes"
    s = summary(changes)
    return (
        f"{old_label} -> {new_label}: {s['changes']} change(s) in {s['operations']} operation(s); "
        f"{s['breaking_for_clients']} breaking for clients, {s['breaking_for_servers']} breaking for servers"
    )


def _by_operation(changes: list[Change]) -> dict[str, list[Change]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.operation, []).append(change)
    return grouped


def render_text(
    changes: list[Change], old_label: str, new_label: str, covered: dict[str, list[str]] | None = None
) -> str:
    lines = [_headline(changes, old_label, new_label)]
    for operation, items in _by_operation(changes).items():
        lines.append("")
        lines.append(operation)
        for change in items:
            lines.append(f"  {_who(change):<15} {change.location}: {change.message}  [{change.kind}]")
        if covered is not None:
            tests = covered.get(operation) or []
            lines.append("  covered by: " + (", ".join(tests) if tests else "no conformance test"))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    changes: list[Change], old_label: str, new_label: str, covered: dict[str, list[str]] | None = None
) -> str:
    lines = [f"## OpenAPI changes: `{old_label}` → `{new_label}`", "", _headline(changes, old_label, new_label)]
    if changes:
        lines += ["", "| Operation | Where | Change | Breaks clients | Breaks servers |", "|---|---|---|---|---|"]
        for c in changes:
            lines.append(
                f"| `{_cell(c.operation)}` | `{_cell(c.location)}` | {_cell(c.message)} (`{c.kind}`) | "
                f"{'**yes**' if c.breaking_for_clients else 'no'} | {'**yes**' if c.breaking_for_servers else 'no'} |"
            )
    if covered is not None and changes:
        lines += ["", "### Conformance tests covering the changed operations", ""]
        for operation in _by_operation(changes):
            tests = covered.get(operation) or []
            lines.append(f"- `{operation}`: " + (", ".join(f"`{t}`" for t in tests) if tests else "none"))
    return "\n".join(lines) + "\n"


def render_json(
    changes: list[Change], old_label: str, new_label: str, covered: dict[str, list[str]] | None = None
) -> str:
    payload: dict[str, Any] = {
        "old": old_label,
        "new": new_label,
        "summary": summary(changes),
        "changes": [c.as_dict() for c in changes],
    }
    if covered is not None:
        payload["coverage"] = {op: covered.get(op, []) for op in _by_operation(changes)}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


# ----------------------------------------------------------------------------------------- validity


def openapi_problems(document: dict[str, Any], limit: int = 20) -> list[str]:
    """Problems that make ``document`` an invalid OpenAPI 3.x document (openapi-spec-validator)."""
    try:
        from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    except ImportError:
        return ["openapi-spec-validator is not installed (it is a dependency: reinstall the suite)"]
    version = str(document.get("openapi", ""))
    validator_class = OpenAPIV30SpecValidator if version.startswith("3.0") else OpenAPIV31SpecValidator
    problems = []
    try:
        for error in validator_class(document).iter_errors():
            where = " > ".join(str(p) for p in getattr(error, "absolute_path", ()) or ())
            message = str(error.message).strip().splitlines()[0]
            problems.append(f"{where or '(document)'}: {message if len(message) < 200 else message[:197] + '...'}")
            if len(problems) >= limit:
                problems.append("(more problems not shown)")
                break
    except Exception as exc:  # the validator stops at the first dangling $ref instead of reporting it
        message = str(exc).split(" within ", 1)[0]
        problems.append(f"not a valid OpenAPI document: {type(exc).__name__}: {message}")
    return problems


# ---------------------------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="file, URL or langgraph-api==VERSION (JSON or YAML)")
    parser.add_argument("new", help="file, URL or langgraph-api==VERSION (JSON or YAML)")
    parser.add_argument("--format", choices=sorted(RENDERERS), default="text")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="never",
        help="exit 1 when a change of this level exists (breaking = an error for clients or servers; warning = "
        "an error or a warning); levels per check: `conformance spec gate --checks`",
    )
    parser.add_argument("--severity", help="YAML file retuning the levels: check id -> level or {clients, servers}")
    parser.add_argument("--coverage", action="store_true", help="list the conformance tests of changed operations")


def run(args: argparse.Namespace) -> int:
    """``conformance spec diff``: 0, or 1 when --fail-on matched, or 2 when a document cannot be read."""
    try:
        old, new = load_document(args.old), load_document(args.new)
    except SpecLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changes = diff(old, new)
    covered = recorded_or_static_coverage() if args.coverage else None
    try:
        from conformance.spectools.severity import load_severity

        severity = load_severity(getattr(args, "severity", None))
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(RENDERERS[args.format](changes, args.old, args.new, covered))
    return 1 if should_fail(changes, args.fail_on, severity) else 0


def recorded_or_static_coverage() -> dict[str, list[str]]:
    """Which tests cover each operation: from the reference's recorded run when the checkout has it (what was
    really sent, per test), else read from the tests' source (conformance/contract/coverage.py)."""
    from conformance.spectools import recording as recorded

    recording = recorded.default_recording()
    if recording is None:
        return coverage()
    try:
        from conformance.contract.document import Contract

        return recorded.recorded_coverage(recording, Contract.load())
    except (OSError, ValueError):
        return coverage()


def operations_added_since(old: str, new: str) -> list[str]:
    """The operations ``new`` has and ``old`` (file, URL or ``langgraph-api==X``) does not: what a server of
    the old release lacks. Raises SpecLoadError when a document cannot be read."""
    changes = diff(load_document(old), load_document(str(new)))
    return sorted({c.operation for c in changes if c.kind == "operation-added"})


def validity_problems(upstream: dict[str, Any], effective: dict[str, Any]) -> list[str]:
    """Problems of the contract the suite checks against (upstream + errata) as an OpenAPI document.

    An upstream document that is itself invalid but corrected by a spec-bug erratum is fine: that is what
    errata are for, so its problems are only noted. Left uncorrected, they fail ``conformance spec check``.
    """
    upstream_problems = openapi_problems(upstream)
    effective_problems = openapi_problems(effective) if effective != upstream else upstream_problems
    if upstream_problems and not effective_problems:
        print(f"note: the upstream document has {len(upstream_problems)} OpenAPI problem(s), corrected by errata")
    return [f"not valid OpenAPI (spec/openapi.yaml with its errata): {p}" for p in effective_problems]


def vendored_document(folder: Path) -> dict[str, Any] | None:
    """The currently vendored document, or None before the first vendoring."""
    path = folder / "openapi.yaml"
    if not path.exists():
        return None
    try:
        return load_document(str(path))
    except SpecLoadError:
        return None


def vendor_report(before: dict[str, Any] | None, after: dict[str, Any] | None, provenance: dict[str, Any]) -> str:
    """What ``conformance spec vendor`` changed, and the conformance tests to look at for each operation."""
    if before is None or after is None:
        return "no earlier copy to compare with\n"
    from conformance.contract.document import load_errata
    from conformance.paths import spec_dir
    from conformance.spectools import gate, gate_report
    from conformance.spectools.recording import default_recording

    errata = load_errata(spec_dir() / "errata.yaml")
    labels = ("previous spec/openapi.yaml", "new spec/openapi.yaml")
    result = gate.run_gate(before, after, errata, labels=labels, recording=default_recording())
    lines = [gate_report.render_text(result).rstrip("\n")]
    if result.items or result.descriptions:
        lines += [
            "",
            "next: `conformance spec check` (do the errata still apply?), then run the suite against the new"
            " reference and update the expected failures; see docs/SPEC-UPDATES.md",
        ]
    from conformance.targets import reference

    version = (provenance.get("source") or {}).get("version")
    if version and version != reference.LANGGRAPH_API_VERSION:
        lines.append(
            f"note: the embedded reference still runs langgraph-api {reference.LANGGRAPH_API_VERSION}; move "
            f"LANGGRAPH_API_VERSION and REQUIREMENTS in conformance/targets/reference.py to {version}"
        )
    return "\n".join(lines) + "\n"

"""report.md: the certification as a markdown page, for a pull request or a CI summary."""

from __future__ import annotations

from typing import Any

from conformance.reports.results import OUTCOMES, area_matrix, operation_matrix, release_text, spec_text


def _md(value: Any) -> str:
    """A value for a markdown table cell or inline code: no pipes or newlines to break the layout."""
    return str(value).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def render_markdown(data: dict[str, Any]) -> str:
    counts = data["counts"]
    profile = data.get("profile") or {}
    lines = [
        f"# Conformance report: {_md(data['target']['name'])}",
        "",
        f"**Certification: {data['verdict']}** ({_md(data.get('verdict_why', ''))})",
        "",
        f"**Deviations: {_md(data.get('deviations_summary') or 'not counted')}**"
        + (f" ({_md(data['partial_run'])}: a partial run)" if data.get("partial_run") else ""),
        "",
        f"**Gate: {_gate(data)['verdict']}** ({_md(_gate(data).get('why', ''))}): the exit code is the gate's;"
        " it passes when nothing failed beyond the listed expected failures and none is stale.",
        "",
        f"- target: {_md(data['target']['url'])} "
        f"({'embedded reference' if data['target']['embedded'] else 'external'})"
        + (f", version {_md(data['target']['info']['version'])}" if data["target"]["info"].get("version") else ""),
        f"- target release: {_md(release_text(data))}",
        f"- spec: {_md(spec_text(data['spec']))}, sha256 {data['spec'].get('sha256')}, "
        f"errata {', '.join(data['spec']['errata'])}",
        f"- suite: {data['suite']['name']} {data['suite']['version']}",
        f"- profile: {profile.get('name')} (areas: {_areas_text(profile.get('areas'))})",
        f"- unsupported areas: {_md(', '.join(profile.get('unsupported_areas') or {}) or 'none')}",
        f"- expected failures: {_md(data['expected_failures_file'] or 'none')}",
        "",
        "| profile | areas | certification | passed | gate | why |",
        "| --- | --- | --- | ---: | --- | --- |",
        *[
            f"| {name} | {_areas_text(v['areas'])} | **{v['verdict']}** | {_ratio(v)} | "
            f"{(v.get('gate') or {}).get('verdict', '—')} | {_md(v.get('why', ''))} |"
            for name, v in (data.get("verdicts") or {}).items()
        ],
        "",
        "| outcome | tests |",
        "| --- | ---: |",
        *[f"| {name} | {count} |" for name, count in counts.items()],
        "",
    ]
    lines += _deviations(data)
    lines += _advisory(data)
    if data["harness_error"]:
        lines += ["## Harness error", "", f"    {data['harness_error']}", ""]
    unknown = data.get("unknown_expected_failures") or []
    if unknown or data.get("unknown_unsupported_areas"):
        lines += ["## Warnings", ""]
        lines += [f"- expected failure names no test of the suite: `{_md(u['test'])}`" for u in unknown]
        lines += [f"- unknown unsupported area: `{_md(a)}`" for a in data.get("unknown_unsupported_areas") or []]
        lines.append("")
    lines += _not_in_release(data)
    header = "| " + " | ".join(OUTCOMES) + " |"
    rule = " ---: |" * len(OUTCOMES)
    areas = area_matrix(data["tests"])
    verdicts = data.get("areas") or {}
    if areas:
        lines += ["## By area", "", "| area | certification | passed " + header, "| --- | --- | ---: |" + rule]
        lines += [
            f"| {_md(area)} | {(verdicts.get(area) or {}).get('verdict', '?')} | {_ratio(verdicts.get(area))} | "
            + " | ".join(str(c[o]) for o in OUTCOMES)
            + " |"
            for area, c in areas.items()
        ]
        lines.append("")
    ops = operation_matrix(data["tests"])
    if ops:
        lines += [
            "## By operation",
            "",
            "Each test counts once for every operation it exercised (its own requests and its fixtures').",
            "",
            "| operation " + header,
            "| --- |" + rule,
        ]
        lines += [f"| `{_md(op)}` | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |" for op, c in ops.items()]
        lines.append("")
    problems = [t for t in data["tests"] if t["outcome"] != "passed"]
    if problems:
        lines += ["## Not passed", ""]
        for test in problems:
            detail = test.get("detail") or {}
            lines.append(f"### `{_md(test['id'])}`: {test['outcome']}")
            lines.append("")
            if detail.get("rule"):
                lines.append(f"- rule **{_md(detail['rule'])}**: {_md(detail.get('rule_text') or '')}")
            lines.append(f"- {_md(detail.get('message', ''))}")
            for key in ("expected", "actual", "exchange", "exception", "listed_rule"):
                if detail.get(key):
                    lines.append(f"- {key.replace('_', ' ')}: `{_md(detail[key])}`")
            if detail.get("reproduce"):
                lines += ["", "```", detail["reproduce"].replace("```", "'''"), "```"]
            lines.append("")
    return "\n".join(lines) + "\n"


SHOWN_DEVIATIONS = 60  # the rest are counted, and every one is in results.json


def _deviations(data: dict[str, Any]) -> list[str]:
    """The distinct deviations, the most widespread first: what to fix, in order; then, apart, where the
    server behaves unlike the official one although the document is silent."""
    every = data.get("deviations") or []
    contract = [d for d in every if d.get("profile", "contract") == "contract"]
    reference = [d for d in every if d.get("profile", "contract") != "contract"]
    lines = _deviation_table(
        "Deviations: what to fix first",
        "Each distinct deviation once (rule, operation, evidence), with the tests it affects; *listed* ones are"
        " in the expected-failures file, *new* ones fail the gate. A test that had to stop is *blocked* there:"
        " its later checks were not reached.",
        contract,
    )
    lines += _deviation_table(
        "Reference-compatible: unlike the official server where the document is silent",
        "Not contract deviations (the certification does not count them): behaviour SDK users may rely on"
        " because the official server shows it.",
        reference,
    )
    return lines


def _deviation_table(title: str, note: str, found: list[dict[str, Any]]) -> list[str]:
    if not found:
        return []
    lines = [
        f"## {title}",
        "",
        note,
        "",
        "| id | tests | rule | operation | areas | what was seen | breaks | status |",
        "| --- | ---: | --- | --- | --- | --- | --- | --- |",
    ]
    for d in found[:SHOWN_DEVIATIONS]:
        blocked = f", {len(d['blocked'])} blocked" if d.get("blocked") else ""
        lines.append(
            f"| {d['id']} | {len(d['tests'])}{blocked} | {_md(d['rule'])} | `{_md(d['operation'])}` | "
            f"{_md(', '.join(d['areas']))} | {_md(d['message'][:160])} | {_md(d.get('source') or '')} | "
            f"{'listed' if d.get('listed') else '**new**'} |"
        )
    if len(found) > SHOWN_DEVIATIONS:
        lines.append(f"| … | | | | | {len(found) - SHOWN_DEVIATIONS} more in results.json | | |")
    lines += ["", "Reproduce each (the first exchange that showed it):", ""]
    for d in found[:SHOWN_DEVIATIONS]:
        if d.get("reproduce"):
            lines.append(f"- {d['id']}: `{_md(d['reproduce'][:400])}`")
    return [*lines, ""]


def _advisory(data: dict[str, Any]) -> list[str]:
    """What the property layer saw that the document does not forbid: counted, never a hiding place."""
    advisory = data.get("advisory") or {}
    if not advisory:
        return []
    total = sum(sum(rules.values()) for rules in advisory.values())
    lines = [
        f"## Advisory: {total} generated case(s) on {len(advisory)} operation(s), not failed",
        "",
        "Seen by the property layer where the document does not decide (docs/PROPERTIES.md says why each kind"
        " is advisory); examples and curl lines are in properties.json.",
        "",
        "| operation | advisory findings (cases) |",
        "| --- | --- |",
    ]
    lines += [
        f"| `{_md(op)}` | {_md(', '.join(f'{rule} {count}' for rule, count in rules.items()))} |"
        for op, rules in advisory.items()
    ]
    return [*lines, ""]


def _not_in_release(data: dict[str, Any]) -> list[str]:
    """What the target's release does not have, each with its reason and the tests reported unsupported."""
    profile = data.get("profile") or {}
    operations, tests = profile.get("unsupported_operations") or {}, profile.get("unsupported_tests") or {}
    if not operations and not tests:
        return []
    release = (data.get("target") or {}).get("release") or "the target's release"
    lines = [
        f"## Not in {_md(release)}",
        "",
        "| unsupported | reason | tests reported unsupported |",
        "| --- | --- | --- |",
    ]
    unsupported = [t for t in data["tests"] if t["outcome"] == "unsupported"]
    for operation, why in operations.items():
        ids = [_short(t["id"]) for t in unsupported if operation in (t.get("detail") or {}).get("message", "")]
        lines.append(f"| `{_md(operation)}` | {_md(why)} | {_md(', '.join(ids) or 'none ran')} |")
    for test, why in tests.items():
        lines.append(f"| `{_md(test)}` | {_md(why)} | `{_md(test)}` |")
    return [*lines, ""]


def _short(nodeid: str) -> str:
    """ "conformance/tests/test_x.py::test_y[a/b]" -> "test_x.py::test_y[a/b]"."""
    path, _, name = nodeid.partition("::")
    return f"{path.rsplit('/', 1)[-1]}::{name}"


def _areas_text(areas: Any) -> str:
    return ", ".join(areas) if isinstance(areas, list) else str(areas or "all")


def _ratio(entry: dict[str, Any] | None) -> str:
    """ "N/M" passed, or a dash where nothing was evaluated."""
    if not entry or "total" not in entry:
        return "—"
    return f"{entry['passed']}/{entry['total']}"


def _gate(data: dict[str, Any]) -> dict[str, Any]:
    return data.get("gate") or {"verdict": "?", "why": ""}

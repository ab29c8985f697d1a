"""report.html: the certification as one self-contained page, rendered from the results.json data.

One file with inline CSS and no scripts, fonts or images, so it can be attached to a CI run, mailed, or
opened from disk years later and still look the same. Everything that comes from the target or the
run (test ids, messages, bodies, curl lines) is HTML-escaped: a target's error message is untrusted
input, and a report that executes it would be an attack on whoever reads it.
"""

from __future__ import annotations

import html
import json
from typing import Any

from conformance.reports.results import OUTCOMES, area_matrix, operation_matrix, release_text, spec_text

COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "expected failure": "#9a6700",
    "stale": "#8250df",
    "unsupported": "#6e7781",
    "harness error": "#bc4c00",
}
VERDICT_COLOURS = {
    "conforms": "#1a7f37",
    "conforms where supported": "#9a6700",
    "does not conform": "#cf222e",
    "not certified (harness error)": "#bc4c00",
    "not evaluated": "#6e7781",
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "error": "#bc4c00",
}
PROBLEMS = ("failed", "stale", "harness error")
STATE_ORDER = (*PROBLEMS, "expected failure", "unsupported", "passed")

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;background:#f6f8fa;margin:0}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 8px}
h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:0 0 6px;word-break:break-all}
section,.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:14px 16px;margin:10px 0}
.verdict{display:inline-block;color:#fff;font-weight:700;font-size:20px;padding:6px 14px;border-radius:6px}
.badge{display:inline-block;color:#fff;font-weight:600;font-size:12px;padding:1px 8px;border-radius:10px;
  white-space:nowrap}
.why{color:#57606a;margin-left:8px}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;width:90px}
td.zero{color:#afb8c1}
dl{display:grid;grid-template-columns:190px 1fr;gap:4px 12px;margin:0}
dt{color:#57606a}
dd{margin:0;word-break:break-word}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#0d1117;color:#e6edf3;padding:10px 12px;border-radius:6px;white-space:pre-wrap;word-break:break-all;
  margin:6px 0 0}
.ev{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin-top:8px}
.ev div{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;word-break:break-word}
.ev b{display:block;font-size:12px;color:#57606a}
.warn{border-left:4px solid #bc4c00}
.muted{color:#57606a}
details summary{cursor:pointer;font-weight:600}
footer{color:#57606a;font-size:12px;margin:24px 0}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(text: str, colour: str | None = None) -> str:
    colour = colour or COLOURS.get(text) or VERDICT_COLOURS.get(text, "#57606a")
    return f'<span class="badge" style="background:{colour}">{_e(text)}</span>'


def _counts_row(counts: dict[str, int]) -> str:
    cells = []
    for outcome in OUTCOMES:
        count = counts.get(outcome, 0)
        style = f' style="color:{COLOURS[outcome]};font-weight:600"' if count else ""
        cells.append(f'<td class="n{" zero" if not count else ""}"{style}>{count}</td>')
    return "".join(cells)


def _matrix(title: str, rows: dict[str, dict[str, int]], first: str, note: str = "", code: bool = False) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{_e(o)}</th>" for o in OUTCOMES)
    body = []
    for name, counts in rows.items():
        # The worst outcome present: a row with a known deviation is never shown as passed.
        state = next((o for o in STATE_ORDER if counts.get(o)), "passed")
        label = f"<code>{_e(name)}</code>" if code else _e(name)
        body.append(f"<tr><td>{label}</td><td>{_badge(state)}</td>{_counts_row(counts)}</tr>")
    note_html = f'<p class="muted">{_e(note)}</p>' if note else ""
    return (
        f"<h2>{_e(title)}</h2>{note_html}<table><thead><tr><th>{_e(first)}</th><th>state</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _facts(data: dict[str, Any]) -> str:
    target, spec, profile = data["target"], data["spec"], data.get("profile") or {}
    info = target.get("info") or {}
    areas = profile.get("areas")
    unsupported = profile.get("unsupported_areas") or {}
    lacking = {**(profile.get("unsupported_operations") or {}), **(profile.get("unsupported_tests") or {})}
    rows = [
        (
            "target",
            f"{target.get('url') or '(none)'} ({'embedded reference' if target.get('embedded') else 'external'})",
        ),
        ("target version (/info)", info.get("version") or "unknown"),
        ("target release", release_text(data)),
        ("profile", f"{profile.get('name')}: {', '.join(areas) if isinstance(areas, list) else 'all areas'}"),
        ("unsupported areas", ", ".join(f"{a} ({why})" for a, why in unsupported.items()) or "none"),
        ("unsupported operations", "; ".join(f"{o} ({why})" for o, why in lacking.items()) or "none"),
        ("expected failures", data.get("expected_failures_file") or "none"),
        ("spec", f"{spec_text(spec)} ({spec.get('file') or 'openapi.yaml'})"),
        ("spec sha256", spec.get("sha256") or "?"),
        ("errata", ", ".join(spec.get("errata") or []) or "none"),
        ("suite", f"{data['suite']['name']} {data['suite']['version']}"),
        ("finished", data.get("finished_at")),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    extra = ""
    if info:
        shown = {k: v for k, v in info.items() if k != "version"}
        if shown:
            extra = (
                "<details><summary>/info</summary><pre>"
                f"{_e(json.dumps(shown, indent=2, sort_keys=True, default=str))}</pre></details>"
            )
    return f"<section><dl>{items}</dl>{extra}</section>"


def _profiles(data: dict[str, Any]) -> str:
    rows = []
    for name, v in (data.get("verdicts") or {}).items():
        areas = v.get("areas")
        gate = (v.get("gate") or {}).get("verdict", "—")
        rows.append(
            f"<tr><td><b>{_e(name)}</b></td><td>{_e(', '.join(areas) if isinstance(areas, list) else 'all')}</td>"
            f"<td>{_badge(v.get('verdict', ''), VERDICT_COLOURS.get(v.get('verdict', '')))}</td>"
            f"<td>{_e(_ratio(v))}</td>"
            f"<td>{_badge(gate, VERDICT_COLOURS.get(gate))}</td>"
            f"<td>{_e(v.get('why', ''))}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<h2>Per profile</h2><table><thead><tr><th>profile</th><th>areas</th><th>certification</th>"
        f"<th>passed</th><th>gate</th><th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _evidence(detail: dict[str, Any]) -> str:
    parts = []
    if detail.get("rule"):
        parts.append(f"<p><b>rule {_e(detail['rule'])}</b>: {_e(detail.get('rule_text') or '')}</p>")
    if detail.get("message"):
        parts.append(f"<p>{_e(detail['message'])}</p>")
    if detail.get("expected") is not None or detail.get("actual") is not None:
        parts.append(
            '<div class="ev">'
            f"<div><b>expected</b><code>{_e(detail.get('expected'))}</code></div>"
            f"<div><b>actual</b><code>{_e(detail.get('actual'))}</code></div></div>"
        )
    for key in ("exchange", "exception", "listed_rule", "listed_reason"):
        if detail.get(key):
            parts.append(f'<p class="muted">{_e(key.replace("_", " "))}: <code>{_e(detail[key])}</code></p>')
    if detail.get("reproduce"):
        parts.append(f"<pre>{_e(detail['reproduce'])}</pre>")
    return "".join(parts)


def _test_cards(title: str, tests: list[dict[str, Any]], note: str = "", open_: bool = True) -> str:
    if not tests:
        return ""
    cards = []
    for test in tests:
        ops = ", ".join(test.get("operations") or []) or "none recorded"
        cards.append(
            f'<div class="card">{_badge(test["outcome"])} <span class="muted">{_e(test["area"])}</span>'
            f"<h3>{_e(test['id'])}</h3>"
            f'<p class="muted">operations: {_e(ops)}</p>{_evidence(test.get("detail") or {})}</div>'
        )
    note_html = f'<p class="muted">{_e(note)}</p>' if note else ""
    body = f"{note_html}{''.join(cards)}"
    if open_:
        return f"<h2>{_e(title)} ({len(tests)})</h2>{body}"
    return f"<h2>{_e(title)} ({len(tests)})</h2><details><summary>show</summary>{body}</details>"


def _all_tests(tests: list[dict[str, Any]]) -> str:
    if not tests:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(t['id'])}</code></td><td>{_e(t['area'])}</td><td>{_badge(t['outcome'])}</td>"
        f"<td class='n'>{_e(t.get('duration'))}</td><td>{_e(', '.join(t.get('operations') or []))}</td></tr>"
        for t in tests
    )
    return (
        f"<h2>All tests ({len(tests)})</h2><details><summary>show every test</summary><table><thead><tr>"
        "<th>test</th><th>area</th><th>outcome</th><th>seconds</th><th>operations</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


def _warnings(data: dict[str, Any]) -> str:
    lines = []
    if data.get("harness_error"):
        lines.append(f"harness error: {data['harness_error']}")
    for unknown in data.get("unknown_expected_failures") or []:
        lines.append(f"the expected-failures file lists {unknown.get('test')}, which is not a test of the suite")
    for area in data.get("unknown_unsupported_areas") or []:
        lines.append(f"unsupported area {area!r} is not an area of the suite")
    if not lines:
        return ""
    return '<section class="warn"><b>Warnings</b><ul>' + "".join(f"<li>{_e(x)}</li>" for x in lines) + "</ul></section>"


def render(data: dict[str, Any]) -> str:
    tests = data.get("tests") or []
    verdict = data.get("verdict", "")
    colour = VERDICT_COLOURS.get(verdict, "#57606a")
    counts = data.get("counts") or {}
    summary = " ".join(f"{_badge(o)} {counts.get(o, 0)}" for o in OUTCOMES)
    problems = [t for t in tests if t["outcome"] in PROBLEMS]
    known = [t for t in tests if t["outcome"] == "expected failure"]
    unsupported = [t for t in tests if t["outcome"] == "unsupported"]
    why = data.get("verdict_why", "")
    gate = data.get("gate") or {}
    gate_colour = VERDICT_COLOURS.get(gate.get("verdict", ""), "#57606a")
    title = f"Conformance report: {data['target']['name']}"
    sections = "\n".join(
        [
            _warnings(data),
            _deviations(data),
            _advisory(data),
            _facts(data),
            _profiles(data),
            _areas(data),
            _matrix("By area", area_matrix(tests), "area"),
            _matrix(
                "By operation",
                operation_matrix(tests),
                "operation",
                "Each test counts once for every HTTP operation it exercised: its own requests and those of "
                "the fixtures it uses.",
                code=True,
            ),
            _test_cards("Failures", problems, "Each names the rule, expected and actual, and a curl reproduction."),
            _test_cards("Expected failures", known, "Known deviations listed in the expected-failures file."),
            _test_cards("Unsupported", unsupported, "Not certified: the target does not offer these.", open_=False),
            _all_tests(tests),
        ]
    )
    suite = f"{data['suite']['name']} {data['suite']['version']}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{_e(title)}</h1>
<p>certification <span class="verdict" style="background:{colour}">{_e(verdict)}</span>
<span class="why">{_e(why)}</span></p>
<p>gate <span class="verdict" style="background:{gate_colour}">{_e(gate.get("verdict", "?"))}</span>
<span class="why">{_e(gate.get("why", ""))} (the exit code is the gate's)</span></p>
<p>deviations <span class="why">{_e(data.get("deviations_summary") or "not counted")}</span>{
        _e(f" ({data['partial_run']}: a partial run)") if data.get("partial_run") else ""
    }</p>
<p>{summary}</p>
{sections}
<footer>Written by {_e(suite)}. Secrets are never written
to this report; reproductions show them as &lt;redacted&gt;.</footer>
</main>
</body>
</html>
"""


def _ratio(entry: dict[str, Any] | None) -> str:
    if not entry or "total" not in entry:
        return "—"
    return f"{entry['passed']}/{entry['total']}"


def _deviations(data: dict[str, Any]) -> str:
    """The distinct deviations, the most widespread first, each with its curl: what to fix, in order; then,
    apart, where the server behaves unlike the official one although the document is silent."""
    every = data.get("deviations") or []
    return _deviation_table(
        "Deviations: what to fix first", [d for d in every if d.get("profile", "contract") == "contract"]
    ) + _deviation_table(
        "Reference-compatible: unlike the official server where the document is silent (not counted)",
        [d for d in every if d.get("profile", "contract") != "contract"],
    )


def _advisory(data: dict[str, Any]) -> str:
    """What the property layer saw that the document does not forbid, with its counts (never hidden)."""
    advisory = data.get("advisory") or {}
    if not advisory:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(op)}</code></td><td>{_e(', '.join(f'{r} {n}' for r, n in rules.items()))}</td></tr>"
        for op, rules in advisory.items()
    )
    total = sum(sum(rules.values()) for rules in advisory.values())
    return (
        f'<h2>Advisory: {total} generated case(s), not failed</h2><p class="muted">Where the document does not '
        "decide (docs/PROPERTIES.md); examples and curl lines in properties.json.</p><table><thead><tr>"
        f"<th>operation</th><th>advisory findings (cases)</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _deviation_table(title: str, found: list[dict[str, Any]]) -> str:
    if not found:
        return ""
    rows = []
    for d in found:
        blocked = f" ({len(d['blocked'])} blocked)" if d.get("blocked") else ""
        state = _badge("listed", "#9a6700") if d.get("listed") else _badge("new", "#cf222e")
        curl = (
            f"<details><summary>curl</summary><pre>{_e(d['reproduce'])}</pre></details>" if d.get("reproduce") else ""
        )
        rows.append(
            f"<tr><td>{_e(d['id'])}</td><td>{len(d['tests'])}{_e(blocked)}</td><td>{_e(d['rule'])}</td>"
            f"<td><code>{_e(d['operation'])}</code></td><td>{_e(', '.join(d['areas']))}</td>"
            f"<td>{_e(d['message'])}{curl}</td><td>{_e(d.get('source') or '')}</td><td>{state}</td></tr>"
        )
    return (
        f'<h2>{_e(title)}</h2><p class="muted">Each distinct deviation once (rule, operation, '
        "evidence) with the tests it affects; a test that had to stop is blocked there.</p><table><thead><tr>"
        "<th>id</th><th>tests</th><th>rule</th><th>operation</th><th>areas</th><th>what was seen</th><th>breaks</th>"
        f"<th>state</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _areas(data: dict[str, Any]) -> str:
    """Each area's certification: a deviation, known or not, is never shown as passed."""
    rows = [
        f"<tr><td>{_e(area)}</td><td>{_badge(v.get('verdict', ''), VERDICT_COLOURS.get(v.get('verdict', '')))}</td>"
        f"<td>{_e(_ratio(v))}</td><td>{_e(v.get('why', ''))}</td></tr>"
        for area, v in (data.get("areas") or {}).items()
    ]
    if not rows:
        return ""
    return (
        "<h2>Certification per area</h2><table><thead><tr><th>area</th><th>certification</th><th>passed</th>"
        f"<th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )

"""Write one certification's report folder: results.json, report.md, report.html and badge.json (junit.xml
is pytest's).

Every file is rendered from the same results data (conformance.reports.results), and every string passes
through the secrets scrubber before it is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.reports import html, markdown
from conformance.reports.results import Certified, Results


def write_reports(results: Results, cert: Certified) -> list[Path]:
    """The files written, in the order a reader wants them."""
    assert results.report_dir is not None
    results.report_dir.mkdir(parents=True, exist_ok=True)
    data = results.as_dict(cert)
    json_path = results.report_dir / "results.json"
    json_path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path = results.report_dir / "report.md"
    md_path.write_text(results.scrub(markdown.render_markdown(data)), encoding="utf-8")
    html_path = results.report_dir / "report.html"
    html_path.write_text(results.scrub(html.render(data)), encoding="utf-8")
    badge_path = results.report_dir / "badge.json"
    badge_path.write_text(json.dumps(badge(data), indent=2) + "\n", encoding="utf-8")
    return [json_path, md_path, html_path, badge_path]


def badge(data: dict[str, Any]) -> dict[str, Any]:
    """A shields.io endpoint badge (https://shields.io/badges/endpoint-badge) a project shows in its
    README: tests passed of run and the distinct deviations; green only when the server conforms."""
    score = data.get("score") or {}
    found = len(data.get("deviations") or [])
    message = f"{score.get('passed', 0)}/{score.get('total', 0)} passed"
    if found:
        message += f", {found} deviation{'s' if found != 1 else ''}"
    verdict = data.get("verdict", "")
    colour = "brightgreen" if verdict.startswith("conforms") else "orange" if found else "lightgrey"
    return {"schemaVersion": 1, "label": "Agent Server conformance", "message": message, "color": colour}

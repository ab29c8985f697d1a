"""Expected failures of one implementation: known deviations it is allowed, each with a reason.

A listed test becomes a strict xfail: if it fails with a conformance failure (of the listed rule, when
one is given) it is an *expected failure*; if it passes, the run fails as *stale*, so the list can only
shrink honestly. A harness error in a listed test is never hidden by the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from conformance.paths import REPO_DIR


@dataclass(frozen=True)
class ExpectedFailure:
    test: str  # "test_module.py::test_name", matched against the end of the node id
    reason: str
    rule: str | None = None
    link: str | None = None

    def matches(self, nodeid: str) -> bool:
        return nodeid == self.test or nodeid.endswith("/" + self.test)


class ExpectedFailuresError(ValueError):
    pass


def load(path: Path) -> list[ExpectedFailure]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ExpectedFailuresError(f"expected-failures file not found: {path}") from None
    except yaml.YAMLError:
        raise ExpectedFailuresError(f"expected-failures file {path} is not valid YAML") from None
    entries = []
    for raw in data.get("expected_failures", []) or []:
        if not isinstance(raw, dict) or not raw.get("test") or not raw.get("reason"):
            raise ExpectedFailuresError(f"{path}: every entry needs 'test' and 'reason', got {raw!r}")
        entries.append(
            ExpectedFailure(test=raw["test"], reason=raw["reason"], rule=raw.get("rule"), link=raw.get("link"))
        )
    return entries


def default_for(target_name: str) -> Path | None:
    """The committed expected-failures file of a known implementation, if there is one."""
    candidate = REPO_DIR / "reports" / target_name / "expected-failures.yaml"
    return candidate if candidate.exists() else None

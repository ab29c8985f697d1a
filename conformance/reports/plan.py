"""What a run certifies: the profiles (which areas each covers) and the plan decided at collection.

The plugin makes the plan (conformance.plugin.expected); every report prints it, so it lives here, below
both, as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every API area the suite knows; a test names its area with @pytest.mark.area(...).
AREAS = (
    "threads",
    "thread-status",
    "thread-search",
    "thread-runs",
    "thread-state",
    "thread-history",
    "runs-stream",
    "runs-control",
    "runs-interrupt",
    "runs-options",
    "stateless-runs",
    "webhooks",
    "assistants",
    "store",
    "crons",
    "auth",
    "system",
    "mcp",
    "a2a",
    "protocol",
    "sdk",
    "sdk-js",
    "properties",
)
CORE_AREAS = (
    "threads",
    "thread-status",
    "thread-search",
    "thread-runs",
    "thread-state",
    "thread-history",
    "runs-stream",
    "runs-control",
    "runs-interrupt",
    "assistants",
)

PROFILES: dict[str, tuple[str, ...] | None] = {"core": CORE_AREAS, "full": None}  # None: every area
DEFAULT_PROFILE = "full"


@dataclass
class Plan:
    """What this run certifies, decided once at collection and written into every report."""

    profile: str = DEFAULT_PROFILE
    unsupported_areas: dict[str, str] = field(default_factory=dict)  # area -> why
    expected_failures_file: str | None = None
    entries: list[Any] = field(default_factory=list)  # conformance.plugin.expected.ExpectedFailure
    unknown_expected_failures: list[dict[str, Any]] = field(default_factory=list)
    unknown_areas: list[str] = field(default_factory=list)  # declared unsupported, but no such area
    deselected: int = 0
    release: str | None = None  # the release the target states it is built on ("langgraph-api 0.11.1")
    unsupported_operations: dict[str, str] = field(default_factory=dict)  # "GET /path" -> why
    unsupported_tests: dict[str, str] = field(default_factory=dict)  # test -> why
    unsupported_listed: list[str] = field(default_factory=list)  # expected failures of tests now unsupported

    def in_profile(self, area: str, profile: str | None = None) -> bool:
        areas = PROFILES[profile or self.profile]
        return areas is None or area in areas

    def covers(self, profile: str) -> bool:
        """True when this run selected every test ``profile`` needs (a core run cannot judge full)."""
        wanted, ran = PROFILES[profile], PROFILES[self.profile]
        return ran is None or (wanted is not None and set(wanted) <= set(ran))

    def warnings(self) -> list[str]:
        lines = [
            f"expected-failures file {self.expected_failures_file} lists {u['test']}, which is not a test of the suite"
            for u in self.unknown_expected_failures
        ]
        lines += [
            f"unsupported area {a!r} is not an area of the suite; nothing was skipped for it"
            for a in self.unknown_areas
        ]
        lines += [
            f"expected-failures file {self.expected_failures_file} lists {test}, which is unsupported on the "
            "target's release: remove its entry (conformance baseline does)"
            for test in sorted(set(self.unsupported_listed))
        ]
        return lines

    def to_wire(self) -> dict[str, Any]:
        """What an xdist worker sends its controller (everything but the parsed entries)."""
        return {
            "profile": self.profile,
            "unsupported_areas": self.unsupported_areas,
            "expected_failures_file": self.expected_failures_file,
            "unknown_expected_failures": self.unknown_expected_failures,
            "unknown_areas": self.unknown_areas,
            "deselected": self.deselected,
            "release": self.release,
            "unsupported_operations": self.unsupported_operations,
            "unsupported_tests": self.unsupported_tests,
            "unsupported_listed": self.unsupported_listed,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Plan:
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.profile,
            "areas": list(PROFILES[self.profile]) if PROFILES[self.profile] else "all",
            "unsupported_areas": dict(sorted(self.unsupported_areas.items())),
            "unsupported_operations": dict(sorted(self.unsupported_operations.items())),
            "unsupported_tests": dict(sorted(self.unsupported_tests.items())),
            "deselected": self.deselected,
        }

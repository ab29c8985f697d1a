"""Findings: every broken rule a test has seen, so one deviation never hides the next.

A check that fails does not end its test. While a test runs (its fixtures' set-up and its body), the
plugin opens a :class:`Findings` collector and every failed check is *recorded* as a finding (rule,
expected, actual, the exchange): the test goes on and checks what it still can. It stops only where the
next step needs what just failed (``stop=True`` on a check, a status that is not the one the next step
needs, an answer that is not JSON), and then the test's failure says where it stopped and that the rest
was not reached. At the end of the test every finding is raised together as one
:class:`ConformanceFailures`, and each is matched on its own against the expected failures.

Outside a test (a helper called from a script, a self-test calling a check directly) there is no
collector and a failed check raises at once, as an ordinary assertion does.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from conformance.contract.failures import ConformanceFailure, message_signature

_LOCK = threading.Lock()
_ACTIVE: list[Findings] = []  # the collector of the running test (a stack: a check inside a collecting check)


# A finding that follows from another of the same answer is not a deviation of its own: a 500 is not also
# an undocumented status with an undocumented body; a body with no JSON content type is not also bad JSON.
CONSEQUENCES = {
    "PROPERTY-SERVER-ERROR": {"CONTRACT-STATUS", "CONTRACT-CONTENT-TYPE", "HTTP-JSON", "CONTRACT-SCHEMA"},
    "CONTRACT-STATUS": {"CONTRACT-CONTENT-TYPE", "HTTP-JSON", "CONTRACT-SCHEMA"},
    "CONTRACT-CONTENT-TYPE": {"HTTP-JSON"},
}


def _about_status(failure: ConformanceFailure) -> bool:
    """A finding that the answer's status was not the one wanted (its expected value is a status)."""
    wanted = failure.expected if isinstance(failure.expected, list) else [failure.expected]
    status = getattr(failure.exchange, "status", None)
    numbers = bool(wanted) and all(isinstance(w, int) and not isinstance(w, bool) for w in wanted)
    return numbers and failure.actual == status and status not in wanted


def explained_by(rules: set[str]) -> set[str]:
    """The rules whose findings on one answer the findings of ``rules`` on it already explain."""
    return set().union(*(CONSEQUENCES.get(rule, set()) for rule in rules))


class Findings:
    """The findings of one test, in the order they were seen; the same finding is kept once."""

    def __init__(self) -> None:
        self.items: list[ConformanceFailure] = []
        self._seen: set[tuple] = set()

    def add(self, failure: ConformanceFailure) -> None:
        exchange = failure.exchange.summary() if failure.exchange is not None else ""
        key = getattr(failure, "identity", None) or (
            failure.rule,
            message_signature(failure.message),
            message_signature(exchange),
        )
        with _LOCK:
            earlier = [f for f in self.items if f.exchange is not None and f.exchange is failure.exchange]
            if failure.rule in explained_by({f.rule for f in earlier}):
                return  # a consequence of a finding already made on this answer
            if failure.rule == "HTTP-JSON" and any(_about_status(f) for f in earlier):
                return  # the body of an answer whose status was already found wrong (a 404 page, say)
            if key not in self._seen:
                self._seen.add(key)
                self.items.append(failure)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def current() -> Findings | None:
    """The collector of the running test, if a test is running."""
    return _ACTIVE[-1] if _ACTIVE else None


@contextlib.contextmanager
def collecting(findings: Findings) -> Iterator[Findings]:
    """Record failed checks into ``findings`` instead of raising them, for the duration of the block."""
    _ACTIVE.append(findings)
    try:
        yield findings
    finally:
        with contextlib.suppress(ValueError):
            _ACTIVE.remove(findings)


def record(failure: ConformanceFailure, *, stop: bool = False) -> None:
    """A check failed: record it as a finding of the running test, or raise it when the next step needs
    what failed (``stop``) or no test is collecting."""
    collector = current()
    if stop or collector is None:
        raise failure
    collector.add(failure)


class ConformanceFailures(ConformanceFailure):
    """All the findings of one test, raised once at its end (or where it had to stop).

    ``findings`` are the broken rules in the order they were seen. ``stopped`` says where the test could
    not go on and why (the finding or the error that ended it), or is None when it ran to its end: the
    checks after that point were *not reached*, so they are neither passes nor failures.
    """

    def __init__(self, findings: list[ConformanceFailure], stopped: str | None = None) -> None:
        self.findings = list(findings)
        self.stopped = stopped
        first = self.findings[0]
        super().__init__(
            first.rule,
            first.message,
            expected=first.expected,
            actual=first.actual,
            exchange=first.exchange,
            rule_text=first.rule_text,
        )

    def render(self) -> str:
        if not getattr(self, "findings", None):
            return super().render()
        count = len(self.findings)
        head = f"{count} findings" if count > 1 else "1 finding"
        lines = [head + (f"; stopped: {self.stopped}" if self.stopped else "")]
        for number, finding in enumerate(self.findings, 1):
            block = finding.render().splitlines()
            lines.append(f"[{number}] {block[0]}")
            lines += [f"  {line}" for line in block[1:]]
        if self.stopped:
            lines.append(f"not reached: every check after the stop ({self.stopped})")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        # The headline is the first finding the expected failures do not name, if any: the one to fix.
        new = [f for f in self.findings if getattr(f, "unlisted_because", None)]
        data = (new or self.findings)[0].as_dict()
        data["findings"] = [finding.as_dict() for finding in self.findings]
        if self.stopped:
            data["stopped"] = self.stopped
        return data


def each(failure: ConformanceFailure) -> list[ConformanceFailure]:
    """The single findings a failure stands for (one, or all of a ConformanceFailures)."""
    return list(getattr(failure, "findings", None) or [failure])


def _is_skip(error: BaseException | None) -> bool:
    import pytest

    return isinstance(error, pytest.skip.Exception)


def conclude(findings: Findings, error: BaseException | None) -> BaseException | None:
    """What the test raises at its end: its findings together (with where it stopped), or ``error`` as it
    was when nothing was found before it.

    A conformance failure that stopped the test is its last finding. Any other error after a finding (a
    KeyError on a field the server left out, say) is the consequence of what was found: the test is
    reported with its findings and *blocked* there, not as a harness error of the suite.
    """
    if isinstance(error, ConformanceFailures):
        for finding in error.findings:
            findings.add(finding)
        error = None
    if isinstance(error, ConformanceFailure):
        findings.add(error)
        stopped = f"{error.rule} {error.message}"
        return ConformanceFailures(findings.items, stopped=stopped)
    if not findings:
        return error
    if error is None:
        return ConformanceFailures(findings.items)
    if _is_skip(error):
        # A skip after a finding (an area found unsupported half way) never hides what was found.
        return ConformanceFailures(findings.items, stopped=f"then skipped, the rest not reached: {error}"[:400])
    if not isinstance(error, Exception):
        return error  # KeyboardInterrupt and pytest's own exits: never swallowed
    stopped = f"blocked by finding {len(findings)}: the test could not go on ({type(error).__name__}: {error})"
    return ConformanceFailures(findings.items, stopped=stopped[:400])

"""What a broken rule looks like: the rule, expected vs actual, the exchange, and a reproduction.

A server author reads the failure, not the test code, so every failure the suite raises carries the
rule id and its sentence, what was expected, what arrived, and the HTTP exchange as a curl line.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

# What varies from run to run in a failure message: ids, timestamps, numbers. An expected failure's
# evidence is compared with these replaced, so it identifies the failure, not the run.
_VOLATILE = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"  # uuids
    r"|\b[0-9a-f]{16,}\b"  # hex ids (session tags)
    r"|\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,15}\b"  # shorter hex ids (a namespace, a webhook path)
    r"|\d{4}-\d\d-\d\dT[0-9:.+Z-]+"  # timestamps
    r"|\d+(?:\.\d+)?"  # numbers
)


def message_signature(message: str) -> str:
    """``message`` with what varies between runs replaced by ``#``, whitespace folded."""
    return " ".join(_VOLATILE.sub("#", message or "").split())


class Evidence(Protocol):
    """What a failure shows of the HTTP exchange behind it (conformance.contract.client.Exchange is one).

    A protocol rather than an import, so that the client, which raises failures, and the failures, which
    show exchanges, do not import each other.
    """

    def summary(self) -> str: ...

    def body_excerpt(self, limit: int = 400) -> str: ...

    def curl(self) -> str: ...


class ConformanceFailure(AssertionError):
    """The target broke a rule of the contract. Counted against the target."""

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        expected: Any = None,
        actual: Any = None,
        exchange: Evidence | None = None,
        rule_text: str = "",
    ) -> None:
        self.rule = rule
        self.message = message
        self.expected = expected
        self.actual = actual
        self.exchange = exchange
        self.rule_text = rule_text
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.rule}  {self.message}{self._listing()}"]
        if self.rule_text:
            lines.append(f"  rule:     {self.rule_text}")
        if self.expected is not None:
            lines.append(f"  expected: {_short(self.expected)}")
        if self.actual is not None:
            lines.append(f"  actual:   {_short(self.actual)}")
        if self.exchange is not None:
            lines.append(f"  {self.exchange.summary()}")
            body = self.exchange.body_excerpt()
            if body:
                lines.append(f"  response: {body}")
            lines.append(f"  reproduce: {self.exchange.curl()}")
        return "\n".join(lines)

    def _listing(self) -> str:
        """Whether the expected failures name this finding (set when they were matched), as a suffix."""
        if getattr(self, "listed_reason", None):
            return "  [listed]"
        if getattr(self, "unlisted_because", None):
            return f"  [new: not the listed expected failure: {self.unlisted_because}]"
        return ""

    @property
    def status(self) -> int | None:
        """The HTTP status of the exchange that proved the failure (0: no answer), if there is one."""
        return getattr(self.exchange, "status", None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status,
            "rule_text": self.rule_text,
            "message": self.message + (f" [{self._listing().strip()[1:-1]}]" if self._listing() else ""),
            "expected": _short(self.expected) if self.expected is not None else None,
            "actual": _short(self.actual) if self.actual is not None else None,
            "exchange": self.exchange.summary() if self.exchange else None,
            "method": getattr(self.exchange, "method", None),
            "path": getattr(self.exchange, "path", None),
            "reproduce": self.exchange.curl() if self.exchange else None,
            **({"listed": True} if getattr(self, "listed_reason", None) else {}),
        }


class HarnessError(Exception):
    """The suite cannot certify this target at all (unreachable, fixture graphs missing, bad settings)."""


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"

"""The checks tests make: ``expect`` for any condition, and one-line forms for the common shapes.

Every check names a rule of spec/rules.yaml (an unknown id is a bug in the suite even when the check
passes) and, when it fails, makes a ConformanceFailure with the rule's sentence, what was expected, what
came back and the exchange, rendered as a curl line. A failed check is a *finding*: it is recorded and
the test goes on (conformance/contract/findings.py), so one deviation never hides the next. Where the
next step needs what just failed, the check says ``stop=True`` and the test ends there, its remaining
checks *not reached*. Every check returns whether it held. The one-line forms say the same as the
``expect`` call they stand for, so a scenario reads like the guide it follows:

    expect_status(created, 200, rule="RUNS-CREATE")
    expect_equal(run["status"], "success", rule="RUNS-GET", exchange=got)
    expect_contains(thread["metadata"], sent, rule="THREADS-CREATE-FIELDS", exchange=created)
    expect_ids(found, exactly=corpus.busy_ids, rule="SEARCH-STATUS", exchange=exchange)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from conformance.contract.client import Exchange
from conformance.contract.failures import ConformanceFailure
from conformance.contract.findings import record
from conformance.contract.rules import rule_text


def expect(
    condition: Any,
    rule: str,
    message: str,
    *,
    expected: Any = None,
    actual: Any = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """A finding naming ``rule`` unless ``condition`` holds; ``stop``: the test cannot go on without it."""
    text = rule_text(rule)  # an unknown rule id is a bug in the suite even when the check passes
    if condition:
        return True
    record(
        ConformanceFailure(rule, message, expected=expected, actual=actual, exchange=exchange, rule_text=text),
        stop=stop,
    )
    return False


def expect_status(
    exchange: Exchange, status: int | Iterable[int], *, rule: str, message: str | None = None, stop: bool = False
) -> bool:
    """The answer has ``status`` (or one of several)."""
    wanted = (status,) if isinstance(status, int) else tuple(status)
    shown = wanted[0] if len(wanted) == 1 else list(wanted)
    return expect(
        exchange.status in wanted,
        rule,
        message or f"{exchange.method} {exchange.path}: answered {exchange.status}, not {shown}",
        expected=shown,
        actual=exchange.status,
        exchange=exchange,
        stop=stop,
    )


def expect_equal(
    actual: Any,
    expected: Any,
    *,
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """``actual == expected``."""
    where = f"{exchange.method} {exchange.path}: " if exchange is not None else ""
    return expect(
        actual == expected,
        rule,
        message or f"{where}got {actual!r}, not {expected!r}",
        expected=expected,
        actual=actual,
        exchange=exchange,
        stop=stop,
    )


def expect_contains(
    container: Any,
    wanted: Any,
    *,
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """A mapping holds every key of ``wanted`` with its value, or a collection holds the item ``wanted``."""
    where = f"{exchange.method} {exchange.path}: " if exchange is not None else ""
    if isinstance(wanted, Mapping):
        holds = isinstance(container, Mapping) and all(k in container and container[k] == v for k, v in wanted.items())
        default = f"{where}does not hold {dict(wanted)!r}"
    else:
        holds = isinstance(container, Iterable) and not isinstance(container, str | bytes) and wanted in container
        default = f"{where}{wanted!r} is missing"
    return expect(holds, rule, message or default, expected=wanted, actual=container, exchange=exchange, stop=stop)


def expect_ids(
    found: Iterable[str],
    *,
    exactly: Iterable[str],
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """The ids found are exactly ``exactly``: none missing, none extra (order ignored; see expect_equal)."""
    got, want = sorted(set(found)), sorted(set(exactly))
    where = f"{exchange.method} {exchange.path}: " if exchange is not None else ""
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    default = f"{where}not exactly the expected ids ({len(missing)} missing, {len(extra)} unexpected)"
    return expect(got == want, rule, message or default, expected=want, actual=got, exchange=exchange, stop=stop)


def expect_in(
    value: Any,
    allowed: Iterable[Any],
    *,
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """``value`` is one of ``allowed`` (a legal status, say): ``value in allowed``."""
    choices = list(allowed)
    shown = " | ".join(c if isinstance(c, str) else json.dumps(c, default=str) for c in choices)
    where = f"{exchange.method} {exchange.path}: " if exchange is not None else ""
    default = f"{where}got {value!r}, not one of {shown}"
    return expect(
        value in choices, rule, message or default, expected=shown, actual=value, exchange=exchange, stop=stop
    )


JSON_TYPES = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}


def expect_type(
    value: Any,
    kind: type | tuple[type, ...],
    *,
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """``isinstance(value, kind)``; the finding names the JSON type (dict: an object, list: an array)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    shown = " or ".join(JSON_TYPES.get(k, k.__name__) for k in kinds)
    where = f"{exchange.method} {exchange.path}: " if exchange is not None else ""
    default = f"{where}got {value!r}, not a JSON {shown}"
    holds = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)  # true is no number
    return expect(
        holds, rule, message or default, expected=f"a JSON {shown}", actual=value, exchange=exchange, stop=stop
    )


# --- more one-line forms, for the shapes that recur beyond equality, containment and exact ids -----------
def _where(exchange: Exchange | None) -> str:
    return f"{exchange.method} {exchange.path}: " if exchange is not None else ""


def expect_true(
    condition: Any,
    *,
    rule: str,
    message: str,
    expected: Any = None,
    actual: Any = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """Any other condition, said in one line: ``expect`` with its rule and message named (``expected`` and
    ``actual`` describe what was wanted and what came, for the finding)."""
    return expect(condition, rule, message, expected=expected, actual=actual, exchange=exchange, stop=stop)


def expect_subset(
    found: Iterable[Any],
    allowed: Iterable[Any],
    *,
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """Every item of ``found`` is one of ``allowed`` (nothing outside the permitted set; none is needed)."""
    permitted = list(allowed)
    outside = [item for item in found if item not in permitted]
    default = f"{_where(exchange)}{len(outside)} item(s) outside the permitted ones"
    return expect(
        not outside, rule, message or default, expected=permitted, actual=outside, exchange=exchange, stop=stop
    )


def _instant(stamp: Any) -> datetime | None:
    """An ISO 8601 date-time as an aware datetime (naive ones read as UTC), or None when it is not one."""
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expect_same_instant(
    actual: Any,
    expected: Any,
    *,
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """Two date-times name the same moment whatever their spelling (``Z`` or ``+00:00``, fractions); None
    matches only None."""
    moment = _instant(actual)
    holds = (actual is None and expected is None) or (moment is not None and moment == _instant(expected))
    default = f"{_where(exchange)}got {actual!r}, not the moment {expected!r}"
    return expect(holds, rule, message or default, expected=expected, actual=actual, exchange=exchange, stop=stop)


def expect_later(
    later: Any,
    earlier: Any,
    *,
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """The date-time ``later`` is strictly after ``earlier`` (a timestamp that moved forward)."""
    after, before = _instant(later), _instant(earlier)
    holds = after is not None and before is not None and after > before
    default = f"{_where(exchange)}{later!r} is not later than {earlier!r}"
    return expect(
        holds, rule, message or default, expected=f"later than {earlier}", actual=later, exchange=exchange, stop=stop
    )


def expect_order(
    found: list[str],
    wanted: list[str],
    *,
    sorted_on: Mapping[str, Any],
    rule: str,
    message: str | None = None,
    exchange: Exchange | None = None,
    stop: bool = False,
) -> bool:
    """The ids ``found`` come in the order ``wanted``, except that ids whose sort value is the same (as the
    server answered it, ``sorted_on[id]``; date-times compared as moments) may come in either order.

    A sort by a field names no order between equal values: a server whose clock counts milliseconds gives
    two threads made in the same millisecond one ``created_at``, and either order of the two is sorted.
    """

    def value(item: str) -> Any:
        raw = sorted_on.get(item)
        return _instant(raw) or raw

    position = {item: index for index, item in enumerate(found)}
    allowed: list[str] = []
    group: list[str] = []
    for item in [*wanted, None]:
        if group and (item is None or value(item) is None or value(item) != value(group[-1])):
            allowed += sorted(group, key=lambda i: position.get(i, len(found)))
            group = []
        if item is not None:
            group.append(item)
    default = f"{_where(exchange)}not in the expected order (equal sort values may come in either order)"
    return expect(
        found == allowed, rule, message or default, expected=allowed, actual=found, exchange=exchange, stop=stop
    )

"""The level of each check per side (error, warning, info), and ``--fail-on`` over those levels.

Why it exists: a change is not equally serious for both sides, and a maintainer must be able to say how
serious, like oasdiff's levels. Every change is an instance of a *check* (:func:`check_id`) with a level
for clients and one for servers, which a file can retune (``--severity``); ``--fail-on breaking`` fails on
errors only. A new optional request field is a *warning* for servers (a server that ignores it still
passes every test the suite has), a removed response field an *error* for clients. ``spec gate`` and
``spec diff`` grade with the same levels.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from conformance.spectools.diff import Change

LEVELS = ("info", "warning", "error")
SIDES = ("clients", "servers")
FAIL_ON = ("never", "any", "warning", "breaking", "client-breaking", "server-breaking")

# The level of a check for a side it breaks, where it is not "error". Everything a side does not break is
# "info". Why these are warnings for servers: a server of the old release that ignores a new optional input
# (or does not yet accept a new value) still passes every test the suite has; it becomes an obligation
# when a scenario exercises it, which the gate's "exercised by" column shows. A new operation is an error:
# the property layer checks every operation of the document (OPERATION-AVAILABLE).
DEFAULT_LEVELS: dict[str, dict[str, str]] = {
    "parameter-added-optional": {"servers": "warning"},
    "parameter-optional": {"servers": "warning"},
    "request-body-added-optional": {"servers": "warning"},
    "request-body-optional": {"servers": "warning"},
    "request-content-type-added": {"servers": "warning"},
    "request-property-added-optional": {"servers": "warning"},
    "request-property-optional": {"servers": "warning"},
    "request-enum-value-added": {"servers": "warning"},
    "request-enum-removed": {"servers": "warning"},
    "request-constraint-loosened": {"servers": "warning"},
    "request-alternative-added": {"servers": "warning"},
    "request-type-changed-widened": {"servers": "warning"},
    "request-format-changed-widened": {"servers": "warning"},
    "request-additional-properties-widened": {"servers": "warning"},
    "request-default-added": {"servers": "warning"},
    "response-status-added": {"clients": "warning"},
}
# Checks whose side depends on the direction of the edit: their id names it.
BY_EFFECT = ("type-changed", "format-changed", "composition-changed", "additional-properties", "items-changed")


def check_id(change: Change) -> str:
    """The check a change is an instance of, named as in DEFAULT_LEVELS and ``--severity`` files."""
    kind, where = change.kind, change.location
    if kind in ("parameter-added", "property-added", "request-body-added"):
        kind += "-required" if "(required)" in change.message else "-optional"
    if kind in BY_EFFECT:
        sides = (change.breaking_for_clients, change.breaking_for_servers)
        request = where.startswith(("parameter", "request"))
        widened = (False, True) if request else (True, False)
        kind += "-incompatible" if all(sides) else "-widened" if sides == widened else "-narrowed"
    if kind == "default-changed":
        sides = (change.breaking_for_clients, change.breaking_for_servers)
        kind = {(False, True): "default-added", (True, False): "default-removed"}.get(sides, "default-changed")
    if kind.startswith(("operation-", "parameter-", "path-", "request-", "response-", "description-")):
        return kind
    if where.startswith("parameter"):
        return f"request-{kind}"  # a parameter's schema is read like a request field's
    return f"{'response' if where.startswith('response') else 'request'}-{kind}"


def load_severity(path: str | None) -> dict[str, dict[str, str]]:
    """A severity file: ``check-id: level`` (both sides) or ``check-id: {clients: level, servers: level}``."""
    if not path:
        return {}
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a mapping of check id to a level or {{clients, servers}}")
    table: dict[str, dict[str, str]] = {}
    for check, value in data.items():
        levels = {side: value for side in SIDES} if isinstance(value, str) else dict(value or {})
        for side, level in levels.items():
            if side not in SIDES or level not in LEVELS:
                raise ValueError(f"{path}: {check}: {side}: {level!r} (sides {SIDES}, levels {LEVELS})")
        table[str(check)] = levels
    return table


def levels_of(change: Change, overrides: dict[str, dict[str, str]]) -> dict[str, str]:
    check = check_id(change)
    found = {}
    for side, breaks in zip(SIDES, (change.breaking_for_clients, change.breaking_for_servers), strict=True):
        if side in overrides.get(check, {}):
            found[side] = overrides[check][side]
        elif breaks:
            found[side] = DEFAULT_LEVELS.get(check, {}).get(side, "error")
        else:
            found[side] = "info"
    return found


def should_fail(levels: list[dict[str, str]], fail_on: str) -> bool:
    """The ``--fail-on`` gate over the levels of every reported item."""
    if fail_on == "any":
        return bool(levels)
    if fail_on == "warning":
        return any(v in ("warning", "error") for lv in levels for v in lv.values())
    if fail_on == "breaking":
        return any("error" in lv.values() for lv in levels)
    if fail_on in ("client-breaking", "server-breaking"):
        side = fail_on.split("-")[0] + "s"
        return any(lv.get(side) == "error" for lv in levels)
    return False

"""How much the property layer generates: the budgets and the plan read from the session's settings.

Its own module because the plan is read twice and early: the test module validates it while collecting
(a bad ``--max-examples`` is a usage error before anything runs), long before a schema or a target
exists, and the layer reads it again to build the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.plugin.settings import SettingsError


@dataclass(frozen=True)
class Budget:
    """How much generation one run buys; ``--max-examples`` overrides ``max_examples``."""

    name: str
    max_examples: int  # fuzzing examples per operation
    stream_examples: int  # fuzzing examples for operations that answer an event stream
    stream_window: float  # seconds an event stream is read after its headers arrived


BUDGETS = {
    "quick": Budget("quick", max_examples=5, stream_examples=2, stream_window=0.25),
    "full": Budget("full", max_examples=50, stream_examples=10, stream_window=1.0),
}


@dataclass(frozen=True)
class Plan:
    seed: int
    budget: Budget
    max_examples: int
    request_timeout: float


def _integer(settings: Any, name: str, minimum: int) -> int | None:
    raw = getattr(settings, name)
    if raw is None:
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{name} from {settings.sources[name]}: expected an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} from {settings.sources[name]}: must be at least {minimum}, got {raw!r}")
    return value


def plan_from(settings: Any) -> Plan:
    """The layer's settings (--conformance-seed, --max-examples, --property-budget), validated."""
    budget_name = str(settings.property_budget).strip().lower()
    if budget_name not in BUDGETS:
        raise SettingsError(
            f"property_budget from {settings.sources['property_budget']}: expected one of "
            f"{', '.join(BUDGETS)}, got {settings.property_budget!r}"
        )
    budget = BUDGETS[budget_name]
    seed = _integer(settings, "conformance_seed", 0) or 0
    examples = _integer(settings, "max_examples", 1)
    return Plan(seed, budget, examples or budget.max_examples, settings.request_timeout)

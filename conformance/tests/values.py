"""What the tests read out of a graph's values: the messages of a thread's state, a run's answer, an event.

The fixture graphs keep their conversation under ``values["messages"]``. A server may answer anything,
so each helper takes any value and gives back what it finds, empty where there is nothing (no object, no
list of messages, entries that are not objects): the check that follows then fails with what came,
never the helper with a KeyError.
"""

from __future__ import annotations

from typing import Any


def _listed(values: Any) -> list[Any]:
    """The list under ``values["messages"]`` as it came ([] when ``values`` holds no list there)."""
    found = values.get("messages") if isinstance(values, dict) else None
    return found if isinstance(found, list) else []


def messages(values: Any) -> list[dict[str, Any]]:
    """The messages in ``values`` (those that are objects), in order."""
    return [m for m in _listed(values) if isinstance(m, dict)]


def last_message(values: Any) -> dict[str, Any]:
    """The last message in ``values``, or {} when there is none or it is not an object."""
    listed = _listed(values)
    return listed[-1] if listed and isinstance(listed[-1], dict) else {}


def contents(values: Any) -> list[Any]:
    """The ``content`` of each message in ``values``, in order."""
    return [m.get("content") for m in messages(values)]


def conversation(values: Any) -> list[tuple[Any, Any]]:
    """(type, content) of each message in ``values``, in order: ``[("human", "hi"), ("ai", "echo: hi")]``."""
    return [(m.get("type"), m.get("content")) for m in messages(values)]


def interrupt_values(interrupts: Any) -> list[Any]:
    """The values of a thread's ``interrupts`` (an object of task id -> list of Interrupt objects; the
    document says only "object"): what each listed interrupt carries, the entry itself where it is no object."""
    lists = interrupts.values() if isinstance(interrupts, dict) else []
    entries = [entry for listed in lists for entry in (listed if isinstance(listed, list) else [listed])]
    return [entry.get("value") if isinstance(entry, dict) else entry for entry in entries]

"""What a thread's state values hold, read the same way by every test: the messages of the conversation.

A state's ``values`` is whatever the server answered (an object, null before the first run, or something
wrong): each reader here answers an empty list rather than raising, so a test states what it expected
and its check reports what came instead.
"""

from __future__ import annotations

from typing import Any


def messages(values: Any) -> list[dict[str, Any]]:
    """The message objects of ``values["messages"]`` (none when values is not an object or has none)."""
    found = values.get("messages") if isinstance(values, dict) else None
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


def contents(values: Any) -> list[Any]:
    """The content of each message, in order."""
    return [m.get("content") for m in messages(values)]


def kinds(values: Any) -> list[tuple[Any, Any]]:
    """(type, content) of each message, in order: who said what."""
    return [(m.get("type"), m.get("content")) for m in messages(values)]

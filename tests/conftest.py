"""Fixtures of the project's own tests: one real reference server shared by everything in a worker."""

from __future__ import annotations

import pytest

from conformance.targets import reference
from tests import faultkit


@pytest.fixture(scope="session")
def reference_url():
    """The official in-memory server with the fixture graphs, started once per test worker."""
    running = reference.start()
    try:
        yield running.url
    finally:
        faultkit.HANG.set()
        running.stop()

"""Fixtures of the project's own tests: one real reference server shared by everything in a worker."""

from __future__ import annotations

import pytest

from conformance.targets import reference
from tests import faultkit
from tests.faults_auth import TOKENS


@pytest.fixture(scope="session")
def reference_url():
    """The official in-memory server with the fixture graphs, started once per test worker."""
    running = reference.start()
    try:
        yield running.url
    finally:
        faultkit.HANG.set()
        running.stop()


@pytest.fixture(scope="session")
def auth_reference_url():
    """The official server with the fixture graphs behind the fixture auth (conformance/graphs/auth.py) and
    the two users of tests/faults_auth.py, started once per test worker by the first auth fault."""
    running = reference.start(auth_tokens=TOKENS)
    try:
        yield running.url
    finally:
        running.stop()

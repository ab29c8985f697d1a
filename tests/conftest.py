"""Fixtures of the project's own tests: one real reference server shared by everything in a worker."""

from __future__ import annotations

import pytest

from conformance.targets import reference
from tests import faultkit
from tests.faults_auth import TOKENS

# The self-tests that mostly wait (the cron minute, a whole certification), measured at 17-160 s where
# most take 1-3 s. They go out first, two to a worker (paired so that each pair's sum is about
# the same), and wait while the short ones use the cores, instead of starting last and being the tail of
# the run. Only the order changes: a name missing here costs time, never a verdict.
LONG_FIRST = (
    "test_busy_server.py::test_same_outcomes_on_a_busy_server_and_nothing_foreign_touched",  # 160 s
    "test_parallel.py::test_parallel_run_reports_what_a_serial_run_reports",  # 17 s
    "test_fault_is_caught[cron-never-fires]",  # 85 s
    "test_reference.py::test_reference_is_green_and_deterministic",  # 20 s
    "test_fault_is_caught[cron-runs-other-input]",  # 62 s
    "test_fault_is_caught[protocol-run-start-runs-nothing]",  # 32 s
    "test_fault_is_caught[cron-disabled-fires]",  # 59 s
    "test_findings.py::test_a_listed_shape_finding_does_not_hide_a_behavioural_one",  # 17 s
    "test_reference.py::test_a_cron_not_readable_by_id_is_still_waited_for",  # the cron minute
)


def _rank(item: pytest.Item) -> int:
    return next((i for i, name in enumerate(LONG_FIRST) if item.nodeid.endswith(name)), len(LONG_FIRST))


def pytest_configure(config: pytest.Config) -> None:
    """xdist's load scheduler hands each worker a block of consecutive tests at first (a quarter of its
    share): the long tests, first in the order, would all go to one worker. At most one test per hand-out
    gives each worker two of them (xdist's least), then one test at a time to whoever is free."""
    if getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: every other test keeps its place


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

"""Property-based layer: every operation of the effective contract, exercised with schemathesis.

One test per operation (``test_operation[POST /threads]``), so a known deviation of one operation is one
expected-failure entry and the report names the operation. The operations come from the session's
contract (``--spec``/``--errata``), the requests from schemathesis (examples, coverage and fuzzing
phases, valid and invalid data), seeded by ``--conformance-seed`` and sized by ``--max-examples`` and
``--property-budget``. Why each check fails a test or only warns: docs/PROPERTIES.md.
"""

from __future__ import annotations

import json
import os

import pytest

from conformance.contract.failures import HarnessError
from conformance.plugin.hooks import RESULTS, SESSION
from conformance.plugin.settings import SettingsError
from conformance.properties import layer as properties

pytestmark = pytest.mark.area("properties")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize by the operations of the contract this session certifies against."""
    if "operation" not in metafunc.fixturenames:
        return
    cert = metafunc.config.stash[SESSION]
    try:
        properties.plan_from(cert.settings)  # a bad --max-examples is a usage error, before anything runs
        labels = list(cert.load_contract().operations)
    except SettingsError as exc:
        raise pytest.UsageError(f"conformance: {exc}") from None
    except HarnessError:
        labels = []  # the session reports the unreadable spec as its harness error
    metafunc.parametrize("operation", labels, ids=labels)


@pytest.fixture(scope="session")
def property_layer(certification, contract, request):
    """The schema, the session's resources for generated requests, and, at the end, their cleanup."""
    layer = properties.Layer.open(certification, contract, properties.plan_from(certification.settings))
    yield layer
    cleanup = layer.world.close()
    results = request.config.stash.get(RESULTS, None)
    if results is not None and results.report_dir is not None and layer.runs:
        summary = {**layer.summary(), "cleanup": cleanup}
        results.report_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(results.scrub(summary), indent=2) + "\n"
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # under xdist each worker has its own operations
        name = f"properties.{worker}.json" if worker else "properties.json"
        (results.report_dir / name).write_text(text, encoding="utf-8")


def test_operation(operation: str, property_layer: properties.Layer, request: pytest.FixtureRequest) -> None:
    """Generated requests to the operation get documented statuses, content types and bodies, and no 5xx."""
    record = property_layer.run(operation)
    results = request.config.stash.get(RESULTS, None)
    property_layer.report(record, request.node, results.scrub if results is not None else str)

"""Property-based layer: every operation of the effective contract, exercised with schemathesis.

One test per operation (``test_operation[POST /threads]``), so a known deviation of one operation is one
expected-failure entry and the report names the operation. The operations come from the session's
contract (``--spec``/``--errata``), the requests from schemathesis (examples, coverage and fuzzing
phases, valid and invalid data), seeded by ``--conformance-seed`` and sized by ``--max-examples`` and
``--property-budget``. Why each check fails a test or only warns: docs/PROPERTIES.md.
"""

from __future__ import annotations

import json

import pytest

from conformance.contract.failures import HarnessError
from conformance.plugin import parallel
from conformance.plugin.hooks import RESULTS, SESSION
from conformance.plugin.settings import SettingsError
from conformance.properties import layer as properties

pytestmark = pytest.mark.area("properties")
# One operation per test, each its own unit under xdist (the world's groups apart): see WORLD_RESOURCES.
conformance_split_under_xdist = True


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
    params = [pytest.param(label, marks=_group(label)) for label in labels]
    metafunc.parametrize("operation", params, ids=labels)


# Operations that address one of the world's resources change it for the operations after them (a run
# makes the thread busy, a state update moves its checkpoint), so under xdist each resource's operations
# run on one worker, in the order a serial run has them (conformance/plugin/parallel.py).
WORLD_RESOURCES = (
    ("/threads/{thread_id}", "world-thread"),
    ("/assistants/{assistant_id}", "world-assistant"),
    ("/runs/crons/{cron_id}", "world-cron"),
    ("/store/", "world-store"),
)


def _group(label: str) -> tuple[pytest.MarkDecorator, ...]:
    path = label.split(" ", 1)[-1]
    return tuple(pytest.mark.xdist_group(group) for prefix, group in WORLD_RESOURCES if path.startswith(prefix))


@pytest.fixture(scope="session")
def property_layer(certification, contract, request):
    """The schema, the session's resources for generated requests, and, at the end, their cleanup."""
    layer = properties.Layer.open(certification, contract, properties.plan_from(certification.settings))
    yield layer
    cleanup = layer.world.close()
    results = request.config.stash.get(RESULTS, None)
    if results is not None and results.report_dir is not None and layer.runs:
        summary = results.property_summary = {**layer.summary(), "cleanup": cleanup}
        if parallel.is_worker(request.config):  # the controller merges every worker's into one file
            return
        results.report_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(results.scrub(summary), indent=2) + "\n"
        (results.report_dir / "properties.json").write_text(text, encoding="utf-8")


def test_operation(operation: str, property_layer: properties.Layer, request: pytest.FixtureRequest) -> None:
    """Generated requests to the operation get documented statuses, content types and bodies, and no 5xx."""
    record = property_layer.run(operation)
    results = request.config.stash.get(RESULTS, None)
    property_layer.report(record, request.node, results.scrub if results is not None else str)

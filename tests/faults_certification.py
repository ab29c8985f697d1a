"""Faults in what a certification concludes: an endpoint that is simply missing, and a known deviation that
hides another failure of the same rule."""

from __future__ import annotations

from tests.faultkit import Fault, drop
from tests.faultproxy import Req, Resp

P = "test_properties.py::test_operation"
REFERENCE_LIST = "reports/langgraph-api-0.16.7-inmem/expected-failures.yaml"
STATELESS = ("/runs", "/runs/wait", "/runs/stream", "/runs/batch", "/runs/cancel")


def _no_stateless_runs(req: Req) -> Resp | None:
    """Every stateless-run endpoint is missing: a documented 404 to each request, as Aegra 0.6.0 answers."""
    if req.method == "POST" and req.path in STATELESS:
        return Resp(404, {"content-type": "application/json"}, b'{"detail":"Not Found"}')
    return None


def _no_stateless_runs_nor_world_assistant(req: Req) -> Resp | None:
    """As _no_stateless_runs, and the property layer's own assistant is refused (Aegra 0.6.0 refused it as
    a duplicate config): the stateless operations' canonical requests cannot be built, which must not pass."""
    if req.is_("POST", "/assistants") and isinstance(req.body, dict) and req.body.get("name") == WORLD_ASSISTANT:
        return Resp(409, {"content-type": "application/json"}, b'{"detail":"Assistant already exists"}')
    return _no_stateless_runs(req)


WORLD_ASSISTANT = "conformance property layer"

FAULTS: tuple[Fault, ...] = (
    Fault(
        "stateless-runs-missing",
        "POST /runs, /runs/wait, /runs/stream, /runs/batch and /runs/cancel answer 404 to everything",
        tuple(f"{P}[POST {path}]" for path in STATELESS),
        "OPERATION-AVAILABLE",
        on_request=_no_stateless_runs,
    ),
    Fault(
        "stateless-runs-missing-behind-a-refused-setup",
        "stateless runs answer 404, and the assistant their canonical requests need is refused",
        (f"{P}[POST /runs]", f"{P}[POST /runs/wait]"),
        "OPERATION-AVAILABLE",
        on_request=_no_stateless_runs_nor_world_assistant,
    ),
    Fault(
        "values-ignored-beside-a-listed-500",
        "the values search filter is ignored, certified with the reference's list (which names a 500 there)",
        ("test_thread_search.py::test_values_filter_returns_the_thread_with_that_state",),
        "SEARCH-VALUES",
        on_request=drop("values"),
        options=(f"--expected-failures={REFERENCE_LIST}",),
    ),
)

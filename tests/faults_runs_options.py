"""Faults of run options (configurable, context, metadata, checkpoint, after_seconds, durability), with
the tests of conformance/tests/test_runs_options.py that must catch each."""

from __future__ import annotations

from tests.faultkit import Fault, drop_body_field
from tests.faultproxy import Req, Resp

O = "test_runs_options.py::"  # noqa: E741


def _configurable_dropped(req: Req) -> None:
    if (
        req.is_("POST", "/threads/*/runs/wait")
        and isinstance(req.body, dict)
        and isinstance(req.body.get("config"), dict)
    ):
        req.body["config"].pop("configurable", None)


FAULTS: tuple[Fault, ...] = (
    Fault(
        "configurable-dropped",
        "config.configurable does not reach the graph",
        (O + "test_configurable_reaches_the_graph",),
        "RUNS-CONFIGURABLE",
        on_request=_configurable_dropped,
    ),
    Fault(
        "context-dropped",
        "context does not reach the graph",
        (O + "test_context_reaches_the_graph",),
        "RUNS-CONTEXT",
        on_request=drop_body_field("POST", "/threads/*/runs/wait", "context"),
    ),
    Fault(
        "run-metadata-dropped",
        "the run's metadata is not kept",
        (O + "test_metadata_is_kept_on_the_run",),
        "RUNS-METADATA",
        on_request=drop_body_field("POST", "/threads/*/runs/wait", "metadata"),
    ),
    Fault(
        "checkpoint-ignored",
        "checkpoint is ignored (the run starts from the latest state)",
        (O + "test_checkpoint_forks_the_state",),
        "RUNS-CHECKPOINT",
        on_request=drop_body_field("POST", "/threads/*/runs/wait", "checkpoint"),
    ),
    Fault(
        "after-seconds-ignored",
        "after_seconds is ignored (the run starts at once)",
        (O + "test_after_seconds_keeps_the_run_pending",),
        "RUNS-AFTER-SECONDS",
        on_request=drop_body_field("POST", "/threads/*/runs", "after_seconds"),
    ),
    Fault(
        "durability-exit-rejected",
        "durability exit is rejected with 422",
        (O + "test_durability_is_accepted_and_the_run_succeeds[exit]",),
        "RUNS-DURABILITY",
        on_request=lambda req: (
            Resp(422, {"content-type": "application/json"}, b'{"detail": "durability"}')
            if req.is_("POST", "/threads/*/runs/wait")
            and isinstance(req.body, dict)
            and req.body.get("durability") == "exit"
            else None
        ),
    ),
)

"""Faults of updating a thread's state and reading it at a checkpoint (POST /threads/{id}/state,
GET /threads/{id}/state/{checkpoint_id}, POST /threads/{id}/state/checkpoint), with the tests of
conformance/tests/test_thread_state_updates.py that must catch each."""

from __future__ import annotations

import uuid

from tests.faultkit import Fault, answer_with, pop_keys, reroute, segment, swaps
from tests.faultproxy import Req

SU = "test_thread_state_updates.py::"


def _fake_update(req: Req) -> dict:
    checkpoint = {"thread_id": segment(req, 1), "checkpoint_ns": "", "checkpoint_id": str(uuid.uuid4())}
    return {"checkpoint": checkpoint}


FAULTS: tuple[Fault, ...] = (
    Fault(
        "state-update-ignored",
        "POST /threads/{id}/state answers a checkpoint but stores nothing",
        (SU + "test_update_values_makes_a_new_checkpoint",),
        "STATE-UPDATE",
        on_request=answer_with("POST", "/threads/*/state", 200, _fake_update),
    ),
    Fault(
        "state-update-as-node-ignored",
        "POST /threads/{id}/state ignores as_node",
        (SU + "test_update_as_node_continues_after_that_node[first]",),
        "STATE-UPDATE-AS-NODE",
        on_request=pop_keys("POST", "/threads/*/state", "as_node"),
    ),
    Fault(
        "state-update-checkpoint-ignored",
        "POST /threads/{id}/state ignores checkpoint (updates the latest state)",
        (SU + "test_update_at_a_checkpoint_forks_from_it",),
        "STATE-UPDATE-CHECKPOINT",
        on_request=pop_keys("POST", "/threads/*/state", "checkpoint"),
    ),
    Fault(
        "state-at-checkpoint-is-latest",
        "GET /threads/{id}/state/{checkpoint_id} answers the latest state",
        (SU + "test_state_at_a_checkpoint_by_id", SU + "test_state_at_an_unknown_checkpoint_is_not_the_latest"),
        "STATE-AT-CHECKPOINT",
        on_request=reroute("GET", "/threads/*/state/*", "GET", lambda r: f"/threads/{segment(r, 1)}/state"),
    ),
    Fault(
        "state-checkpoint-post-is-latest",
        "POST /threads/{id}/state/checkpoint answers the latest state",
        (
            SU + "test_state_at_a_checkpoint_by_post[full]",
            SU + "test_state_at_a_checkpoint_by_post[checkpoint_id-only]",
        ),
        "STATE-AT-CHECKPOINT",
        on_request=reroute("POST", "/threads/*/state/checkpoint", "GET", lambda r: f"/threads/{segment(r, 1)}/state"),
    ),
    Fault(
        "state-unknown-thread-200",
        "state operations on an unknown thread answer 200",
        (
            SU + "test_unknown_thread_is_404[update]",
            SU + "test_unknown_thread_is_404[at-checkpoint]",
            SU + "test_unknown_thread_is_404[checkpoint-post]",
        ),
        "STATE-NOT-FOUND-ALL",
        on_response=swaps(
            404, 200, "POST /threads/*/state", "GET /threads/*/state/*", "POST /threads/*/state/checkpoint", body={}
        ),
    ),
    Fault(
        "state-validation-400",
        "invalid state requests answer 400 instead of 422",
        (
            SU + "test_invalid_request_is_422[update-values-type]",
            SU + "test_invalid_request_is_422[checkpoint-post-missing]",
        ),
        "STATE-VALIDATION",
        on_response=swaps(422, 400, "POST /threads/*/state", "POST /threads/*/state/checkpoint"),
    ),
)

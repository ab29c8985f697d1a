"""Faults of the thread status (GET /threads/{id} and the status a thread shows), with the tests of
conformance/tests/test_thread_status.py (and test_thread_runs.py) that must catch each."""

from __future__ import annotations

from tests.faultkit import Fault, json_response, set_key, status_shown
from tests.faults_thread_runs import QUICK_RUNS, R

T = "test_thread_status.py::"


FAULTS: tuple[Fault, ...] = (
    Fault(
        "idle-shown-as-busy",
        "GET /threads/{id} reports an idle thread as busy",
        (T + "test_new_thread_is_idle_and_found_by_idle_search", T + "test_thread_shows_its_status[idle]"),
        "THREAD-STATUS-IDLE",
        on_response=status_shown("idle", "busy"),
    ),
    Fault(
        "busy-shown-as-idle",
        "GET /threads/{id} never reports busy while a run is in progress",
        (T + "test_busy_thread_shows_busy_and_is_found_by_busy_search",),
        "THREAD-STATUS-BUSY",
        on_response=status_shown("busy", "idle"),
        options=QUICK_RUNS,
    ),
    Fault(
        "interrupted-shown-as-idle",
        "an interrupted thread is reported idle",
        (T + "test_thread_shows_its_status[interrupted]",),
        "THREAD-STATUS-INTERRUPTED",
        on_response=status_shown("interrupted", "idle"),
    ),
    Fault(
        "error-shown-as-idle",
        "an errored thread is reported idle",
        (T + "test_thread_shows_its_status[error]",),
        "THREAD-STATUS-ERROR",
        on_response=status_shown("error", "idle"),
    ),
    Fault(
        "new-thread-busy",
        "POST /threads answers a new thread with status busy",
        (R + "test_new_thread_has_the_documented_fields",),
        "THREADS-CREATE-FIELDS",
        on_response=json_response("POST", "/threads", set_key("status", "busy")),
    ),
)

"""Faults of status codes, content types and error bodies of the threads, state, runs and search
operations: an unknown or malformed id answered with the wrong status, JSON labelled as HTML, an error
body that is not the documented ErrorResponse."""

from __future__ import annotations

from tests.faultkit import Fault, is_thread_search, swap_status
from tests.faults_thread_runs import R
from tests.faults_thread_search import S
from tests.faults_thread_state import ST
from tests.faults_thread_status import T

FAULTS: tuple[Fault, ...] = (
    Fault(
        "unknown-thread-500",
        "an unknown thread answers 500 instead of 404",
        (T + "test_unknown_thread_is_404",),
        "THREADS-NOT-FOUND",
        on_response=swap_status("GET", "/threads/*", 404, 500, {"detail": "boom"}),
    ),
    Fault(
        "unknown-thread-state-200",
        "the state of an unknown thread answers 200 with an empty state",
        (ST + "test_unknown_thread_state_is_404",),
        "STATE-NOT-FOUND",
        on_response=swap_status("GET", "/threads/*/state", 404, 200, {"values": {}, "next": []}),
    ),
    Fault(
        "malformed-id-404",
        "a malformed thread id answers 404 instead of 422",
        (T + "test_malformed_thread_id_is_422", ST + "test_malformed_thread_id_state_is_422"),
        "MALFORMED-ID-422",
        on_response=lambda req, resp: (
            swap_status("GET", "/threads/*", 422, 404)(req, resp)
            or swap_status("GET", "/threads/*/state", 422, 404)(req, resp)
        ),
    ),
    Fault(
        "unknown-run-200",
        "an unknown run answers 200 with an empty object",
        (R + "test_unknown_run_is_404",),
        "RUNS-NOT-FOUND",
        on_response=swap_status("GET", "/threads/*/runs/*", 404, 200, {}),
    ),
    Fault(
        "wrong-content-type",
        "GET /threads/{id} answers JSON labelled text/html",
        (T + "test_find_thread_by_id",),
        "CONTRACT-CONTENT-TYPE",
        on_response=lambda req, resp: (
            resp.headers.__setitem__("content-type", "text/html") if req.is_("GET", "/threads/*") else None
        ),
    ),
    Fault(
        "error-body-wrong",
        "404 bodies are {'error': ...} instead of ErrorResponse",
        (T + "test_unknown_thread_is_404", ST + "test_unknown_thread_state_is_404"),
        "CONTRACT-SCHEMA",
        on_response=lambda req, resp: setattr(resp, "json", {"error": "not found"}) if resp.status == 404 else None,
    ),
    Fault(
        "search-not-json",
        "POST /threads/search answers an HTML page with status 200",
        (S + "test_limit_caps_the_results[1]",),
        "CONTRACT-CONTENT-TYPE",
        on_response=lambda req, resp: (
            (setattr(resp, "content", b"<html>oops</html>"), resp.headers.__setitem__("content-type", "text/html"))
            if is_thread_search(req) and resp.status == 200
            else None
        ),
    ),
)

"""The catalogue of deliberate faults, and which conformance tests must catch each: every area's faults, in
one list.

Each fault is one wrong behaviour a real server could have, injected by the proxy in front of the
reference. ``catches`` names the tests that must fail (matched against the end of the node id) and
``rule`` the rule id at least one of those failures must name. The faults live in one module per API area,
tests/faults_<area>.py, named after the conformance test module that catches them
(conformance/tests/test_<area>.py), except faults_http.py (the status codes, content types and error
bodies of the threads, state, runs and search operations) and faults_certification.py (what a
certification concludes); what several of them share is in tests/faultkit.py. Scenarios that are an
expected failure of the reference (listed in its expected-failures file) fail on the reference itself and
have no fault: no fault could make them fail "more". docs/FAULTS.md is generated from this list
(``python -m tests.faults``) and the self-tests prove every row.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tests import (
    faults_a2a,
    faults_assistants,
    faults_auth,
    faults_certification,
    faults_crons,
    faults_http,
    faults_mcp,
    faults_properties,
    faults_protocol,
    faults_runs_control,
    faults_runs_interrupt,
    faults_runs_options,
    faults_runs_stream,
    faults_runs_wait,
    faults_sdkjs,
    faults_stateless_runs,
    faults_store,
    faults_system,
    faults_thread_history,
    faults_thread_runs,
    faults_thread_search,
    faults_thread_state,
    faults_thread_state_updates,
    faults_thread_status,
    faults_threads,
    faults_webhooks,
)
from tests.faultkit import Fault

# The order the faults were written in, which the self-tests' ids and docs/FAULTS.md keep: the seed areas
# first, then the areas one after another (a module whose faults were written at two times names both parts).
FAULTS: tuple[Fault, ...] = (
    *faults_thread_status.FAULTS,
    *faults_thread_search.FAULTS,
    *faults_threads.FIELD_FAULTS,
    *faults_thread_runs.FAULTS,
    *faults_thread_state.FAULTS,
    *faults_http.FAULTS,
    *faults_properties.FAULTS,
    *faults_auth.FAULTS,
    *faults_certification.FAULTS,
    *faults_protocol.FAULTS,
    *faults_runs_wait.FAULTS,
    *faults_runs_stream.FAULTS,
    *faults_runs_control.FAULTS,
    *faults_runs_interrupt.FAULTS,
    *faults_runs_options.FAULTS,
    *faults_stateless_runs.FAULTS,
    *faults_webhooks.FAULTS,
    *faults_sdkjs.FAULTS,
    *faults_store.FAULTS,
    *faults_system.SYSTEM_FAULTS,
    *faults_crons.FAULTS,
    *faults_a2a.FAULTS,
    *faults_mcp.FAULTS,
    *faults_system.DOCS_FAULTS,
    *faults_threads.THREAD_FAULTS,
    *faults_thread_state_updates.FAULTS,
    *faults_thread_history.FAULTS,
    *faults_assistants.FAULTS,
    *faults_threads.STORAGE_FAULTS,
)
BY_NAME = {fault.name: fault for fault in FAULTS}


def _every_area_listed() -> None:
    """A new tests/faults_<area>.py missing from the list above would never be injected: refuse to load."""
    written = [
        fault.name
        for path in sorted(Path(__file__).resolve().parent.glob("faults_*.py"))
        for fault in importlib.import_module(f"tests.{path.stem}").FAULTS
    ]
    listed = [fault.name for fault in FAULTS]
    if sorted(written) != sorted(listed):
        missing, extra = sorted(set(written) - set(listed)), sorted(set(listed) - set(written))
        twice = sorted({name for name in listed if listed.count(name) > 1})
        raise RuntimeError(f"tests/faults.py lists not every area's faults once: {missing=} {extra=} {twice=}")


_every_area_listed()


def render_table() -> str:
    lines = [
        "# Faults the self-tests inject, and the conformance tests that catch them",
        "",
        "Generated from `tests/faults.py` by `python -m tests.faults`; `tests/test_faults.py` proves every "
        "row against the reference behind a fault-injecting proxy.",
        "",
        f"{len(FAULTS)} faults.",
        "",
        "| fault | what is wrong | caught by | rule |",
        "| --- | --- | --- | --- |",
    ]
    for fault in FAULTS:
        caught = "<br>".join(f"`{c}`" for c in fault.catches)
        lines.append(f"| `{fault.name}` | {fault.description} | {caught} | {fault.rule} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "FAULTS.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(render_table(), encoding="utf-8")
    print(f"wrote {target}")

"""The sdk-js area's report names the operations the JS client exercised, though Node's requests bypass httpx.

The Node replay script (conformance/graphs/js/sdk-replay.mjs) reports each request it sent as method and
path; the tests hand them to the session's Recorder, so results.json names them per test, like the
Python clients' requests, and never a header.
"""

from __future__ import annotations

import pytest

from conformance.targets import langgraphjs
from tests.runner import run_suite

API_KEY = "SECRET-sdkjs-key-52c1"

# Operations each test's guide step needs at least (its own calls, or its fixture's).
NEEDED = {
    "test_sdk_js_threads_create_and_get": {"POST /threads", "GET /threads/{thread_id}"},
    "test_sdk_js_background_run_guide": {
        "GET /threads/{thread_id}/runs",
        "POST /threads/{thread_id}/runs",
        "GET /threads/{thread_id}/runs/{run_id}",
        "GET /threads/{thread_id}/runs/{run_id}/join",
    },
    "test_sdk_js_get_state_holds_the_conversation": {"GET /threads/{thread_id}/state"},
    "test_sdk_js_search_by_status[idle]": {"POST /threads/search"},
    "test_sdk_js_search_by_metadata": {"POST /threads", "POST /threads/search"},
}


def test_sdk_js_tests_name_the_operations_the_js_client_sent(tmp_path, reference_url):
    missing = langgraphjs.node_missing()
    if missing:
        pytest.skip(f"the JS client cannot run here: {missing}")
    run = run_suite(tmp_path, f"--target-url={reference_url}", f"--api-key={API_KEY}", modules=["test_sdk_js.py"])
    assert run.returncode == 0, run.output[-3000:]
    for name, needed in NEEDED.items():
        test = run.find(f"test_sdk_js.py::{name}")
        assert test is not None and test["outcome"] == "passed", test
        assert needed <= set(test["operations"]), f"{name} names {test['operations']}, not all of {sorted(needed)}"
        assert not [op for op in test["operations"] if "undocumented" in op], test["operations"]
    text = (tmp_path / "results.json").read_text(encoding="utf-8")
    assert API_KEY not in text and "x-api-key" not in text.lower(), "a header reached the report"

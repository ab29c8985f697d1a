"""System endpoints: health (/ok), server information (/info) and metrics (/metrics) in each format."""

from __future__ import annotations

import re

import pytest

from conformance.contract.checks import expect_equal, expect_status, expect_true, expect_type

pytestmark = pytest.mark.area("system")

# One line of the Prometheus text exposition format: a comment, or a sample `name{labels} value [timestamp]`.
PROMETHEUS_SAMPLE = re.compile(
    r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?\s+([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|[-+]?Inf|NaN)(\s+-?\d+)?$"
)


@pytest.mark.parametrize("check_db", [None, 1], ids=["plain", "check_db"])
def test_ok_answers_ok_true(client, contract, check_db):
    """GET /ok answers 200 {"ok": true}, also when asked to check the database."""
    exchange = client.get("/ok", params={"check_db": check_db} if check_db else None)
    body = contract.validate(exchange, "GET /ok", status=200, rule="SYSTEM-OK")
    expect_equal(body.get("ok") if isinstance(body, dict) else body, True, rule="SYSTEM-OK", exchange=exchange)


def _info(client):
    exchange = client.get("/info")
    expect_status(exchange, 200, rule="SYSTEM-INFO")
    body = exchange.json()
    expect_type(body, dict, rule="SYSTEM-INFO", message="GET /info: the answer is not an object", exchange=exchange)
    return body, exchange


def test_info_carries_the_version_fields_and_flags(client, contract):
    """GET /info carries version and langgraph_py_version (strings) and flags (an object of booleans)."""
    info, exchange = _info(client)
    for name in ("version", "langgraph_py_version"):
        value, bad = info.get(name), f"GET /info: {name} is missing or not a version string"
        versioned, wanted = isinstance(value, str) and value.strip() != "", f"{name}: a non-empty string"
        expect_true(versioned, rule="SYSTEM-INFO", message=bad, expected=wanted, actual=value, exchange=exchange)
    flags, not_flags = info.get("flags"), "GET /info: flags is not an object of booleans"
    booleans = isinstance(flags, dict) and all(isinstance(v, bool) for v in flags.values())
    wanted = "flags: {name: true | false}"
    has_flags = isinstance(flags, dict)
    expect_true(has_flags, rule="SYSTEM-INFO", message=not_flags, expected=wanted, actual=flags, exchange=exchange)
    if has_flags:  # that each is a boolean is the official server's answer (the schema leaves values open)
        rule = "SYSTEM-INFO-FLAG-VALUES"
        expect_true(booleans, rule=rule, message=not_flags, expected=wanted, actual=flags, exchange=exchange)
    contract.validate(exchange, "GET /info", status=200, rule="SYSTEM-INFO")


FLAG_PROBES = {  # flag -> a request that only a server offering the feature answers 200, scoped to nothing
    "assistants": ("/assistants/search", "POST /assistants/search"),
    "crons": ("/runs/crons/search", "POST /runs/crons/search"),
}


@pytest.mark.parametrize("flag", list(FLAG_PROBES))
def test_info_flags_agree_with_the_endpoints(client, contract, tag, flag):
    """A feature /info flags true is served: its search answers 200 with a list (scoped to an unused tag);
    one it flags false is not served (404/405), so the area it switches off is truly absent, not hidden."""
    info, _ = _info(client)
    flags = info.get("flags") if isinstance(info.get("flags"), dict) else {}
    if flags.get(flag) not in (True, False):
        pytest.skip(f"GET /info does not flag {flag!r}: nothing to hold the server to")
    path, operation = FLAG_PROBES[flag]
    exchange = client.post(path, json={"metadata": tag, "limit": 1})
    if flags[flag] is False:
        served = f"GET /info flags {flag!r} false, but {operation} is served"
        expect_status(exchange, (404, 405), rule="SYSTEM-INFO-FLAGS-OFF", message=served)
        return
    found = contract.validate(exchange, operation, status=200, rule="SYSTEM-INFO-FLAGS")
    something = f"{operation}: a search for a tag nothing carries found something"
    expect_equal(found, [], rule="SYSTEM-INFO-FLAGS", message=something, exchange=exchange)


@pytest.mark.parametrize("fmt", [None, "prometheus"], ids=["default", "prometheus"])
def test_metrics_prometheus_is_the_text_exposition_format(client, contract, fmt):
    """GET /metrics (the default format, prometheus) answers text/plain in the Prometheus text format."""
    exchange = client.get("/metrics", params={"format": fmt} if fmt else None)
    text = contract.validate(exchange, "GET /metrics", status=200, rule="SYSTEM-METRICS")
    media = exchange.content_type.split(";", 1)[0].strip()
    not_text = "GET /metrics: the Prometheus format is not text/plain"
    expect_equal(media, "text/plain", rule="SYSTEM-METRICS", message=not_text, exchange=exchange)
    lines = [line for line in (text or "").splitlines() if line.strip()]
    bad = [line for line in lines if not line.startswith("#") and not PROMETHEUS_SAMPLE.match(line)]
    samples = [line for line in lines if not line.startswith("#")]
    exposed, unexposed = samples and not bad, "GET /metrics: the body is not in the Prometheus text exposition format"
    wanted = "# comments and `name{labels} value` samples, at least one sample"
    shown = bad[:3] or f"{len(samples)} samples"
    expect_true(exposed, rule="SYSTEM-METRICS", message=unexposed, expected=wanted, actual=shown, exchange=exchange)


def test_metrics_json_is_an_object(client, contract):
    """GET /metrics?format=json answers a non-empty JSON object."""
    exchange = client.get("/metrics", params={"format": "json"})
    body = contract.validate(exchange, "GET /metrics", status=200, rule="SYSTEM-METRICS-JSON")
    media = exchange.content_type.split(";", 1)[0].strip()
    not_json = "GET /metrics?format=json: not answered as JSON"
    expect_equal(media, "application/json", rule="SYSTEM-METRICS-JSON", message=not_json, exchange=exchange)
    filled, empty = isinstance(body, dict) and body, "GET /metrics?format=json: not a non-empty object"
    wanted = "an object of metrics"
    expect_true(filled, rule="SYSTEM-METRICS-JSON", message=empty, expected=wanted, actual=body, exchange=exchange)


DOCS_OPERATION = "GET /docs"
HTML_DOCUMENT = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)


def test_docs_is_a_page_that_documents_the_api(client, contract):
    """GET /docs answers an HTML page (the local API reference), and that page documents this API: it holds
    the document's operations (their operationIds) or loads the document from /openapi.json."""
    exchange = client.get("/docs")
    page = contract.validate(exchange, DOCS_OPERATION, status=200, rule="SYSTEM-DOCS")
    page = page if isinstance(page, str) else exchange.text
    html, not_html = bool(HTML_DOCUMENT.search(page[:2000])), "GET /docs: the page is not an HTML document"
    wanted = "<!doctype html> or <html> at the start"
    shown = exchange.body_excerpt(120)
    expect_true(html, rule="SYSTEM-DOCS", message=not_html, expected=wanted, actual=shown, exchange=exchange)
    operation_ids = [op.get("operationId") for op in contract.operations.values() if op.get("operationId")]
    absent = [name for name in operation_ids if name not in page]
    documents = "/openapi.json" in page or not absent
    message = "GET /docs: the page neither holds the API's operations nor loads /openapi.json"
    wanted = f"every operationId of the document ({len(operation_ids)}) or a reference to /openapi.json"
    shown = f"{len(absent)} operationIds absent, e.g. {absent[:3]}"
    rule = "SYSTEM-DOCS-DOCUMENT"
    expect_true(documents, rule=rule, message=message, expected=wanted, actual=shown, exchange=exchange)

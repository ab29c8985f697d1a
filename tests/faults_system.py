"""Faults of the system endpoints (GET /ok, /info, /metrics, /docs), with the tests of
conformance/tests/test_system.py that must catch each."""

from __future__ import annotations

from tests.faultkit import Fault, json_response
from tests.faultproxy import Req, Resp

SY = "test_system.py::"


def _metrics_format_ignored(req: Req) -> None:
    if req.is_("GET", "/metrics"):
        req.query.pop("format", None)


def _prometheus_as_html(req: Req, resp: Resp) -> None:
    if req.is_("GET", "/metrics") and req.query.get("format", "prometheus") == "prometheus":
        resp.content = b"<html><body>metrics: 12 requests</body></html>"


def _crons_flag_but_no_crons(req: Req) -> Resp | None:
    if req.path.startswith("/runs/crons"):
        return Resp(404, {"content-type": "application/json"}, b'{"detail": "Not Found"}')
    return None


SYSTEM_FAULTS: tuple[Fault, ...] = (
    Fault(
        "ok-false",
        'GET /ok answers {"ok": false}',
        (SY + "test_ok_answers_ok_true[plain]",),
        "CONTRACT-SCHEMA",
        on_response=json_response("GET", "/ok", lambda body: {**body, "ok": False}),
    ),
    Fault(
        "ok-check-db-500",
        "GET /ok?check_db=1 answers 500",
        (SY + "test_ok_answers_ok_true[check_db]",),
        "SYSTEM-OK",
        on_response=lambda req, resp: (
            setattr(resp, "status", 500) if req.is_("GET", "/ok") and req.query.get("check_db") == "1" else None
        ),
    ),
    Fault(
        "info-version-missing",
        "GET /info answers without version",
        (SY + "test_info_carries_the_version_fields_and_flags",),
        "SYSTEM-INFO",
        on_response=json_response("GET", "/info", lambda body: {k: v for k, v in body.items() if k != "version"}),
    ),
    Fault(
        "info-crons-flag-without-crons",
        "GET /info flags crons true but the cron endpoints answer 404",
        (SY + "test_info_flags_agree_with_the_endpoints[crons]",),
        "SYSTEM-INFO-FLAGS",
        on_request=_crons_flag_but_no_crons,
    ),
    Fault(
        "info-crons-flag-false-with-crons",
        "GET /info flags crons false although the cron endpoints are served",
        (SY + "test_info_flags_agree_with_the_endpoints[crons]",),
        "SYSTEM-INFO-FLAGS-OFF",
        on_response=json_response("GET", "/info", lambda body: {**body, "flags": {**body["flags"], "crons": False}}),
    ),
    Fault(
        "metrics-format-ignored",
        "GET /metrics ignores format=json and answers Prometheus text",
        (SY + "test_metrics_json_is_an_object",),
        "SYSTEM-METRICS-JSON",
        on_request=_metrics_format_ignored,
    ),
    Fault(
        "metrics-not-prometheus",
        "GET /metrics answers an HTML page labelled text/plain",
        (
            SY + "test_metrics_prometheus_is_the_text_exposition_format[default]",
            SY + "test_metrics_prometheus_is_the_text_exposition_format[prometheus]",
        ),
        "SYSTEM-METRICS",
        on_response=_prometheus_as_html,
    ),
)


# GET /docs: written after the A2A and MCP faults, so tests/faults.py lists them after those.
DOCS_FAULTS: tuple[Fault, ...] = (
    Fault(
        "docs-page-documents-nothing",
        "GET /docs answers an HTML page that neither holds the API's operations nor loads /openapi.json",
        (SY + "test_docs_is_a_page_that_documents_the_api",),
        "SYSTEM-DOCS-DOCUMENT",
        on_request=lambda req: (
            Resp(200, {"content-type": "text/html"}, b"<!doctype html><html><body>API docs</body></html>")
            if req.is_("GET", "/docs")
            else None
        ),
    ),
    Fault(
        "docs-not-html",
        "GET /docs answers the OpenAPI document as JSON instead of an HTML page",
        (SY + "test_docs_is_a_page_that_documents_the_api",),
        "CONTRACT-CONTENT-TYPE",
        on_request=lambda req: (
            Resp(200, {"content-type": "application/json"}, b'{"openapi": "3.1.0", "paths": {}}')
            if req.is_("GET", "/docs")
            else None
        ),
    ),
)


FAULTS: tuple[Fault, ...] = SYSTEM_FAULTS + DOCS_FAULTS

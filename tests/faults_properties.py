"""Faults outside the seed flows, which only the property layer (every operation of the spec, through
conformance/tests/test_properties.py) can see."""

from __future__ import annotations

from tests.faultkit import Fault, each, json_response

P = "test_properties.py::test_operation"


FAULTS: tuple[Fault, ...] = (
    Fault(
        "assistant-graph-id-missing",
        "GET /assistants/{id} answers without graph_id",
        (P + "[GET /assistants/{assistant_id}]",),
        "CONTRACT-SCHEMA",
        on_response=json_response("GET", "/assistants/*", each(lambda a: a.pop("graph_id", None))),
    ),
    Fault(
        "cron-search-500",
        "POST /runs/crons/search crashes with 500 (its canonical request too: not available)",
        (P + "[POST /runs/crons/search]",),
        "OPERATION-AVAILABLE",
        on_response=lambda req, resp: setattr(resp, "status", 500) if req.is_("POST", "/runs/crons/search") else None,
    ),
    Fault(
        "store-item-text-plain",
        "GET /store/items answers its JSON as text/plain",
        (P + "[GET /store/items]",),
        "CONTRACT-CONTENT-TYPE",
        on_response=lambda req, resp: (
            resp.headers.__setitem__("content-type", "text/plain")
            if req.is_("GET", "/store/items") and resp.status == 200
            else None
        ),
    ),
)

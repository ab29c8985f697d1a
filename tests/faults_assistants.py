"""Faults of the assistants area (defaults per graph, create, patch, versions, latest, delete, search,
count, graph, schemas, subgraphs, the configuration a run sees), with the tests of
conformance/tests/test_assistants.py that must catch each."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from tests.faultkit import (
    Fault,
    all_of,
    answer_with,
    change_body,
    do_nothing_raises,
    json_response,
    pop_keys,
    pop_query,
    reroute,
    reversed_value,
    segment,
    set_key,
    swap_status,
)
from tests.faultproxy import Req, Resp

AS = "test_assistants.py::"


def _graph_id_ignored(body: dict) -> None:
    if body.get("limit") != 10:  # the suite's preflight (limit 10) still finds the fixture graphs
        body.pop("graph_id", None)


def _assistant_version_minus_one(assistant):
    if isinstance(assistant, dict) and isinstance(assistant.get("version"), int):
        assistant["version"] -= 1
    return assistant


def _swap_order(body: dict) -> None:
    if body.get("sort_order") in ("asc", "desc"):
        body["sort_order"] = {"asc": "desc", "desc": "asc"}[body["sort_order"]]


def _assistant_count_plus_one(req: Req, resp: Resp) -> None:
    if req.is_("POST", "/assistants/count") and resp.status == 200 and isinstance(resp.json, int):
        resp.json = resp.json + 1


def _configs_unique() -> tuple[Callable[[Req], Resp | None], Callable[[Req, Resp], None]]:
    """Assistants unique by config, as a database index on (graph, config) would make them: a second create
    with a config an assistant already has answers 409, a PATCH onto such a config answers 500."""
    held: set[str] = set()

    def key(body: dict) -> str:
        return json.dumps(body.get("config") or {}, sort_keys=True)

    def on_request(req: Req) -> Resp | None:
        if not isinstance(req.body, dict) or "config" not in req.body or key(req.body) not in held:
            return None
        if req.is_("POST", "/assistants"):
            return Resp(409, {"content-type": "application/json"}, b'{"detail": "Assistant already exists"}')
        if req.is_("PATCH", "/assistants/*"):
            return Resp(500, {"content-type": "application/json"}, b'{"detail": "unique violation"}')
        return None

    def on_response(req: Req, resp: Resp) -> None:
        if req.is_("POST", "/assistants") and resp.status == 200 and isinstance(req.body, dict):
            held.add(key(req.body))

    return on_request, on_response


CONFIGS_UNIQUE = _configs_unique()


def _patch_resets_the_rest(body: dict) -> None:
    """A PATCH of metadata alone also resets graph_id and config to their defaults (Aegra 0.6.0)."""
    if set(body) == {"metadata"}:
        body.update(graph_id="agent", config={})


def _defaults_listed_as_copies(req: Req, resp: Resp) -> None:
    """The search lists each graph's server-made assistant under another id than the one runs by graph name use
    (a stale copy: the server made its defaults again and lists the new ones)."""
    if req.is_("POST", "/assistants/search") and resp.status == 200 and isinstance(resp.json, list):
        listed = []
        for assistant in resp.json:
            if isinstance(assistant, dict) and (assistant.get("metadata") or {}).get("created_by") == "system":
                copy = str(uuid.uuid5(uuid.NAMESPACE_URL, f"copy:{assistant.get('assistant_id')}"))
                assistant = {**assistant, "assistant_id": copy}
            listed.append(assistant)
        resp.json = listed


def _assistants_404_as_500(req: Req, resp: Resp) -> None:
    if req.path.startswith("/assistants") and resp.status == 404:
        resp.status = 500
        resp.json = {"detail": "boom"}


def _assistants_422_as_400(req: Req, resp: Resp) -> None:
    if req.path.startswith("/assistants") and resp.status == 422:
        resp.status = 400


FAULTS: tuple[Fault, ...] = (
    Fault(
        "assistant-search-graph-id-ignored",
        "POST /assistants/search ignores graph_id",
        (
            AS + "test_each_graph_has_a_default_assistant[steps]",
            AS + "test_search_filter_applies_and_count_agrees[graph_id]",
        ),
        "ASSISTANTS-DEFAULTS",
        on_request=change_body("POST", "/assistants/search", _graph_id_ignored),
    ),
    Fault(
        "assistant-defaults-listed-as-copies",
        "POST /assistants/search lists each graph's default under an id no run uses (runs by graph name use another)",
        (AS + "test_each_graph_has_a_default_assistant[agent]", AS + "test_each_graph_has_a_default_assistant[steps]"),
        "ASSISTANTS-DEFAULTS",
        on_response=_defaults_listed_as_copies,
    ),
    Fault(
        "assistant-fields-dropped",
        "POST /assistants drops name and description",
        (AS + "test_create_keeps_every_field_and_get_shows_them",),
        "ASSISTANTS-CREATE",
        on_request=pop_keys("POST", "/assistants", "name", "description"),
    ),
    Fault(
        "assistant-configs-unique",
        "two assistants of one graph cannot share a config (409 on create, 500 on PATCH)",
        (
            AS + "test_assistants_of_one_graph_may_share_a_config",
            AS + "test_patch_to_a_config_another_assistant_has_succeeds",
        ),
        "ASSISTANTS-SAME-CONFIG",
        on_request=CONFIGS_UNIQUE[0],
        on_response=CONFIGS_UNIQUE[1],
    ),
    Fault(
        "assistant-patch-resets-the-rest",
        "a PATCH of metadata alone resets the assistant's graph_id and config",
        (AS + "test_patch_of_metadata_alone_keeps_the_rest",),
        "ASSISTANTS-PATCH",
        on_request=change_body("PATCH", "/assistants/*", _patch_resets_the_rest),
    ),
    Fault(
        "assistant-context-dropped",
        "POST /assistants drops context",
        (AS + "test_create_with_context_keeps_it",),
        "ASSISTANTS-CREATE",
        on_request=pop_keys("POST", "/assistants", "context"),
    ),
    Fault(
        "assistant-duplicate-accepted",
        "a second create with an existing assistant_id answers 200 instead of 409",
        (AS + "test_create_an_existing_id_is_409[absent]", AS + "test_create_an_existing_id_is_409[raise]"),
        "ASSISTANTS-CREATE-CONFLICT",
        on_response=swap_status("POST", "/assistants", 409, 200, {}),
    ),
    Fault(
        "assistant-do-nothing-raises",
        "if_exists=do_nothing is treated as raise (409)",
        (AS + "test_create_an_existing_id_with_do_nothing_returns_it_unchanged",),
        "ASSISTANTS-CREATE-CONFLICT",
        on_request=change_body("POST", "/assistants", do_nothing_raises),
    ),
    Fault(
        "assistant-patch-same-version",
        "PATCH /assistants/{id} answers the version it replaced",
        (AS + "test_patch_makes_the_next_version_with_the_new_config",),
        "ASSISTANTS-PATCH",
        on_response=json_response("PATCH", "/assistants/*", _assistant_version_minus_one),
    ),
    Fault(
        "assistant-versions-oldest-first",
        "POST /assistants/{id}/versions lists the oldest version first",
        (AS + "test_versions_list_newest_first[all]", AS + "test_versions_list_newest_first[offset-1]"),
        "ASSISTANTS-VERSIONS-ORDER",
        on_response=json_response("POST", "/assistants/*/versions", reversed_value),
    ),
    Fault(
        "assistant-latest-ignored",
        "POST /assistants/{id}/latest answers the assistant as it is, switching nothing",
        (AS + "test_latest_switches_back_to_version_1", AS + "test_latest_with_an_unknown_version_is_404"),
        "ASSISTANTS-LATEST",
        on_request=reroute("POST", "/assistants/*/latest", "GET", lambda r: f"/assistants/{segment(r, 1)}"),
    ),
    Fault(
        "assistant-delete-keeps-it",
        "DELETE /assistants/{id} answers 204 and keeps the assistant",
        (AS + "test_delete_then_404_and_its_threads[keep-threads]",),
        "ASSISTANTS-DELETE",
        on_request=answer_with("DELETE", "/assistants/*", 204, b""),
    ),
    Fault(
        "assistant-delete-threads-ignored",
        "DELETE /assistants/{id}?delete_threads=true keeps the assistant's threads",
        (AS + "test_delete_then_404_and_its_threads[delete-threads]",),
        "ASSISTANTS-DELETE",
        on_request=pop_query("DELETE", "/assistants/*", "delete_threads"),
    ),
    Fault(
        "assistant-search-name-ignored",
        "POST /assistants/search and count ignore name",
        (AS + "test_search_filter_applies_and_count_agrees[name]",),
        "ASSISTANTS-SEARCH",
        on_request=all_of(
            pop_keys("POST", "/assistants/search", "name"), pop_keys("POST", "/assistants/count", "name")
        ),
    ),
    Fault(
        "assistant-count-off-by-one",
        "POST /assistants/count answers one more than search finds",
        (AS + "test_search_filter_applies_and_count_agrees[metadata]",),
        "ASSISTANTS-COUNT",
        on_response=_assistant_count_plus_one,
    ),
    Fault(
        "assistant-sort-order-inverted",
        "assistant search swaps asc and desc",
        (AS + "test_sort_orders_by_the_field[name-asc]", AS + "test_sort_orders_by_the_field[updated_at-desc]"),
        "ASSISTANTS-SEARCH",
        on_request=change_body("POST", "/assistants/search", _swap_order),
    ),
    Fault(
        "assistant-offset-ignored",
        "assistant search ignores offset",
        (AS + "test_limit_and_offset_page_through[2-1]",),
        "ASSISTANTS-SEARCH",
        on_request=pop_keys("POST", "/assistants/search", "offset"),
    ),
    Fault(
        "assistant-select-ignored",
        "assistant search ignores select",
        (AS + "test_select_returns_exactly_the_selected_fields[assistant_id]",),
        "ASSISTANTS-SEARCH",
        on_request=pop_keys("POST", "/assistants/search", "select"),
    ),
    Fault(
        "assistant-graph-edges-missing",
        "GET /assistants/{id}/graph answers no edges",
        (AS + "test_graph_lists_nodes_and_edges",),
        "ASSISTANTS-GRAPH",
        on_response=json_response("GET", "/assistants/*/graph", set_key("edges", [])),
    ),
    Fault(
        "assistant-graph-xray-ignored",
        "GET /assistants/{id}/graph ignores xray",
        (AS + "test_graph_xray_shows_the_subgraph[xray]",),
        "ASSISTANTS-GRAPH",
        on_request=pop_query("GET", "/assistants/*/graph", "xray"),
    ),
    Fault(
        "assistant-state-schema-empty",
        "GET /assistants/{id}/schemas answers an empty state schema",
        (AS + "test_schemas_describe_the_state[agent]",),
        "ASSISTANTS-SCHEMAS",
        on_response=json_response("GET", "/assistants/*/schemas", set_key("state_schema", {})),
    ),
    Fault(
        "assistant-subgraphs-empty",
        "GET /assistants/{id}/subgraphs answers no subgraphs",
        (AS + "test_subgraphs_are_named_by_namespace[interrupt]",),
        "ASSISTANTS-SUBGRAPHS",
        on_response=json_response("GET", "/assistants/*/subgraphs", lambda value: {}),
    ),
    Fault(
        "assistant-subgraph-namespace-ignored",
        "GET /assistants/{id}/subgraphs/{namespace} answers every subgraph",
        (AS + "test_subgraphs_are_named_by_namespace[unknown-namespace]",),
        "ASSISTANTS-SUBGRAPHS",
        on_request=reroute(
            "GET", "/assistants/*/subgraphs/*", "GET", lambda r: f"/assistants/{segment(r, 1)}/subgraphs"
        ),
    ),
    Fault(
        "run-config-ignored",
        "a run's own config and context are ignored (the assistant's always win)",
        (
            AS + "test_assistant_configuration_reaches_the_run[configurable-overridden]",
            AS + "test_assistant_configuration_reaches_the_run[context-overridden]",
        ),
        "ASSISTANTS-CONFIG-USED",
        on_request=pop_keys("POST", "/threads/*/runs", "config", "context"),
    ),
    Fault(
        "assistant-config-dropped",
        "POST /assistants drops config (its runs never see the assistant's configurable)",
        (AS + "test_assistant_configuration_reaches_the_run[configurable]",),
        "ASSISTANTS-CONFIG-USED",
        on_request=pop_keys("POST", "/assistants", "config"),
    ),
    Fault(
        "assistant-unknown-500",
        "operations on an unknown assistant (or graph) answer 500 instead of 404",
        (
            AS + "test_unknown_assistant_is_404[get]",
            AS + "test_unknown_assistant_is_404[latest]",
            AS + "test_create_on_an_unknown_graph_is_404",
        ),
        "ASSISTANTS-NOT-FOUND",
        on_response=_assistants_404_as_500,
    ),
    Fault(
        "assistant-validation-400",
        "invalid assistant requests answer 400 instead of 422",
        (AS + "test_invalid_request_is_422[get-malformed-id]", AS + "test_invalid_request_is_422[search-limit-0]"),
        "ASSISTANTS-VALIDATION",
        on_response=_assistants_422_as_400,
    ),
)

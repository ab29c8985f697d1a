"""Assistants: the defaults per graph, create / get / patch / delete, versions and /latest, search and
count on the session's own assistants, graph / schemas / subgraphs, and an assistant's configuration
reaching its runs (through the ``configured`` graph, which records what it was given in state["seen"])."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.contract.checks import expect_contains, expect_equal, expect_ids, expect_in, expect_status, expect_true
from conformance.contract.client import Exchange
from conformance.graphs import GRAPHS, INTERRUPT_INNER_NODE, INTERRUPT_OUTER_NODE
from conformance.properties.world import own_config
from conformance.tests.flows import Api, human

pytestmark = pytest.mark.area("assistants")

CREATE = "POST /assistants"
GET = "GET /assistants/{assistant_id}"
PATCH = "PATCH /assistants/{assistant_id}"
DELETE = "DELETE /assistants/{assistant_id}"
SEARCH = "POST /assistants/search"
COUNT = "POST /assistants/count"
VERSIONS = "POST /assistants/{assistant_id}/versions"
LATEST = "POST /assistants/{assistant_id}/latest"


class Made:
    """Assistants a test or module creates: each tagged, each deleted at teardown."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.ids: list[str] = []

    def create(
        self, body: dict[str, Any], rule: str = "ASSISTANTS-CREATE", unique_config: bool = True
    ) -> tuple[dict, Exchange]:
        """Create a tagged assistant; ``unique_config`` gives it a config no other assistant has (own_config)."""
        body = {**body, "metadata": {**self.api.tag, **body.get("metadata", {})}}
        if unique_config:
            body["config"] = own_config(body.get("config"))
        exchange = self.api.client.post("/assistants", json=body)
        assistant = self.api.contract.validate(exchange, CREATE, status=200, rule=rule)
        if isinstance(assistant, dict) and assistant.get("assistant_id"):
            self.ids.append(assistant["assistant_id"])
        return assistant, exchange

    def cleanup(self) -> None:
        for assistant_id in self.ids:
            with contextlib.suppress(Exception):
                self.api.client.http.delete(f"/assistants/{assistant_id}")


@pytest.fixture
def made(api):
    maker = Made(api)
    yield maker
    maker.cleanup()


def _get(api: Api, assistant_id: str, rule: str) -> tuple[dict, Exchange]:
    exchange = api.client.get(f"/assistants/{assistant_id}")
    return api.contract.validate(exchange, GET, status=200, rule=rule), exchange


# ------------------------------------------------------------------------------------------ defaults
@pytest.mark.parametrize("graph", GRAPHS)
def test_each_graph_has_a_default_assistant(api, graph):
    """POST /assistants/search {graph_id} finds an assistant of that graph made by the server: the one a run
    started with the graph's name uses (the document: "the assistant automatically created from that graph by
    the server")."""
    exchange = api.client.post("/assistants/search", json={"graph_id": graph, "limit": 1000})
    found = api.contract.validate(exchange, SEARCH, status=200, rule="ASSISTANTS-DEFAULTS")
    graphs, message = sorted({str(a.get("graph_id")) for a in found}), f"no assistant of graph {graph!r}, or others too"
    expect_equal(graphs, [graph], rule="ASSISTANTS-DEFAULTS", message=message, exchange=exchange)
    thread_id = api.create_thread({"default-of": graph})["thread_id"]
    run, started = api.start_run(thread_id, graph, human("default", seconds=0), schema=False)
    listed = [a.get("assistant_id") for a in found]
    message = f"the assistant a run by the graph name {graph!r} uses (the server's own) is not found by graph_id"
    expect_in(run.get("assistant_id"), listed, rule="ASSISTANTS-DEFAULTS", message=message, exchange=started)


# ---------------------------------------------------------------------------------- create and get
FULL = {
    "graph_id": "configured",
    "config": {"configurable": {"model": "first"}},
    "name": "conformance-full",
    "description": "made by the conformance suite",
}


def test_create_keeps_every_field_and_get_shows_them(api, made):
    """POST /assistants with graph_id, config, metadata, name, description: version 1 with all of them."""
    assistant_id = str(uuid.uuid4())
    created, exchange = made.create({**FULL, "assistant_id": assistant_id, "metadata": {"kind": "full"}})
    for key in ("graph_id", "name", "description"):
        expect_equal(created.get(key), FULL[key], rule="ASSISTANTS-CREATE", exchange=exchange)
    expect_equal(created.get("assistant_id"), assistant_id, rule="ASSISTANTS-CREATE", exchange=exchange)
    configurable = created.get("config", {}).get("configurable")
    expect_contains(configurable, FULL["config"]["configurable"], rule="ASSISTANTS-CREATE", exchange=exchange)
    sent = {**api.tag, "kind": "full"}
    expect_contains(created.get("metadata"), sent, rule="ASSISTANTS-CREATE", exchange=exchange)
    expect_equal(created.get("metadata"), sent, rule="ASSISTANTS-METADATA-EXACT", exchange=exchange)
    expect_equal(created.get("version"), 1, rule="ASSISTANTS-CREATE", exchange=exchange)
    stored, got = _get(api, assistant_id, "ASSISTANTS-CREATE")
    for key in ("assistant_id", "graph_id", "config", "metadata", "name", "description", "version"):
        expect_equal(stored.get(key), created.get(key), rule="ASSISTANTS-CREATE", exchange=got)


def test_create_with_context_keeps_it(api, made):
    """POST /assistants with context stores it (GET shows it)."""
    context = {"model": "ctx", "depth": 2}
    created, exchange = made.create({"graph_id": "configured", "context": context})
    expect_contains(created.get("context"), context, rule="ASSISTANTS-CREATE", exchange=exchange)
    stored, got = _get(api, created["assistant_id"], "ASSISTANTS-CREATE")
    expect_contains(stored.get("context"), context, rule="ASSISTANTS-CREATE", exchange=got)


def _shared_config() -> dict:
    """A config no other client has: only this test's own assistants can share it."""
    return {"configurable": {"model": f"conformance-shared-{uuid.uuid4().hex[:12]}"}}


def test_assistants_of_one_graph_may_share_a_config(api, made):
    """Two assistants of one graph with the same config, told apart by name and metadata, both exist:
    a create without an existing assistant_id makes a new assistant whatever the others hold."""
    config = _shared_config()
    twin = {"graph_id": "agent", "config": config}
    first, _ = made.create({**twin, "name": "conformance-twin-1"}, unique_config=False)
    second, exchange = made.create({**twin, "name": "conformance-twin-2"}, rule="ASSISTANTS-SAME-CONFIG",
                                   unique_config=False)  # fmt: skip
    second_id, message = second.get("assistant_id"), "the second assistant with the same config is the first one"
    new = second_id != first.get("assistant_id")
    expect_true(new, rule="ASSISTANTS-SAME-CONFIG", message=message, actual=second_id, exchange=exchange)
    search = api.client.post("/assistants/search", json={"metadata": api.tag, "limit": 100})
    found = api.contract.validate(search, SEARCH, status=200, rule="ASSISTANTS-SAME-CONFIG")
    both = [first["assistant_id"], second["assistant_id"]]
    expect_ids([a.get("assistant_id") for a in found], exactly=both, rule="ASSISTANTS-SAME-CONFIG", exchange=search)


def test_patch_to_a_config_another_assistant_has_succeeds(api, made):
    """PATCH to the config another assistant of the graph already has makes the next version, as any PATCH."""
    config = _shared_config()
    made.create({"graph_id": "agent", "config": config, "name": "conformance-holder"}, unique_config=False)
    other, _ = made.create({"graph_id": "agent", "name": "conformance-mover"})
    exchange = api.client.patch(f"/assistants/{other['assistant_id']}", json={"config": config})
    patched = api.contract.validate(exchange, PATCH, status=200, rule="ASSISTANTS-SAME-CONFIG")
    shown, wanted = (patched.get("version"), _model(patched)), (2, config["configurable"]["model"])
    expect_equal(shown, wanted, rule="ASSISTANTS-SAME-CONFIG", exchange=exchange)


@pytest.mark.parametrize("if_exists", [None, "raise"], ids=["absent", "raise"])
def test_create_an_existing_id_is_409(api, made, if_exists):
    """A second create with the same assistant_id answers 409 and leaves the assistant unchanged."""
    assistant_id = str(uuid.uuid4())
    made.create({"assistant_id": assistant_id, "graph_id": "agent", "name": "conformance-first"})
    body = {"assistant_id": assistant_id, "graph_id": "steps", "name": "conformance-second", "metadata": api.tag}
    if if_exists:
        body["if_exists"] = if_exists
    exchange = api.client.post("/assistants", json=body)
    api.contract.validate(exchange, CREATE, status=409, rule="ASSISTANTS-CREATE-CONFLICT")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)
    stored, got = _get(api, assistant_id, "ASSISTANTS-CREATE-CONFLICT")
    shown = (stored.get("graph_id"), stored.get("name"))
    expect_equal(shown, ("agent", "conformance-first"), rule="ASSISTANTS-CREATE-CONFLICT", exchange=got)


def test_create_an_existing_id_with_do_nothing_returns_it_unchanged(api, made):
    """if_exists=do_nothing answers 200 with the existing assistant, unchanged."""
    assistant_id = str(uuid.uuid4())
    made.create({"assistant_id": assistant_id, "graph_id": "agent", "name": "conformance-first"})
    body = {"assistant_id": assistant_id, "graph_id": "steps", "name": "conformance-second", "if_exists": "do_nothing"}
    again, exchange = made.create(body, rule="ASSISTANTS-CREATE-CONFLICT")
    shown = (again.get("graph_id"), again.get("name"), again.get("version"))
    expect_equal(shown, ("agent", "conformance-first", 1), rule="ASSISTANTS-CREATE-CONFLICT", exchange=exchange)


# ------------------------------------------------------------------------------ patch and versions
@dataclass
class Versioned:
    assistant_id: str
    versions: list[dict] = field(default_factory=list)  # the answers of create and each patch


@pytest.fixture(scope="module")
def versioned(certification, contract):
    """One assistant patched twice: version 1 (model v1), 2 (model v2, +stage), 3 (model v3, +odd)."""
    api = Api.for_session(certification, contract)
    maker = Made(api)
    first, _ = maker.create({"graph_id": "configured", "config": {"configurable": {"model": "v1"}}})
    made = Versioned(first["assistant_id"], [first])
    for version, extra in ((2, {"stage": "two"}), (3, {"odd": True})):
        body = {"config": own_config({"configurable": {"model": f"v{version}"}}), "metadata": extra}
        exchange = api.client.patch(f"/assistants/{made.assistant_id}", json=body)
        made.versions.append(api.contract.validate(exchange, PATCH, status=200, rule="ASSISTANTS-PATCH"))
    yield made
    maker.cleanup()


def _model(assistant: dict) -> Any:
    return ((assistant.get("config") or {}).get("configurable") or {}).get("model")


def test_patch_makes_the_next_version_with_the_new_config(api, made):
    """PATCH answers version n+1 with the new config and merged metadata; GET shows the same."""
    created, _ = made.create({"graph_id": "configured", "config": {"configurable": {"model": "old"}},
                              "metadata": {"kept": 1, "changed": "old"}})  # fmt: skip
    body = {"config": own_config({"configurable": {"model": "new"}}), "metadata": {"changed": "new", "added": True}}
    exchange = api.client.patch(f"/assistants/{created['assistant_id']}", json=body)
    patched = api.contract.validate(exchange, PATCH, status=200, rule="ASSISTANTS-PATCH")
    merged = {**api.tag, "kept": 1, "changed": "new", "added": True}
    expect_equal(patched.get("version"), 2, rule="ASSISTANTS-PATCH", exchange=exchange)
    expect_equal(_model(patched), "new", rule="ASSISTANTS-PATCH", exchange=exchange)
    expect_contains(patched.get("metadata"), merged, rule="ASSISTANTS-PATCH", exchange=exchange)
    expect_equal(patched.get("metadata"), merged, rule="ASSISTANTS-METADATA-EXACT", exchange=exchange)
    stored, got = _get(api, created["assistant_id"], "ASSISTANTS-PATCH")
    expect_equal((stored.get("version"), _model(stored)), (2, "new"), rule="ASSISTANTS-PATCH", exchange=got)
    expect_contains(stored.get("metadata"), merged, rule="ASSISTANTS-PATCH", exchange=got)
    expect_equal(stored.get("metadata"), merged, rule="ASSISTANTS-METADATA-EXACT", exchange=got)


def test_patch_of_metadata_alone_keeps_the_rest(api, made):
    """A PATCH that sends only metadata keeps the graph, config, name and description as they were."""
    kept = {"graph_id": "steps", "config": {"configurable": {"model": "kept"}}, "name": "conformance-kept",
            "description": "kept"}  # fmt: skip
    created, _ = made.create(kept)
    exchange = api.client.patch(f"/assistants/{created['assistant_id']}", json={"metadata": {"more": 1}})
    patched = api.contract.validate(exchange, PATCH, status=200, rule="ASSISTANTS-PATCH")
    shown = (patched.get("graph_id"), patched.get("name"), patched.get("description"))
    expect_equal(shown, ("steps", "conformance-kept", "kept"), rule="ASSISTANTS-PATCH", exchange=exchange)
    # The document does not say a PATCH without config keeps it; the official server does.
    expect_equal(_model(patched), "kept", rule="ASSISTANTS-PATCH-KEEPS-CONFIG", exchange=exchange)


def _versions(api: Api, assistant_id: str, body: dict) -> tuple[list[dict], Exchange]:
    exchange = api.client.post(f"/assistants/{assistant_id}/versions", json=body)
    return api.contract.validate(exchange, VERSIONS, status=200, rule="ASSISTANTS-VERSIONS"), exchange


VERSION_CASES = {  # case -> (body, which versions of the whole list, in its own order)
    "all": ({}, slice(None)),
    "limit-1": ({"limit": 1}, slice(0, 1)),
    "offset-1": ({"offset": 1}, slice(1, None)),
    "metadata": ({"metadata": {"odd": True}}, None),  # only version 3 has odd: true
}


@pytest.mark.parametrize("case", list(VERSION_CASES))
def test_versions_list_newest_first(api, versioned, case):
    """POST .../versions lists every version with its config; limit, offset and metadata apply, judged
    against the server's own whole list. Newest first is the official server's order (apart)."""
    body, cut = VERSION_CASES[case]
    whole, listed = _versions(api, versioned.assistant_id, {})
    numbers = [v.get("version") for v in whole]
    expect_equal(sorted(numbers, key=str), [1, 2, 3], rule="ASSISTANTS-VERSIONS", exchange=listed, stop=True)
    newest_first = "POST .../versions: the versions are not listed newest first"
    expect_equal(numbers, [3, 2, 1], rule="ASSISTANTS-VERSIONS-ORDER", message=newest_first, exchange=listed)
    found, exchange = _versions(api, versioned.assistant_id, body) if body else (whole, listed)
    wanted = numbers[cut] if cut is not None else [3]
    expect_equal([v.get("version") for v in found], wanted, rule="ASSISTANTS-VERSIONS", exchange=exchange)
    configs = [(v.get("version"), _model(v)) for v in found]
    expect_equal(configs, [(n, f"v{n}") for n in wanted], rule="ASSISTANTS-VERSIONS", exchange=exchange)


def test_latest_switches_back_to_version_1(api, made):
    """POST .../latest {version: 1} makes version 1 current again: GET shows version 1 and its config."""
    created, _ = made.create({"graph_id": "configured", "config": {"configurable": {"model": "v1"}}})
    assistant_id = created["assistant_id"]
    patched = api.client.patch(
        f"/assistants/{assistant_id}", json={"config": own_config({"configurable": {"model": "v2"}})}
    )
    expect_status(patched, 200, rule="ASSISTANTS-PATCH")
    exchange = api.client.post(f"/assistants/{assistant_id}/latest", json={"version": 1})
    latest = api.contract.validate(exchange, LATEST, status=200, rule="ASSISTANTS-LATEST")
    expect_equal((latest.get("version"), _model(latest)), (1, "v1"), rule="ASSISTANTS-LATEST", exchange=exchange)
    stored, got = _get(api, assistant_id, "ASSISTANTS-LATEST")
    expect_equal((stored.get("version"), _model(stored)), (1, "v1"), rule="ASSISTANTS-LATEST", exchange=got)


def test_latest_switches_back_to_version_1_context(api, made):
    """POST .../latest {version: 1} also brings back version 1's context."""
    created, _ = made.create({"graph_id": "configured", "context": {"model": "c1"}})
    assistant_id = created["assistant_id"]
    patched = api.client.patch(f"/assistants/{assistant_id}", json={"context": {"model": "c2"}})
    expect_status(patched, 200, rule="ASSISTANTS-PATCH")
    exchange = api.client.post(f"/assistants/{assistant_id}/latest", json={"version": 1})
    api.contract.validate(exchange, LATEST, status=200, rule="ASSISTANTS-LATEST")
    stored, got = _get(api, assistant_id, "ASSISTANTS-LATEST")
    expect_equal((stored.get("context") or {}).get("model"), "c1", rule="ASSISTANTS-LATEST", exchange=got)


def test_latest_with_an_unknown_version_is_404(api, versioned):
    """POST .../latest with a version the assistant never had answers 404 and changes nothing."""
    exchange = api.client.post(f"/assistants/{versioned.assistant_id}/latest", json={"version": 99})
    api.contract.validate(exchange, LATEST, status=404, rule="ASSISTANTS-LATEST")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)
    stored, got = _get(api, versioned.assistant_id, "ASSISTANTS-LATEST")
    expect_equal(stored.get("version"), 3, rule="ASSISTANTS-LATEST", exchange=got)


# ------------------------------------------------------------------------------------------- delete
@pytest.mark.parametrize("delete_threads", [False, True], ids=["keep-threads", "delete-threads"])
def test_delete_then_404_and_its_threads(api, made, delete_threads):
    """DELETE: the assistant answers 404 afterwards; its threads stay, unless delete_threads=true."""
    created, _ = made.create({"graph_id": "agent"})
    assistant_id = created["assistant_id"]
    thread_id = api.create_thread()["thread_id"]
    run, _ = api.start_run(thread_id, assistant_id, human("hi"), schema=False)
    api.wait_run(thread_id, run["run_id"], schema=False)
    params = {"delete_threads": "true"} if delete_threads else None
    exchange = api.client.delete(f"/assistants/{assistant_id}", params=params)
    api.contract.validate(exchange, DELETE, rule="ASSISTANTS-DELETE")
    expect_status(exchange, (200, 204), rule="ASSISTANTS-DELETE")
    for suffix, operation in (("", GET), ("/graph", "GET /assistants/{assistant_id}/graph")):
        got = api.client.get(f"/assistants/{assistant_id}{suffix}")
        api.contract.validate(got, operation, status=404, rule="ASSISTANTS-DELETE")
    searched = api.client.post("/assistants/search", json={"metadata": api.tag, "limit": 100})
    found = api.contract.validate(searched, SEARCH, status=200, rule="ASSISTANTS-DELETE")
    expect_ids([a.get("assistant_id") for a in found], exactly=[], rule="ASSISTANTS-DELETE", exchange=searched)
    thread = api.client.get(f"/threads/{thread_id}")
    api.contract.validate(thread, "GET /threads/{thread_id}", status=404 if delete_threads else 200,
                          rule="ASSISTANTS-DELETE")  # fmt: skip


# ------------------------------------------------------------------------------- search and count
# The corpus: four assistants whose creation, update, id and name orders all differ.
CORPUS = {  # role -> (id prefix, graph, name)
    "a": ("5", "agent", "conformance-delta"),
    "b": ("c", "configured", "conformance-alpha"),
    "c": ("3", "steps", "conformance-charlie"),
    "d": ("9", "agent", "other-bravo"),
}


@dataclass
class Corpus:
    tag: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)  # role -> assistant id
    rows: dict[str, dict] = field(default_factory=dict)  # role -> the assistant as last answered

    def roles(self, assistant_ids: list[str]) -> list[str]:
        back = {v: k for k, v in self.ids.items()}
        return [back.get(i, f"foreign:{i}") for i in assistant_ids]


@pytest.fixture(scope="module")
def corpus(certification, contract):
    api = Api.for_session(certification, contract)
    maker = Made(api)
    made = Corpus(tag=api.tag)
    for role, (prefix, graph, name) in CORPUS.items():
        assistant_id = prefix + str(uuid.uuid4())[1:]
        made.rows[role], _ = maker.create(
            {"assistant_id": assistant_id, "graph_id": graph, "name": name, "metadata": {"role": role}}
        )
        made.ids[role] = assistant_id
    # The PATCH sends the tag and role again: a server that replaces metadata instead of merging it fails
    # test_patch_makes_the_next_version_with_the_new_config, not every search of the corpus.
    # So do its graph and a config of its own: a server that resets what a PATCH does not send fails
    # test_patch_of_metadata_alone_keeps_the_rest instead (and, reset to a config another assistant has,
    # would refuse this PATCH depending on what else the server holds).
    touched = {
        "graph_id": CORPUS["c"][1],
        "config": own_config(),
        "metadata": {**api.tag, "role": "c", "touched": True},
    }
    exchange = api.client.patch(f"/assistants/{made.ids['c']}", json=touched)
    made.rows["c"] = api.contract.validate(exchange, PATCH, status=200, rule="ASSISTANTS-PATCH")
    yield made
    maker.cleanup()


def _search(api: Api, body: dict, rule: str = "ASSISTANTS-SEARCH") -> tuple[list[dict], Exchange]:
    exchange = api.client.post("/assistants/search", json=body)
    return api.contract.validate(exchange, SEARCH, status=200, rule=rule), exchange


FILTERS = {  # case -> (filter beside the corpus tag, the roles it matches)
    "tag": ({}, {"a", "b", "c", "d"}),
    "graph_id": ({"graph_id": "agent"}, {"a", "d"}),
    "metadata": ({"metadata": {"role": "b"}}, {"b"}),
    "name": ({"name": "CONFORMANCE-"}, {"a", "b", "c"}),
    "name-and-graph": ({"name": "conformance", "graph_id": "agent"}, {"a"}),
}


@pytest.mark.parametrize("case", list(FILTERS))
def test_search_filter_applies_and_count_agrees(api, corpus, case):
    """graph_id, metadata and name (a case-insensitive substring) each filter the search; count agrees."""
    extra, roles = FILTERS[case]
    body = {**extra, "metadata": {**corpus.tag, **extra.get("metadata", {})}}
    found, exchange = _search(api, {**body, "limit": 100})
    found_roles = corpus.roles([a.get("assistant_id") for a in found])
    expect_ids(found_roles, exactly=roles, rule="ASSISTANTS-SEARCH", exchange=exchange)
    counted = api.client.post("/assistants/count", json=body)
    count = api.contract.validate(counted, COUNT, status=200, rule="ASSISTANTS-COUNT")
    expect_equal(count, len(found), rule="ASSISTANTS-COUNT", exchange=counted)


def _instant(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


SORT_KEYS = {
    "assistant_id": lambda a: a["assistant_id"],
    "created_at": lambda a: _instant(a["created_at"]),
    "updated_at": lambda a: _instant(a["updated_at"]),
    "name": lambda a: a["name"],
    "graph_id": lambda a: a["graph_id"],
}


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort_by", list(SORT_KEYS))
def test_sort_orders_by_the_field(api, corpus, sort_by, order):
    """sort_by x sort_order orders the session's assistants by that field, that way."""
    body = {"metadata": corpus.tag, "limit": 100, "sort_by": sort_by, "sort_order": order}
    found, exchange = _search(api, body, rule="ASSISTANTS-SEARCH")
    key = SORT_KEYS[sort_by]
    rows = sorted(corpus.rows.values(), key=key, reverse=order == "desc")
    wanted = [key(a) for a in rows]
    expect_equal([key(a) for a in found], wanted, rule="ASSISTANTS-SEARCH", exchange=exchange)


@pytest.mark.parametrize("limit,offset", [(2, 0), (2, 1), (10, 3)])
def test_limit_and_offset_page_through(api, corpus, limit, offset):
    """limit and offset page through the session's assistants in creation order."""
    body = {"metadata": corpus.tag, "limit": limit, "offset": offset, "sort_by": "created_at", "sort_order": "asc"}
    found, exchange = _search(api, body)
    wanted = list(CORPUS)[offset : offset + limit]
    found_roles = corpus.roles([a.get("assistant_id") for a in found])
    expect_equal(found_roles, wanted, rule="ASSISTANTS-SEARCH", exchange=exchange)


@pytest.mark.parametrize("select", [["assistant_id"], ["assistant_id", "name", "version"]], ids="+".join)
def test_select_returns_exactly_the_selected_fields(api, corpus, select):
    """select returns exactly the selected fields of each assistant."""
    body = {"metadata": corpus.tag, "limit": 100, "select": select}
    exchange = api.client.post("/assistants/search", json=body)
    found = api.contract.validate(exchange, SEARCH, status=200, rule="ASSISTANTS-SEARCH", selected=select)
    keys = sorted({tuple(sorted(a)) for a in found})
    expect_equal(keys, [tuple(sorted(select))], rule="ASSISTANTS-SEARCH", exchange=exchange)
    expect_equal(len(found), len(CORPUS), rule="ASSISTANTS-SEARCH", exchange=exchange)


# ---------------------------------------------------------------------- graph, schemas, subgraphs
def _default(target, graph: str) -> str:
    return target.assistants[graph]


def test_graph_lists_nodes_and_edges(api, target):
    """GET .../graph of the agent graph: its nodes (start, echo, end) and the edges between them."""
    exchange = api.client.get(f"/assistants/{_default(target, 'agent')}/graph")
    graph = api.contract.validate(exchange, "GET /assistants/{assistant_id}/graph", status=200, rule="ASSISTANTS-GRAPH")
    nodes = sorted(n.get("id") for n in graph.get("nodes", []))
    edges = sorted((e.get("source"), e.get("target")) for e in graph.get("edges", []))
    expect_equal(nodes, ["__end__", "__start__", "echo"], rule="ASSISTANTS-GRAPH", exchange=exchange)
    expect_equal(edges, [("__start__", "echo"), ("echo", "__end__")], rule="ASSISTANTS-GRAPH", exchange=exchange)


@pytest.mark.parametrize("xray", [False, True], ids=["plain", "xray"])
def test_graph_xray_shows_the_subgraph(api, target, xray):
    """The interrupt graph shows its subgraph node; with xray, the subgraph's own node instead."""
    params = {"xray": "true"} if xray else None
    exchange = api.client.get(f"/assistants/{_default(target, 'interrupt')}/graph", params=params)
    graph = api.contract.validate(exchange, "GET /assistants/{assistant_id}/graph", status=200, rule="ASSISTANTS-GRAPH")
    nodes = {n.get("id") for n in graph.get("nodes", [])}
    inner = f"{INTERRUPT_OUTER_NODE}:{INTERRUPT_INNER_NODE}"
    wanted, unwanted = (inner, INTERRUPT_OUTER_NODE) if xray else (INTERRUPT_OUTER_NODE, inner)
    shown, message = (
        wanted in nodes and unwanted not in nodes,
        f"xray={xray}: the graph should show {wanted!r} and not {unwanted!r}",
    )
    expect_true(shown, rule="ASSISTANTS-GRAPH", message=message, actual=sorted(map(str, nodes)), exchange=exchange)


@pytest.mark.parametrize("graph", ["agent", "interrupt"])
def test_schemas_describe_the_state(api, target, graph):
    """GET .../schemas names the graph and describes its state, which has messages."""
    exchange = api.client.get(f"/assistants/{_default(target, graph)}/schemas")
    schemas = api.contract.validate(
        exchange, "GET /assistants/{assistant_id}/schemas", status=200, rule="ASSISTANTS-SCHEMAS"
    )
    expect_equal(schemas.get("graph_id"), graph, rule="ASSISTANTS-SCHEMAS", exchange=exchange)
    properties = (schemas.get("state_schema") or {}).get("properties") or {}
    expect_contains(list(properties), "messages", rule="ASSISTANTS-SCHEMAS", exchange=exchange)


SUBGRAPH_CASES = {  # case -> (graph, path suffix, params, the namespaces expected)
    "interrupt": ("interrupt", "/subgraphs", None, [INTERRUPT_OUTER_NODE]),
    "interrupt-recurse": ("interrupt", "/subgraphs", {"recurse": "true"}, [INTERRUPT_OUTER_NODE]),
    "namespace": ("interrupt", f"/subgraphs/{INTERRUPT_OUTER_NODE}", None, [INTERRUPT_OUTER_NODE]),
    "unknown-namespace": ("interrupt", "/subgraphs/no-such-namespace", None, []),
    "no-subgraphs": ("agent", "/subgraphs", None, []),
}


@pytest.mark.parametrize("case", list(SUBGRAPH_CASES))
def test_subgraphs_are_named_by_namespace(api, target, case):
    """GET .../subgraphs names the interrupt graph's subgraph; a namespace with none answers none."""
    graph, suffix, params, wanted = SUBGRAPH_CASES[case]
    exchange = api.client.get(f"/assistants/{_default(target, graph)}{suffix}", params=params)
    operation = "GET /assistants/{assistant_id}" + (
        "/subgraphs/{namespace}" if suffix.count("/") == 2 else "/subgraphs"
    )
    subgraphs = api.contract.validate(exchange, operation, status=200, rule="ASSISTANTS-SUBGRAPHS")
    expect_equal(sorted(subgraphs), wanted, rule="ASSISTANTS-SUBGRAPHS", exchange=exchange)
    for schema in subgraphs.values():
        properties = (schema.get("state_schema") or {}).get("properties") or {}
        expect_contains(list(properties), "messages", rule="ASSISTANTS-SUBGRAPHS", exchange=exchange)


# --------------------------------------------------------------------- configuration reaches runs
CONFIG_RUNS = {  # case -> (assistant body, run extra, what the run must see: "part.key" -> value)
    "configurable": (
        {"config": {"configurable": {"model": "assistant", "tone": "dry"}}},
        {},
        {"configurable.model": "assistant", "configurable.tone": "dry"},
    ),
    "configurable-overridden": (
        {"config": {"configurable": {"model": "assistant", "tone": "dry"}}},
        {"config": {"configurable": {"model": "run"}}},
        {"configurable.model": "run", "configurable.tone": "dry"},
    ),
    "context": ({"context": {"model": "assistant", "depth": 1}}, {}, {"context.model": "assistant"}),
    "context-overridden": (
        {"context": {"model": "assistant", "depth": 1}},
        {"context": {"model": "run"}},
        {"context.model": "run", "context.depth": 1},
    ),
}


@dataclass
class ConfiguredRuns:
    seen: dict[str, Any] = field(default_factory=dict)  # case -> state["seen"]
    exchanges: dict[str, Exchange] = field(default_factory=dict)


@pytest.fixture(scope="module")
def configured_runs(certification, contract):
    """One assistant per case on the configured graph, one run through each (all started together)."""
    api = Api.for_session(certification, contract)
    maker = Made(api)
    made = ConfiguredRuns()
    started = {}
    for case, (assistant_body, run_extra, _) in CONFIG_RUNS.items():
        assistant, _ = maker.create({"graph_id": "configured", **assistant_body})
        thread_id = api.create_thread({"case": case})["thread_id"]
        run, _ = api.start_run(thread_id, assistant["assistant_id"], human("configured"), schema=False, **run_extra)
        started[case] = (thread_id, run["run_id"])
    for case, (thread_id, run_id) in started.items():
        api.wait_run(thread_id, run_id, schema=False)
        exchange = api.client.get(f"/threads/{thread_id}/state")
        state = contract.validate(exchange, "GET /threads/{thread_id}/state", status=200, rule="STATE-GET")
        made.seen[case] = (state.get("values") or {}).get("seen")
        made.exchanges[case] = exchange
    yield made
    maker.cleanup()


@pytest.mark.parametrize("case", list(CONFIG_RUNS))
def test_assistant_configuration_reaches_the_run(configured_runs, case):
    """A run through an assistant sees its configurable / context; the run's own value for a key wins."""
    wanted = CONFIG_RUNS[case][2]
    seen = configured_runs.seen[case] if isinstance(configured_runs.seen[case], dict) else {}
    got = {}
    for where in wanted:
        part, key = where.split(".")
        got[where] = (seen.get(part) or {}).get(key)
    expect_equal(got, wanted, rule="ASSISTANTS-CONFIG-USED", exchange=configured_runs.exchanges[case])


# ------------------------------------------------------------------------------------------- errors
UNKNOWN = {  # case -> (method, suffix, body, operation)
    "get": ("GET", "", None, GET),
    "patch": ("PATCH", "", {"name": "x"}, PATCH),
    "delete": ("DELETE", "", None, DELETE),
    "graph": ("GET", "/graph", None, "GET /assistants/{assistant_id}/graph"),
    "schemas": ("GET", "/schemas", None, "GET /assistants/{assistant_id}/schemas"),
    "subgraphs": ("GET", "/subgraphs", None, "GET /assistants/{assistant_id}/subgraphs"),
    "latest": ("POST", "/latest", {"version": 1}, LATEST),
}


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_assistant_is_404(api, case):
    """An operation on an assistant that does not exist answers 404 with an ErrorResponse."""
    method, suffix, body, operation = UNKNOWN[case]
    exchange = api.client.request(method, f"/assistants/{uuid.uuid4()}{suffix}", json_body=body)
    api.contract.validate(exchange, operation, status=404, rule="ASSISTANTS-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


def test_create_on_an_unknown_graph_is_404(api):
    """POST /assistants with a graph_id the server does not deploy answers 404 with an ErrorResponse."""
    exchange = api.client.post("/assistants", json={"graph_id": "no-such-graph", "metadata": api.tag})
    api.contract.validate(exchange, CREATE, status=404, rule="ASSISTANTS-NOT-FOUND")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)


INVALID = {  # case -> (method, path, body, operation)
    "get-malformed-id": ("GET", "/assistants/not-a-uuid", None, GET),
    "patch-malformed-id": ("PATCH", "/assistants/not-a-uuid", {}, PATCH),
    "delete-malformed-id": ("DELETE", "/assistants/not-a-uuid", None, DELETE),
    "versions-malformed-id": ("POST", "/assistants/not-a-uuid/versions", {}, VERSIONS),
    "create-no-graph": ("POST", "/assistants", {"name": "x"}, CREATE),
    "create-if-exists": ("POST", "/assistants", {"graph_id": "agent", "if_exists": "maybe"}, CREATE),
    "search-limit-0": ("POST", "/assistants/search", {"limit": 0}, SEARCH),
    "search-sort-by": ("POST", "/assistants/search", {"sort_by": "colour"}, SEARCH),
    "count-metadata": ("POST", "/assistants/count", {"metadata": 4}, COUNT),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_request_is_422(api, case):
    """A malformed assistant id or a body the schema forbids answers 422 with an ErrorResponse."""
    method, path, body, operation = INVALID[case]
    if path == "/assistants":  # tagged, in case a faulty server creates it after all
        body = {**body, "metadata": api.tag}
    exchange = api.client.request(method, path, json_body=body)
    if "not-a-uuid" in path:  # a malformed id: 422, or the not-found status where the operation documents it
        api.malformed_id_refused(exchange, operation, "ASSISTANTS-VALIDATION")
        return
    api.contract.validate(exchange, operation, status=422, rule="ASSISTANTS-VALIDATION")
    api.contract.validate_body(exchange.json(), "ErrorResponse", exchange=exchange)

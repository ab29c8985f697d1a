"""Custom authentication (area ``auth``): a server deployed for many users keeps them apart.

Two users of one deployment with custom auth: the owner ("A", the first ``--auth-user``) makes a thread
with a finished run, an assistant, a cron and store items (conformance/tests/auth_world.py); the intruder
("B") then tries every way to reach them: read, change, delete, copy, run on, stream, join, cancel,
search, count, list, take the same id, read or overwrite the same store key. What B is answered must be a
refusal holding nothing of A's (A's resources carry a random marker, so a leak shows in any body), and
A's own access must still work: a server that refused everyone would otherwise pass.

Nothing here depends on *how* a server scopes its users (an owner filter, a namespace rewrite, a handler
that raises 403): only on what the two users see. The embedded reference runs the area against a second
reference of its own with the fixture auth (conformance/graphs/auth.py, random tokens per session),
started only when this area runs (all its tests go to one xdist worker); every other area stays
unauthenticated. A ``--target-url`` target needs the users' headers (``--auth-user``, and ``--auth-url``
when the deployment with auth is another server); without them the area is *unsupported*, never passed.

The document is silent on authentication (erratum E-AUTH-1): the rules cite the guides. That the
reference answers 404, never 403, for another user's resource is AUTH-NOT-FOUND (reference-compatible).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.contract.checks import expect_equal, expect_ids, expect_in, expect_status, expect_true
from conformance.contract.failures import HarnessError
from conformance.graphs import deploy
from conformance.plugin.expected import declared_unsupported
from conformance.plugin.session import SESSION_KEY, CertificationSession
from conformance.plugin.settings import auth_users
from conformance.targets import reference
from conformance.targets.processes import wait_until_listening
from conformance.tests.auth_world import (
    FAR_SCHEDULE,
    MARKER_KEY,
    REFUSED,
    Deployment,
    Owned,
    clean,
    connect,
    finish_runs,
    json_of,
    make_cron,
    make_owned,
    new_world,
    operation_of,
    owner_sees,
    refused,
)
from conformance.tests.flows import TERMINAL_RUN_STATUSES, human
from conformance.tests.values import messages

pytestmark = [pytest.mark.area("auth"), pytest.mark.xdist_group("auth")]
# Page size of every search and list here: the document allows up to 1000, some servers refuse more than 100
# (a deviation the other areas charge); the intruder's results on a deployment for two users fit in 100,
# and this area asks about isolation, not paging.
LIMIT = 100


@pytest.fixture(scope="session")
def auth_deployment(certification: CertificationSession) -> Iterator[Deployment]:
    """The deployment with custom auth: for the embedded reference a second reference with the fixture auth,
    started here; else ``--auth-url`` (default: the target) with the two users of ``--auth-user``."""
    settings, running = certification.settings, None
    if certification.target.embedded:
        try:
            running = reference.start(settings.reference_cache, auth_tokens=certification.auth_tokens)
        except HarnessError as exc:
            raise HarnessError(f"the auth area's reference (with the fixture auth) did not start: {exc}") from None
        url = running.url
        users = deploy.auth_headers(certification.auth_tokens)
    elif settings.auth_user:
        url, users = settings.auth_url or certification.target.url, auth_users(settings.auth_user)
        failed = wait_until_listening(url, settings.auth_wait)  # may still be starting
        if failed:
            raise HarnessError(f"the deployment with custom auth is not reachable: {failed}")
    else:
        pytest.skip(
            "auth unsupported here: no users to certify with; give two, --auth-user 'A=Authorization: Bearer <token>' "
            "--auth-user 'B=...' (and --auth-url when the deployment with custom auth is another server)"
        )
    deployment = connect(url, users, settings.request_timeout)
    try:
        yield deployment
    finally:
        deployment.close()
        if running is not None:
            running.stop()


@pytest.fixture(scope="module")
def owned(auth_deployment: Deployment, certification: CertificationSession) -> Iterator[Owned]:
    world = new_world(certification.id)
    try:
        yield make_owned(auth_deployment, world)
    finally:
        clean(auth_deployment, world)  # the cron too, when owned_cron made one


@pytest.fixture(scope="module")
def owned_runs(auth_deployment: Deployment, owned: Owned) -> Owned:
    """``owned`` with both users' runs finished, for the tests about threads' contents, runs and identity: a
    server that cannot run a graph with custom auth stops those tests alone."""
    return finish_runs(auth_deployment, owned)


@pytest.fixture(scope="module")
def owned_cron(auth_deployment: Deployment, owned: Owned, certification: CertificationSession) -> Owned:
    """``owned`` with the owner's cron, for the cron tests only: a server that declares crons off (/info) has
    them unsupported, one whose cron creation fails stops them alone (the rest of the area goes on)."""
    skip_if_crons_declared_off(certification)
    return make_cron(auth_deployment, owned)


def skip_if_crons_declared_off(certification: CertificationSession) -> None:
    """A server whose /info declares crons off has the area's cron questions unsupported, as the crons area."""
    for why, areas, _ in declared_unsupported(certification.target.info).values():
        if "crons" in areas:
            pytest.skip(f"unsupported: {why}")


# -------------------------------------------------------------------------- no credentials, no answer
CREDENTIALLESS = (  # request, body; every family: threads, runs, assistants, crons, store
    ("GET /threads/{t}", None),
    ("POST /threads", {"metadata": {"made_by": "nobody"}}),
    ("POST /threads/search", {"limit": 100}),
    ("POST /threads/count", {}),
    ("GET /threads/{t}/state", None),
    ("POST /threads/{t}/runs", {"assistant_id": "agent", "input": human("nobody")}),
    ("GET /assistants/{a}", None),
    ("POST /assistants/search", {"limit": 100}),
    ("POST /runs/crons/search", {"limit": 100}),
    ("GET /store/items", None),
    ("PUT /store/items", {"namespace": ["conformance", "nobody"], "key": "k", "value": {"x": 1}}),
    ("POST /store/items/search", {"namespace_prefix": ["conformance"], "limit": 100}),
    ("POST /store/namespaces", {"limit": 100}),
)


@pytest.mark.parametrize("credentials", ["no-credentials", "unknown-token", "studio-header"])
def test_requests_without_valid_credentials_are_refused(auth_deployment, owned, credentials):
    """Without credentials, with a token the server never issued, or with only the Studio's
    ``x-auth-scheme: langsmith`` header, every operation is refused (401 or 403) and serves nothing."""
    stranger = auth_deployment.strangers[credentials]
    for request, body in CREDENTIALLESS:
        method, path = owned.fill(request).split(" ", 1)
        params = {"namespace": ".".join(owned.namespace), "key": owned.key} if request == "GET /store/items" else {}
        exchange = stranger.request(method, path, body, **params)
        where = f"{operation_of(request)} as {stranger.name}"
        expect_status(exchange, [401, 403], rule="AUTH-REQUIRED", message=f"{where}: answered {exchange.status}")
        expect_true(owned.marker not in exchange.text, rule="AUTH-REQUIRED", expected="nothing", exchange=exchange,
                    message=f"{where}: the answer holds the owner's data", actual=exchange.body_excerpt(200))


# ----------------------------------------------------------------------- another user's thread and runs
RUN_BODY = {"assistant_id": "configured", "input": human("intruder")}
THREAD_REQUESTS = {  # name -> (request, body, what of the owner's thread it could change)
    "get": ("GET /threads/{t}", None, None),
    "patch": ("PATCH /threads/{t}", {"metadata": {"intruder": True}}, "metadata"),
    "delete": ("DELETE /threads/{t}", None, "metadata"),
    "copy": ("POST /threads/{t}/copy", None, None),
    "state": ("GET /threads/{t}/state", None, None),
    "state-at-checkpoint": ("GET /threads/{t}/state/{c}", None, None),
    "state-update": ("POST /threads/{t}/state", {"values": {"answer": "intruder"}}, "state"),
    "history": ("GET /threads/{t}/history", None, None),
    "history-post": ("POST /threads/{t}/history", {"limit": 10}, None),
    "runs-list": ("GET /threads/{t}/runs", None, None),
    "run-create": ("POST /threads/{t}/runs", RUN_BODY, "runs"),
    "run-wait": ("POST /threads/{t}/runs/wait", RUN_BODY, "runs"),
    "run-stream": ("POST /threads/{t}/runs/stream", RUN_BODY, "runs"),
    "thread-stream": ("GET /threads/{t}/stream", None, None),
    "cron-create": ("POST /threads/{t}/runs/crons", {**RUN_BODY, "assistant_id": "agent", "schedule": FAR_SCHEDULE},
                    "crons"),
    "prune": ("POST /threads/prune", {"thread_ids": ["{t}"]}, "metadata"),
}
# What reads the owner's thread's contents: asked once its run has finished (its state and history hold
# the marker, its checkpoint exists); the rest asks about the thread itself.
AFTER_THE_RUN = ("state", "state-at-checkpoint", "state-update", "history", "history-post", "runs-list",
                 "thread-stream")
RUN_REQUESTS = {  # the owner's run, through the owner's thread ({t}) or the intruder's own ({o})
    "run-get": ("GET /threads/{t}/runs/{r}", None, None),
    "run-get-via-own-thread": ("GET /threads/{o}/runs/{r}", None, None),
    "run-join": ("GET /threads/{t}/runs/{r}/join", None, None),
    "run-join-via-own-thread": ("GET /threads/{o}/runs/{r}/join", None, None),
    "join-stream": ("GET /threads/{t}/runs/{r}/stream", None, None),
    "run-cancel": ("POST /threads/{t}/runs/{r}/cancel", None, "run"),
    "run-cancel-bulk": ("POST /runs/cancel", {"thread_id": "{t}", "run_ids": ["{r}"]}, "run"),
    "run-delete": ("DELETE /threads/{t}/runs/{r}", None, "run"),
    "run-delete-via-own-thread": ("DELETE /threads/{o}/runs/{r}", None, "run"),
}


def _owners_list(deployment: Deployment, owned: Owned, changed: str | None) -> tuple[str, ...]:
    """The owner's runs (``changed`` "runs") or crons ("crons") of its thread, as the owner lists them: taken
    before the intruder's attempt, to compare with after it (a server may have added one of its own since
    the set-up, as a cron created with an immediate first run does)."""
    a = deployment.owner
    if changed == "runs":
        listed = a.request("GET", f"/threads/{owned.thread_id}/runs", limit=100)
        return tuple(sorted(str(r.get("run_id")) for r in json_of(listed) or [] if isinstance(r, dict)))
    if changed == "crons":
        listed = a.request("POST", "/runs/crons/search", {"thread_id": owned.thread_id, "limit": 100})
        return tuple(sorted(str(c.get("cron_id")) for c in json_of(listed) or [] if isinstance(c, dict)))
    return ()


def _still_the_owners(
    deployment: Deployment, owned: Owned, changed: str | None, rule: str, before: tuple[str, ...] = ()
) -> None:
    """After the intruder's attempt, what it could have changed of the owner's thread is as it was
    (its runs and crons: as ``before`` listed them)."""
    a, thread = deployment.owner, f"/threads/{owned.thread_id}"
    if changed == "metadata":
        seen = owner_sees(a, thread)
        metadata = seen.body.get("metadata") or {}
        kept = "intruder" not in metadata and metadata.get(MARKER_KEY) == owned.marker
        expect_true(kept, rule=rule, message="the other user changed the owner's thread", expected=owned.tag,
                    actual=metadata, exchange=seen.exchange)
    if changed == "state":
        seen = owner_sees(a, f"{thread}/state")
        answer = (seen.body.get("values") or {}).get("answer")
        expect_true(answer != "intruder", rule=rule, message="the other user updated the owner's thread state",
                    expected="the owner's state", actual=answer, exchange=seen.exchange)
    if changed == "runs":
        seen = owner_sees(a, f"{thread}/runs", limit=100)
        runs = [r.get("run_id") for r in seen.body if isinstance(r, dict)]
        expect_ids(runs, exactly=list(before), rule=rule, exchange=seen.exchange,
                   message="the other user ran on the owner's thread")
    if changed == "run":
        seen = owner_sees(a, f"{thread}/runs/{owned.run_id}")
        expect_in(seen.body.get("status"), TERMINAL_RUN_STATUSES, rule=rule, exchange=seen.exchange,
                  message="the other user changed the owner's run")
    if changed == "crons":
        listed = a.request("POST", "/runs/crons/search", {"thread_id": owned.thread_id, "limit": 100})
        ids = [c.get("cron_id") for c in json_of(listed) or [] if isinstance(c, dict)]
        expect_ids(ids, exactly=list(before), rule=rule, message="the other user made a cron on the owner's thread",
                   exchange=listed)


@pytest.mark.parametrize("name", list(THREAD_REQUESTS))
def test_other_users_thread_is_out_of_reach(auth_deployment, owned, contract, name, request, certification):
    """Another user's thread cannot be read, changed, deleted, copied, run on, streamed or pruned: the
    answer is a refusal holding nothing of it, and the owner's thread is as it was."""
    if name == "cron-create":
        skip_if_crons_declared_off(certification)
    if name in AFTER_THE_RUN:
        request.getfixturevalue("owned_runs")
    asked, body, changed = THREAD_REQUESTS[name]
    method, path = owned.fill(asked).split(" ", 1)
    before = _owners_list(auth_deployment, owned, changed)
    exchange = auth_deployment.intruder.send(method, path, owned.fill(body))
    allowed = {"copy": (*REFUSED, 409), "prune": (*REFUSED, 200)}.get(name, REFUSED)  # 200: pruned none
    refused(exchange, owned, rule="AUTH-THREAD-HIDDEN", contract=contract, operation=operation_of(asked),
            allowed=allowed, not_found=name not in ("copy", "prune"))
    _still_the_owners(auth_deployment, owned, changed, "AUTH-THREAD-HIDDEN", before)


@pytest.mark.parametrize("name", list(RUN_REQUESTS))
@pytest.mark.usefixtures("owned_runs")
def test_other_users_run_is_out_of_reach(auth_deployment, owned, contract, name):
    """Another user's run cannot be read, joined, streamed, cancelled or deleted, through its own thread or
    through a thread of one's own: a refusal holding nothing of it, and the run is as it was."""
    request, body, changed = RUN_REQUESTS[name]
    method, path = owned.fill(request).split(" ", 1)
    exchange = auth_deployment.intruder.send(method, path, owned.fill(body))
    refused(exchange, owned, rule="AUTH-RUN-HIDDEN", contract=contract, operation=operation_of(request))
    _still_the_owners(auth_deployment, owned, changed, "AUTH-RUN-HIDDEN")


@pytest.mark.parametrize("if_exists", ["raise", "do_nothing"])
def test_another_users_thread_id_cannot_be_taken(auth_deployment, owned, contract, if_exists):
    """Creating a thread with the id of another user's thread is refused (409, or 403/404), never answered
    with that thread, and leaves it the owner's."""
    body = {"thread_id": owned.thread_id, "if_exists": if_exists, "metadata": {"intruder": True}}
    exchange = auth_deployment.intruder.request("POST", "/threads", body)
    refused(exchange, owned, rule="AUTH-ID-TAKEN", contract=contract, operation="POST /threads",
            allowed=(*REFUSED, 409), not_found=False)
    _still_the_owners(auth_deployment, owned, "metadata", "AUTH-ID-TAKEN")


@pytest.mark.usefixtures("owned_runs")
def test_the_owner_still_reaches_everything(auth_deployment, owned):
    """The owner reads its own thread, state, history, runs, run, assistant and store items (the control:
    a server that refused everyone would pass every test above; its cron: the cron tests)."""
    a, thread = auth_deployment.owner, f"/threads/{owned.thread_id}"
    seen = owner_sees(a, thread)
    expect_equal((seen.body.get("metadata") or {}).get(MARKER_KEY), owned.marker, rule="AUTH-OWNER-ACCESS",
                 message="not the owner's thread", exchange=seen.exchange)
    seen = owner_sees(a, f"{thread}/state")
    expect_equal(len(messages(seen.body.get("values"))), owned.messages, rule="AUTH-OWNER-ACCESS",
                 message="the owner's state changed", exchange=seen.exchange)
    for path in (f"{thread}/history", f"{thread}/runs", f"{thread}/runs/{owned.run_id}",
                 f"/assistants/{owned.assistant_id}"):
        owner_sees(a, path)
    for namespace in (owned.namespace, owned.private):
        seen = owner_sees(a, "/store/items", namespace=".".join(namespace), key=owned.key)
        expect_equal(seen.body.get("value"), owned.value, rule="AUTH-OWNER-ACCESS", exchange=seen.exchange,
                     message="the owner's item changed")


# ------------------------------------------------------------------------------ thread search and count
THREAD_SEARCHES = {  # each would find the owner's thread if the owner filter were dropped
    "everything": {"limit": LIMIT, "sort_by": "created_at", "sort_order": "desc"},
    "ids": {"ids": ["{t}", "{o}"], "limit": LIMIT},
    "metadata": {"metadata": {MARKER_KEY: "{m}"}, "limit": LIMIT},
    "session-and-status": {"metadata": {SESSION_KEY: "{s}"}, "status": "idle", "limit": LIMIT},
}


@pytest.mark.parametrize("name", list(THREAD_SEARCHES))
def test_search_finds_only_ones_own_threads(auth_deployment, owned, contract, name):
    """POST /threads/search by another user never returns the owner's thread, whatever filter would match
    it; the searcher's own thread is still found where the filter matches it."""
    exchange = auth_deployment.intruder.request("POST", "/threads/search", owned.fill(THREAD_SEARCHES[name]))
    found = contract.validate(exchange, "POST /threads/search", status=200, rule="AUTH-THREAD-SEARCH")
    ids = [t.get("thread_id") for t in found if isinstance(t, dict)]
    expect_true(owned.thread_id not in ids and owned.marker not in exchange.text, rule="AUTH-THREAD-SEARCH",
                message="POST /threads/search: another user's thread was found", expected="only one's own threads",
                actual=ids, exchange=exchange)
    if name in ("ids", "session-and-status"):
        expect_in(owned.intruder_thread_id, ids, rule="AUTH-OWNER-ACCESS", exchange=exchange,
                  message="POST /threads/search: the searcher's own thread is missing")


def test_count_counts_only_ones_own_threads(auth_deployment, owned, contract):
    """POST /threads/count by another user counts none of the owner's threads (0 for the owner's marker)
    and agrees with its own search; the owner's count of its own is 1."""
    b, marker = auth_deployment.intruder, {"metadata": {MARKER_KEY: owned.marker}}
    exchange = b.request("POST", "/threads/count", marker)
    count = contract.validate(exchange, "POST /threads/count", status=200, rule="AUTH-THREAD-COUNT")
    expect_equal(count, 0, rule="AUTH-THREAD-COUNT", exchange=exchange,
                 message="POST /threads/count: another user's thread was counted")
    session = {"metadata": {SESSION_KEY: owned.session}}
    counted = b.request("POST", "/threads/count", session)
    total = contract.validate(counted, "POST /threads/count", status=200, rule="AUTH-THREAD-COUNT")
    found = json_of(b.request("POST", "/threads/search", {**session, "limit": LIMIT})) or []
    expect_equal(total, len(found), rule="AUTH-THREAD-COUNT", exchange=counted,
                 message="POST /threads/count: not what the same user's search finds")
    mine = auth_deployment.owner.request("POST", "/threads/count", marker)
    expect_equal(json_of(mine), 1, rule="AUTH-OWNER-ACCESS", exchange=mine,
                 message="POST /threads/count: the owner's own thread is not counted")


# -------------------------------------------------------------------------------------------- assistants
ASSISTANT_REQUESTS = {  # name -> (request, body, could it change the owner's assistant)
    "get": ("GET /assistants/{a}", None, False),
    "patch": ("PATCH /assistants/{a}", {"metadata": {"intruder": True}}, True),
    "delete": ("DELETE /assistants/{a}", None, True),
    "graph": ("GET /assistants/{a}/graph", None, False),
    "schemas": ("GET /assistants/{a}/schemas", None, False),
    "subgraphs": ("GET /assistants/{a}/subgraphs", None, False),
    "versions": ("POST /assistants/{a}/versions", {}, False),
    "latest": ("POST /assistants/{a}/latest", {"version": 1}, True),
    "run": ("POST /runs/wait", {"assistant_id": "{a}", "input": human("intruder")}, False),
    "same-id": ("POST /assistants", {"assistant_id": "{a}", "graph_id": "agent", "if_exists": "do_nothing"}, True),
}


@pytest.mark.parametrize("name", list(ASSISTANT_REQUESTS))
def test_other_users_assistant_is_out_of_reach(auth_deployment, owned, contract, name):
    """Another user's assistant cannot be read, changed, deleted, versioned, run or taken by its id."""
    request, body, could_change = ASSISTANT_REQUESTS[name]
    method, path = owned.fill(request).split(" ", 1)
    exchange = auth_deployment.intruder.request(method, path, owned.fill(body))
    allowed = (*REFUSED, 409) if name == "same-id" else REFUSED
    refused(exchange, owned, rule="AUTH-ASSISTANT-HIDDEN", contract=contract, operation=operation_of(request),
            allowed=allowed, not_found=name != "same-id")
    if could_change:
        seen = owner_sees(auth_deployment.owner, f"/assistants/{owned.assistant_id}")
        metadata = seen.body.get("metadata") or {}
        kept = "intruder" not in metadata and metadata.get(MARKER_KEY) == owned.marker
        expect_true(kept, rule="AUTH-ASSISTANT-HIDDEN", message="the other user changed the owner's assistant",
                    expected=owned.tag, actual=metadata, exchange=seen.exchange)


ASSISTANT_SEARCHES = {
    "metadata": {"metadata": {MARKER_KEY: "{m}"}, "limit": LIMIT},
    "graph-and-name": {"graph_id": "configured", "name": "auth-{m}", "limit": LIMIT},
    "everything": {"limit": LIMIT, "sort_by": "created_at", "sort_order": "desc"},
}


@pytest.mark.parametrize("name", list(ASSISTANT_SEARCHES))
def test_assistant_search_and_count_find_only_ones_own(auth_deployment, owned, contract, name):
    """POST /assistants/search and /assistants/count by another user never include the owner's assistant."""
    body, b = owned.fill(ASSISTANT_SEARCHES[name]), auth_deployment.intruder
    exchange = b.request("POST", "/assistants/search", body)
    found = contract.validate(exchange, "POST /assistants/search", status=200, rule="AUTH-ASSISTANT-SEARCH")
    ids = [x.get("assistant_id") for x in found if isinstance(x, dict)]
    expect_true(owned.assistant_id not in ids and owned.marker not in exchange.text, rule="AUTH-ASSISTANT-SEARCH",
                message="POST /assistants/search: another user's assistant was found", actual=ids,
                expected="only one's own assistants", exchange=exchange)
    if name == "metadata":
        counted = b.request("POST", "/assistants/count", {"metadata": body["metadata"]})
        count = contract.validate(counted, "POST /assistants/count", status=200, rule="AUTH-ASSISTANT-SEARCH")
        expect_equal(count, 0, rule="AUTH-ASSISTANT-SEARCH", exchange=counted,
                     message="POST /assistants/count: another user's assistant was counted")


# ------------------------------------------------------------------------------------------------ crons
CRON_REQUESTS = {
    "get": ("GET /runs/crons/{k}", None),
    "patch": ("PATCH /runs/crons/{k}", {"enabled": False}),
    "delete": ("DELETE /runs/crons/{k}", None),
}


@pytest.mark.parametrize("name", list(CRON_REQUESTS))
@pytest.mark.usefixtures("owned_cron")
def test_other_users_cron_is_out_of_reach(auth_deployment, owned, contract, name):
    """Another user's cron cannot be read, changed or deleted; it stays as the owner made it."""
    request, body = CRON_REQUESTS[name]
    method, path = owned.fill(request).split(" ", 1)
    exchange = auth_deployment.intruder.request(method, path, body)
    refused(exchange, owned, rule="AUTH-CRON-HIDDEN", contract=contract, operation=operation_of(request))
    seen = owner_sees(auth_deployment.owner, f"/runs/crons/{owned.cron_id}")
    enabled = seen.body.get("enabled")
    expect_true(enabled is not False, rule="AUTH-CRON-HIDDEN", message="the other user changed the owner's cron",
                expected="enabled", actual=enabled, exchange=seen.exchange)


@pytest.mark.parametrize("name", ["thread", "assistant", "everything"])
@pytest.mark.usefixtures("owned_cron")
def test_cron_search_and_count_find_only_ones_own(auth_deployment, owned, contract, name):
    """POST /runs/crons/search and /runs/crons/count by another user never include the owner's cron."""
    body = {"thread": {"thread_id": owned.thread_id}, "assistant": {"assistant_id": owned.cron_assistant_id}}
    body = {**body.get(name, {}), "limit": LIMIT}
    b = auth_deployment.intruder
    exchange = b.request("POST", "/runs/crons/search", body)
    found = contract.validate(exchange, "POST /runs/crons/search", status=200, rule="AUTH-CRON-SEARCH")
    ids = [c.get("cron_id") for c in found if isinstance(c, dict)]
    expect_true(owned.cron_id not in ids and owned.marker not in exchange.text, rule="AUTH-CRON-SEARCH",
                message="POST /runs/crons/search: another user's cron was found", actual=ids, exchange=exchange,
                expected="only one's own crons")
    if name == "thread":
        counted = b.request("POST", "/runs/crons/count", {"thread_id": owned.thread_id})
        count = contract.validate(counted, "POST /runs/crons/count", status=200, rule="AUTH-CRON-SEARCH")
        expect_equal(count, 0, rule="AUTH-CRON-SEARCH", exchange=counted,
                     message="POST /runs/crons/count: another user's cron was counted")


# ------------------------------------------------------------------------------------------------ store
@pytest.mark.parametrize("namespace", ["as-written", "as-the-owner-sees-it"])
def test_other_users_store_item_cannot_be_read(auth_deployment, owned, namespace):
    """The same namespace and key read by another user (as the owner wrote it, or as the owner's own read
    shows it, a per-user prefix included) never answers the owner's value."""
    labels = owned.namespace if namespace == "as-written" else owned.shown_namespace
    exchange = auth_deployment.intruder.request("GET", "/store/items", namespace=".".join(labels), key=owned.key)
    item = json_of(exchange)
    value = item.get("value") if isinstance(item, dict) else None
    fine = exchange.status in (200, 400, *REFUSED) and value != owned.value and owned.marker not in exchange.text
    expect_true(fine, rule="AUTH-STORE-ISOLATION", message="GET /store/items: another user's item was answered",
                expected="no item, or one's own", actual=exchange.body_excerpt(200), exchange=exchange)


@pytest.mark.parametrize("action", ["overwrite", "delete"])
def test_other_users_store_item_cannot_be_changed(auth_deployment, owned, action):
    """A PUT or DELETE of the same namespace and key by another user leaves the owner's item as it was."""
    b, where = auth_deployment.intruder, {"namespace": owned.namespace, "key": owned.key}
    if action == "overwrite":
        exchange = b.request("PUT", "/store/items", {**where, "value": {"intruder": True}})
    else:
        exchange = b.request("DELETE", "/store/items", where)
    expect_true(exchange.status < 500, rule="AUTH-STORE-ISOLATION", message=f"{exchange.method} /store/items failed",
                expected="an answer", actual=exchange.status, exchange=exchange)
    seen = owner_sees(auth_deployment.owner, "/store/items", namespace=".".join(owned.namespace), key=owned.key)
    expect_equal(seen.body.get("value"), owned.value, rule="AUTH-STORE-ISOLATION", exchange=seen.exchange,
                 message=f"another user's {action} reached the owner's store item")
    b.request("DELETE", "/store/items", where)  # the intruder's own item, if it made one


@pytest.mark.parametrize("prefix", ["session", "as-the-owner-sees-it", "none"])
def test_store_search_and_namespaces_find_only_ones_own(auth_deployment, owned, contract, prefix):
    """Another user's item search and namespace listing (under the owner's prefix as written, as the owner's
    read shows it, or none) hold none of the owner's items or namespaces (one the other user never names)."""
    labels = {"session": owned.namespace[:2], "as-the-owner-sees-it": owned.shown_namespace[:-1]}.get(prefix, [])
    b, private = auth_deployment.intruder, owned.private[-1]
    exchange = b.request("POST", "/store/items/search", {"namespace_prefix": labels, "limit": LIMIT})
    found = contract.validate(exchange, "POST /store/items/search", status=200, rule="AUTH-STORE-ISOLATION")
    values = [i.get("value") for i in found.get("items", []) if isinstance(i, dict)]
    expect_true(owned.value not in values and owned.marker not in exchange.text, rule="AUTH-STORE-ISOLATION",
                message="POST /store/items/search: another user's item was found", expected="only one's own items",
                actual=values, exchange=exchange)
    listed = b.request("POST", "/store/namespaces", {"prefix": labels, "limit": LIMIT} if labels else {"limit": LIMIT})
    spaces = contract.validate(listed, "POST /store/namespaces", status=200, rule="AUTH-STORE-ISOLATION")
    theirs = [ns for ns in spaces.get("namespaces", []) if private in ns]
    expect_true(not theirs, rule="AUTH-STORE-ISOLATION", message="POST /store/namespaces: another user's namespace "
                "was listed", expected=[], actual=theirs, exchange=listed)


# ---------------------------------------------------------------------------------------------- identity
@pytest.mark.usefixtures("owned_runs")
def test_each_run_runs_as_its_caller(auth_deployment, owned):
    """The graph is given the user who started the run (``configurable.langgraph_auth_user``, whose
    identity the ``configured`` fixture graph records): two users, two identities; and a user who claims
    the other's identity in its config still runs as itself (or is refused)."""
    mine, theirs = (owned.ran_as.get(name, {}).get("identity") for name in ("A", "B"))
    expect_true(isinstance(mine, str) and mine != "", rule="AUTH-RUN-IDENTITY", exchange=owned.joined.get("A"),
                message="the run's graph was given no user identity", expected="the caller's identity", actual=mine)
    expect_true(mine != theirs, rule="AUTH-RUN-IDENTITY", exchange=owned.joined.get("B"), expected=f"not {mine!r}",
                message="two users' runs were given the same identity", actual=theirs)
    claim = {"configurable": {"langgraph_auth_user_id": mine, "langgraph_auth_user": {"identity": mine}}}
    body = {"assistant_id": "configured", "input": human("who am i"), "config": claim}
    spoofed = auth_deployment.intruder.request("POST", f"/threads/{owned.intruder_thread_id}/runs/wait", body)
    if spoofed.status == 200:
        seen = ((json_of(spoofed) or {}).get("seen") or {}).get("identity")
        expect_equal(seen, theirs, rule="AUTH-RUN-IDENTITY", exchange=spoofed,
                     message="a user who claimed another's identity in its config ran as that user")
    else:
        expect_status(spoofed, [400, 403, 422], rule="AUTH-RUN-IDENTITY",
                      message="a run claiming another identity was neither run as its caller nor refused")

"""Faults of the auth area: a server that lets one user reach another's data, and the tests that catch each.

These proxies stand in front of the reference started with the fixture auth and two known tokens
(``upstream="auth"``; tests/conftest.py starts it, tests/test_faults.py points ``--auth-url`` at the
proxy and certifies the plain reference as the target). A leak cannot be made by rewriting one answer:
the proxy has to *know* the other user's data. So these faults ask the server a second question as the
other user (``Req.replay`` with the other user's token), the way a server that forgot the owner filter
on one query would answer: a search that also returns the other user's matches, a lookup by id that
finds the resource whoever asks, a store that keeps one namespace for everyone. The proxy learns who made
what from the answers it relays (the creator of each thread, run, assistant and cron).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.faultkit import Fault
from tests.faultproxy import Req, Resp

# The two users of the self-tests' auth reference (tests/conftest.py starts it with these tokens).
TOKENS = {"A": "selftest-auth-token-of-user-a", "B": "selftest-auth-token-of-user-b"}
AUTH_OPTIONS = tuple(f"--auth-user={name}=Authorization: Bearer {token}" for name, token in TOKENS.items())
AU = "test_auth.py::"
WHO = ("authorization", "x-auth-scheme")


def _user(req: Req) -> str | None:
    """Which of the two users asks ("A", "B"), or None for a request without a valid token."""
    header = req.headers.get("authorization", "")
    return next((name for name, token in TOKENS.items() if header == f"Bearer {token}"), None)


def _as(req: Req, user: str | None, headers: dict[str, str] | None = None) -> Req:
    """``req`` sent by ``user`` (or with ``headers``, the credentials of whoever made a resource)."""
    kept = {k: v for k, v in req.headers.items() if k not in WHO}
    who = headers if headers is not None else {"authorization": f"Bearer {TOKENS[user]}"} if user else {}
    return dataclasses.replace(req, headers={**kept, **who})


def _replay(req: Req, changed: Req) -> Resp:
    assert req.replay is not None, "the fault proxy sets Req.replay"
    return req.replay(changed)


def _with(resp: Resp, other: Resp) -> None:
    """``resp`` takes the answer ``other`` (status, headers and body)."""
    resp.status, resp.headers, resp.content, resp.stream = other.status, dict(other.headers), other.content, None
    resp._parsed = False


# --------------------------------------------------------------------------------- no credentials served
def _stranger_served_as_a(req: Req) -> None:
    """A request without a valid token is served as user A (an authenticate handler that lets it through)."""
    if _user(req) is None:
        req.headers = _as(req, "A").headers


# -------------------------------------------------------------------------------- searches without owner
def _merged_with_a(method: str, path: str, count: bool = False):
    """B's search (or count) also gets what the same request finds for A: the owner filter dropped."""

    def hook(req: Req, resp: Resp) -> None:
        if not (req.is_(method, path) and _user(req) == "B" and resp.status == 200):
            return
        other = _replay(req, _as(req, "A"))
        if other.status != 200:
            return
        if count:
            resp.json = (resp.json or 0) + (other.json or 0)
            return
        mine = resp.json if isinstance(resp.json, list) else []
        limit = req.body.get("limit", 10) if isinstance(req.body, dict) else 10
        resp.json = (mine + [x for x in other.json or [] if x not in mine])[:limit]

    return hook


# -------------------------------------------------------------------------------- lookups without owner
def _creators() -> tuple[Any, Any]:
    """Hooks that remember who made each thread, run, assistant and cron (from the answers relayed), and a
    lookup of the creator's credentials and the resource's own thread."""
    made: dict[str, dict[str, Any]] = {}

    def remember(req: Req, resp: Resp) -> None:
        if req.method != "POST" or resp.status != 200 or not isinstance(resp.json, dict) or _user(req) is None:
            return
        who = {"authorization": req.headers["authorization"]}
        for key in ("run_id", "cron_id", "assistant_id", "thread_id"):
            value = resp.json.get(key)
            if isinstance(value, str) and value not in made:
                made[value] = {"headers": who, "thread_id": resp.json.get("thread_id")}
                if key in ("run_id", "cron_id", "assistant_id") and not req.is_("POST", "/threads"):
                    break  # a run's answer names its thread and assistant too: those are not its creation

    return remember, made


def _found_whoever_asks(method: str, pattern: str, index: int, *, statuses=(404,), rethread: bool = False):
    """A lookup of the resource whose id is path segment ``index``, answered ``statuses`` (not found), is
    answered as its creator would see it: the server looks the id up without the owner (and, ``rethread``,
    without the thread the path names)."""
    remember, made = _creators()

    def hook(req: Req, resp: Resp) -> None:
        remember(req, resp)
        if not (req.is_(method, pattern) and resp.status in statuses and _user(req) is not None):
            return
        segments = req.path.strip("/").split("/")
        creation = made.get(segments[index])
        if creation is None or creation["headers"].get("authorization") == req.headers.get("authorization"):
            return
        path = req.path
        if rethread and creation.get("thread_id"):
            path = "/" + "/".join([segments[0], creation["thread_id"], *segments[2:]])
        _with(resp, _replay(req, dataclasses.replace(_as(req, None, creation["headers"]), path=path)))

    return hook


def _assistant_run_whoever_asks():
    """A stateless run naming another user's assistant is run with it, as the JS server 1.5.1 does: the
    run's creation never asks whether the caller may read the assistant (the refusal replaced by the
    answer the assistant's owner gets)."""
    remember, made = _creators()

    def hook(req: Req, resp: Resp) -> None:
        remember(req, resp)
        if not (req.is_("POST", "/runs/wait") and resp.status in (403, 404) and _user(req) is not None):
            return
        assistant = req.body.get("assistant_id") if isinstance(req.body, dict) else None
        creation = made.get(str(assistant))
        if creation is None or creation["headers"].get("authorization") == req.headers.get("authorization"):
            return
        _with(resp, _replay(req, _as(req, None, creation["headers"])))

    return hook


def _hooks(*hooks):
    def hook(req: Req, resp: Resp) -> None:
        for each in hooks:
            each(req, resp)

    return hook


# ---------------------------------------------------------------------------------------------- store
def _store_shared(*methods: str):
    """B's store requests of ``methods`` reach A's namespaces: the namespace is not rewritten per user."""

    def hook(req: Req) -> None:
        if req.path.startswith("/store/") and req.method in methods and _user(req) == "B":
            req.headers = _as(req, "A").headers

    return hook


# ------------------------------------------------------------------------------------------- identity
def _service_account(req: Req, resp: Resp) -> None:
    """Every run's graph is given one fixed identity, whoever started it."""
    if (req.is_("GET", "/threads/*/runs/*/join") or req.is_("POST", "/threads/*/runs/wait")) and resp.status == 200:
        body = resp.json
        if isinstance(body, dict) and isinstance(body.get("seen"), dict) and "identity" in body["seen"]:
            resp.json = {**body, "seen": {**body["seen"], "identity": "service-account"}}


def _owners_history_hidden(req: Req, resp: Resp) -> None:
    """The history of a thread is hidden from its own owner (an owner filter applied the wrong way round)."""
    if req.is_("GET", "/threads/*/history") and resp.status == 200 and _user(req) == "A":
        resp.status, resp.json = 404, {"detail": "Thread not found"}


def _denied_not_hidden(req: Req, resp: Resp) -> None:
    """Another user's thread is answered 403 Forbidden: refused, but its existence is revealed."""
    if req.is_("GET", "/threads/*") and resp.status == 404 and _user(req) is not None:
        resp.status, resp.json = 403, {"detail": "Forbidden"}


def _answered_as_taken():
    """B's create of A's thread id with if_exists do_nothing answers A's thread (as "the existing one")."""
    remember, made = _creators()

    def hook(req: Req, resp: Resp) -> None:
        remember(req, resp)
        body = req.body if isinstance(req.body, dict) else {}
        if not (req.is_("POST", "/threads") and resp.status == 409 and body.get("if_exists") == "do_nothing"):
            return
        creation = made.get(str(body.get("thread_id")))
        if creation is not None:
            existing = dataclasses.replace(req, method="GET", path=f"/threads/{body['thread_id']}", body=None, raw=b"")
            _with(resp, _replay(req, _as(existing, None, creation["headers"])))

    return hook


def _auth(name: str, description: str, catches: tuple[str, ...], rule: str, **hooks: Any) -> Fault:
    return Fault(name, description, catches, rule, options=AUTH_OPTIONS, upstream="auth", **hooks)


FAULTS: tuple[Fault, ...] = (
    _auth(
        "auth-stranger-served",
        "a request without a valid token (none, an unknown one, the Studio's header alone) is served as user A",
        (
            AU + "test_requests_without_valid_credentials_are_refused[no-credentials]",
            AU + "test_requests_without_valid_credentials_are_refused[unknown-token]",
            AU + "test_requests_without_valid_credentials_are_refused[studio-header]",
        ),
        "AUTH-REQUIRED",
        on_request=_stranger_served_as_a,
    ),
    _auth(
        "auth-thread-read-unscoped",
        "a thread, its state and history are read by id whoever asks (the owner filter forgotten on reads)",
        (
            AU + "test_other_users_thread_is_out_of_reach[get]",
            AU + "test_other_users_thread_is_out_of_reach[state]",
            AU + "test_other_users_thread_is_out_of_reach[history]",
        ),
        "AUTH-THREAD-HIDDEN",
        on_response=_hooks(
            _found_whoever_asks("GET", "/threads/*", 1),
            _found_whoever_asks("GET", "/threads/*/state", 1),
            _found_whoever_asks("GET", "/threads/*/history", 1),
        ),
    ),
    _auth(
        "auth-run-lookup-unscoped",
        "a run is looked up by its id alone, whoever asks and whichever thread the path names",
        (
            AU + "test_other_users_run_is_out_of_reach[run-get]",
            AU + "test_other_users_run_is_out_of_reach[run-get-via-own-thread]",
        ),
        "AUTH-RUN-HIDDEN",
        on_response=_found_whoever_asks("GET", "/threads/*/runs/*", 3, rethread=True),
    ),
    _auth(
        "auth-thread-id-taken-leaks",
        "creating a thread with another user's thread id and if_exists do_nothing answers that user's thread",
        (AU + "test_another_users_thread_id_cannot_be_taken[do_nothing]",),
        "AUTH-ID-TAKEN",
        on_response=_answered_as_taken(),
    ),
    _auth(
        "auth-owner-locked-out",
        "the owner's own thread history answers 404 (an owner filter applied the wrong way round)",
        (AU + "test_the_owner_still_reaches_everything",),
        "AUTH-OWNER-ACCESS",
        on_response=_owners_history_hidden,
    ),
    _auth(
        "auth-thread-search-unfiltered",
        "POST /threads/search drops the owner filter: B also finds A's threads that match",
        (AU + "test_search_finds_only_ones_own_threads[ids]", AU + "test_search_finds_only_ones_own_threads[metadata]"),
        "AUTH-THREAD-SEARCH",
        on_response=_merged_with_a("POST", "/threads/search"),
    ),
    _auth(
        "auth-thread-count-everyone",
        "POST /threads/count counts everyone's threads, not only the caller's",
        (AU + "test_count_counts_only_ones_own_threads",),
        "AUTH-THREAD-COUNT",
        on_response=_merged_with_a("POST", "/threads/count", count=True),
    ),
    _auth(
        "auth-assistant-unscoped",
        "an assistant and its schemas are read by id whoever asks",
        (
            AU + "test_other_users_assistant_is_out_of_reach[get]",
            AU + "test_other_users_assistant_is_out_of_reach[schemas]",
        ),
        "AUTH-ASSISTANT-HIDDEN",
        on_response=_hooks(
            _found_whoever_asks("GET", "/assistants/*", 1), _found_whoever_asks("GET", "/assistants/*/schemas", 1)
        ),
    ),
    _auth(
        "auth-assistant-run-unscoped",
        "a run names another user's assistant and runs with it (its config and context reach the caller)",
        (AU + "test_other_users_assistant_is_out_of_reach[run]",),
        "AUTH-ASSISTANT-HIDDEN",
        on_response=_assistant_run_whoever_asks(),
    ),
    _auth(
        "auth-assistant-search-unfiltered",
        "POST /assistants/search drops the owner filter",
        (
            AU + "test_assistant_search_and_count_find_only_ones_own[metadata]",
            AU + "test_assistant_search_and_count_find_only_ones_own[graph-and-name]",
        ),
        "AUTH-ASSISTANT-SEARCH",
        on_response=_merged_with_a("POST", "/assistants/search"),
    ),
    _auth(
        "auth-cron-unscoped",
        "a cron is read by id whoever asks",
        (AU + "test_other_users_cron_is_out_of_reach[get]",),
        "AUTH-CRON-HIDDEN",
        on_response=_found_whoever_asks("GET", "/runs/crons/*", 2),
    ),
    _auth(
        "auth-cron-search-unfiltered",
        "POST /runs/crons/search drops the owner filter",
        (
            AU + "test_cron_search_and_count_find_only_ones_own[thread]",
            AU + "test_cron_search_and_count_find_only_ones_own[everything]",
        ),
        "AUTH-CRON-SEARCH",
        on_response=_merged_with_a("POST", "/runs/crons/search"),
    ),
    _auth(
        "auth-store-reads-not-rewritten",
        "the store namespace of a read, search or listing is not scoped per user: B's reads reach A's items",
        (
            AU + "test_other_users_store_item_cannot_be_read[as-written]",
            AU + "test_store_search_and_namespaces_find_only_ones_own[session]",
            AU + "test_store_search_and_namespaces_find_only_ones_own[none]",
        ),
        "AUTH-STORE-ISOLATION",
        on_request=_store_shared("GET", "POST"),
    ),
    _auth(
        "auth-store-writes-not-rewritten",
        "the store namespace of a PUT or DELETE is not scoped per user: B overwrites and deletes A's items",
        (
            AU + "test_other_users_store_item_cannot_be_changed[overwrite]",
            AU + "test_other_users_store_item_cannot_be_changed[delete]",
        ),
        "AUTH-STORE-ISOLATION",
        on_request=_store_shared("PUT", "DELETE"),
    ),
    _auth(
        "auth-runs-as-service-account",
        "every run's graph is given one fixed identity, whoever started it",
        (AU + "test_each_run_runs_as_its_caller",),
        "AUTH-RUN-IDENTITY",
        on_response=_service_account,
    ),
    _auth(
        "auth-denied-not-hidden",
        "another user's thread is answered 403 Forbidden (refused, but its existence revealed)",
        (AU + "test_other_users_thread_is_out_of_reach[get]",),
        "AUTH-NOT-FOUND",
        on_response=_denied_not_hidden,
    ),
)

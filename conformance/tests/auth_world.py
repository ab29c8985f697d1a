"""The two users of the auth area (conformance/tests/test_auth.py) and what the first one owns.

A *caller* is one identity on the deployment with custom auth, on a connection of its own whose
credentials are secret headers (a reproduction shows them as placeholders, reports scrub their values).
The *owner* ("A", the first ``--auth-user``) makes a thread with a finished run, an assistant, a cron and
two store items, each holding a random marker; the *intruder* ("B") has a thread of its own. Whatever the
intruder is answered must not hold the marker: that is how a leak shows in any body, whatever its shape.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import httpx

from conformance.contract.checks import expect_status, expect_true
from conformance.contract.client import ApiClient, Exchange, make_http
from conformance.contract.document import Contract
from conformance.plugin.session import SESSION_KEY, TEST_KEY
from conformance.tests.flows import human
from conformance.tests.values import messages

MARKER_KEY = "conformance_auth_marker"
REFUSED = (403, 404)  # the guide's denial (a handler returning False raises 403), or not found
FAR_SCHEDULE = "0 0 1 1 *"  # once a year: a cron that exists, never one that fires during a session
STREAM_SECONDS = 3.0
# Placeholders of the request tables: what they stand for, and the path parameter they fill.
PLACEHOLDERS = {
    "t": ("thread_id", "the owner's thread"),
    "o": ("thread_id", "the intruder's own thread"),
    "r": ("run_id", "the owner's run"),
    "c": ("checkpoint_id", "the owner's checkpoint"),
    "a": ("assistant_id", "the owner's assistant"),
    "k": ("cron_id", "the owner's cron"),
}


@dataclass
class Caller:
    """One identity on the auth deployment: its own connection, its credentials secret (never shown)."""

    name: str
    http: httpx.Client
    secret_headers: tuple[str, ...] = ()
    shown: dict[str, str] = field(default_factory=dict)  # headers a reproduction shows (not credentials)

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> Exchange:
        client = ApiClient(self.http, self.secret_headers)
        return client.request(method, path, json_body=body, params=params or None, headers=self.shown or None)

    def stream(self, method: str, path: str, body: Any = None) -> Exchange:
        """A bounded read: the first events, or STREAM_SECONDS, whichever comes first."""
        client = ApiClient(self.http, self.secret_headers)
        streamed = client.stream(
            method, path, seconds=STREAM_SECONDS, max_events=5, json_body=body, headers=self.shown or None
        )
        return streamed.exchange

    def send(self, method: str, path: str, body: Any = None) -> Exchange:
        return self.stream(method, path, body) if path.endswith("/stream") else self.request(method, path, body)


@dataclass
class Deployment:
    url: str
    owner: Caller  # "A": makes everything
    intruder: Caller  # "B": tries to reach it
    strangers: dict[str, Caller]  # without valid credentials: nobody, an unknown token, the Studio's header
    opened: list[httpx.Client] = field(default_factory=list)

    def close(self) -> None:
        for http in self.opened:
            http.close()


def forged(headers: tuple[str, ...]) -> tuple[str, ...]:
    """The owner's header names with values no server issued (a bearer scheme keeps its scheme word)."""
    made = []
    for header in headers:
        name, value = header.split(":", 1)
        scheme, space, _ = value.strip().partition(" ")
        made.append(f"{name}: {scheme + ' ' if space else ''}{secrets.token_urlsafe(24)}")
    return tuple(made)


def connect(url: str, users: dict[str, tuple[str, ...]], timeout: float) -> Deployment:
    """The callers of a deployment: the two users (in the order named) and three strangers."""
    owner_headers, intruder_headers = list(users.values())[:2]
    opened: list[httpx.Client] = []

    def caller(name: str, headers: tuple[str, ...] = (), shown: dict[str, str] | None = None) -> Caller:
        http, secret = make_http(url, api_key=None, headers=headers, timeout=timeout)
        opened.append(http)
        return Caller(name, http, secret, shown or {})

    strangers = {
        "no-credentials": caller("nobody"),
        "unknown-token": caller("an unknown token", forged(owner_headers)),
        "studio-header": caller("the Studio's header alone", shown={"x-auth-scheme": "langsmith"}),
    }
    return Deployment(url, caller("A", owner_headers), caller("B", intruder_headers), strangers, opened)


# ----------------------------------------------------------------------------------------- what A owns
@dataclass
class Owned:
    """What the owner made, each holding ``marker``, and the intruder's own thread."""

    marker: str
    tag: dict[str, str]
    session: str
    thread_id: str = ""
    run_id: str = ""
    checkpoint_id: str = ""
    assistant_id: str = ""
    cron_id: str = ""
    cron_assistant_id: str = ""  # the assistant the cron runs, as its answer names it (a UUID)
    namespace: list[str] = field(default_factory=list)  # as the owner wrote it; the intruder uses it too
    shown_namespace: list[str] = field(default_factory=list)  # as the owner's own read shows it
    private: list[str] = field(default_factory=list)  # a second namespace the intruder never names
    key: str = "item"
    value: dict[str, Any] = field(default_factory=dict)
    messages: int = 0  # messages in the owner's thread state after its run
    intruder_thread_id: str = ""
    ran_as: dict[str, dict] = field(default_factory=dict)  # caller -> what its run's graph saw ("seen")
    joined: dict[str, Exchange] = field(default_factory=dict)  # caller -> the join that answered it
    started: dict[str, Exchange] = field(default_factory=dict)  # caller -> the creation of its run

    def fill(self, value: Any) -> Any:
        """A request table's path or body with its placeholders ({t}, {r}, ... and {m} the marker, {s} the
        session) filled in."""
        if isinstance(value, str):
            names = {"t": self.thread_id, "o": self.intruder_thread_id, "r": self.run_id, "c": self.checkpoint_id,
                     "a": self.assistant_id, "k": self.cron_id, "m": self.marker, "s": self.session}
            return value.format(**names)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


def operation_of(request: str) -> str:
    """A request table's "GET /threads/{t}/runs/{r}" as the document's operation key."""
    return re.sub(r"\{(\w)\}", lambda m: "{" + PLACEHOLDERS[m.group(1)][0] + "}", request)


def json_of(exchange: Exchange) -> Any:
    with contextlib.suppress(Exception):
        return exchange.json()
    return None


def made(exchange: Exchange, key: str, what: str) -> str:
    """The id of something the set-up made; a set-up that could not make it stops here, saying so."""
    body = json_of(exchange)
    ok = isinstance(body, dict) and isinstance(body.get(key), str)
    message = f"{exchange.method} {exchange.path}: the owner could not make {what} (answered {exchange.status})"
    expect_true(ok, rule="AUTH-OWNER-ACCESS", message=message, expected=f"a {key}", actual=body, exchange=exchange,
                stop=True)
    return body[key]


def new_world(session: str) -> Owned:
    marker = f"marker-{secrets.token_hex(8)}"
    return Owned(marker, {SESSION_KEY: session, TEST_KEY: uuid.uuid4().hex, MARKER_KEY: marker}, session)


def make_owned(deployment: Deployment, world: Owned) -> Owned:
    """Fill ``world``: the owner's thread, assistant and store items, the intruder's own thread, and a run
    of the ``configured`` graph started on each thread (each records the identity it runs as; the owner's
    cron is :func:`make_cron`'s). The runs are started here and finished by :func:`finish_runs`, which only
    the tests that need them ask for: the set-up waits for one run pick-up, not two, and a server that
    cannot run with custom auth fails those tests, not the whole area. A step that fails stops the set-up;
    what was made before it is in ``world``, for :func:`clean`."""
    a, b = deployment.owner, deployment.intruder
    marker, session = world.marker, world.session
    world.thread_id = made(a.request("POST", "/threads", {"metadata": world.tag}), "thread_id", "a thread")
    intruders = {"metadata": {SESSION_KEY: session, TEST_KEY: uuid.uuid4().hex}}
    world.intruder_thread_id = made(b.request("POST", "/threads", intruders), "thread_id", "the intruder's thread")
    for caller, thread_id, text in ((a, world.thread_id, marker), (b, world.intruder_thread_id, "who am i")):
        body = {"assistant_id": "configured", "input": human(text), "metadata": {SESSION_KEY: session}}
        world.started[caller.name] = caller.request("POST", f"/threads/{thread_id}/runs", body)
    world.run_id = str((json_of(world.started[a.name]) or {}).get("run_id") or "")
    # The marker in its config too: a server that runs it for another user hands that user's run the
    # owner's configuration, and the `configured` graph's answer then shows it.
    assistant = {"graph_id": "configured", "name": f"auth-{marker}", "metadata": world.tag,
                 "config": {"configurable": {MARKER_KEY: marker}}}
    world.assistant_id = made(a.request("POST", "/assistants", assistant), "assistant_id", "an assistant")
    world.namespace = ["conformance", session, f"auth-{marker}"]
    world.private = ["conformance", session, f"auth-{marker}-private"]
    world.value = {MARKER_KEY: marker}
    for namespace in (world.namespace, world.private):
        put = a.request("PUT", "/store/items", {"namespace": namespace, "key": world.key, "value": world.value})
        expect_status(put, [200, 204], rule="AUTH-OWNER-ACCESS", stop=True)
    item = json_of(a.request("GET", "/store/items", namespace=".".join(world.namespace), key=world.key)) or {}
    world.shown_namespace = list(item.get("namespace") or world.namespace)
    return world


def finish_runs(deployment: Deployment, world: Owned) -> Owned:
    """The two runs :func:`make_owned` started, joined: what each graph saw, and the owner's thread state
    after its run (its checkpoint and messages). A run that was not made or did not finish stops here."""
    threads = {"A": world.thread_id, "B": world.intruder_thread_id}
    for caller in (deployment.owner, deployment.intruder):
        run_id = made(world.started[caller.name], "run_id", "a run")
        joined = caller.request("GET", f"/threads/{threads[caller.name]}/runs/{run_id}/join")
        expect_status(joined, 200, rule="AUTH-OWNER-ACCESS", stop=True)
        values = json_of(joined)
        world.ran_as[caller.name] = ((values or {}).get("seen") or {}) if isinstance(values, dict) else {}
        world.joined[caller.name] = joined
    state = json_of(deployment.owner.request("GET", f"/threads/{world.thread_id}/state")) or {}
    world.checkpoint_id = (state.get("checkpoint") or {}).get("checkpoint_id") or ""
    world.messages = len(messages(state.get("values")))
    return world


def make_cron(deployment: Deployment, world: Owned) -> Owned:
    """The owner's cron on its thread (once a year, holding the marker), for the cron tests alone.

    A creation answered without a ``cron_id`` (a server that answers a Run instead of the Cron) is a
    CRONS-CREATE finding, and the cron is then looked for among the owner's own crons of the thread, by
    its marker: the cron tests still ask whether the other user can reach it. Only a server that made
    none stops them (AUTH-OWNER-ACCESS), never the rest of the area."""
    a = deployment.owner
    cron = {"assistant_id": "agent", "schedule": FAR_SCHEDULE, "metadata": world.tag, "input": human(world.marker)}
    answer = a.request("POST", f"/threads/{world.thread_id}/runs/crons", cron)
    body = json_of(answer)
    if not (isinstance(body, dict) and isinstance(body.get("cron_id"), str)) and answer.status < 300:
        expect_true(False, rule="CRONS-CREATE", expected="a Cron with its cron_id", actual=answer.body_excerpt(200),
                    message=f"POST {answer.path}: the creation answered no cron_id", exchange=answer)
        answer = a.request("POST", "/runs/crons/search", {"thread_id": world.thread_id, "limit": 100})
        body = next((c for c in json_of(answer) or [] if isinstance(c, dict) and world.marker in str(c)), None)
    world.cron_id = str((body or {}).get("cron_id") or "") if isinstance(body, dict) else ""
    if not world.cron_id:
        made(answer, "cron_id", "a cron")  # stops, saying what the server answered
    world.cron_assistant_id = str(body.get("assistant_id") or "")
    return world


def clean(deployment: Deployment, world: Owned) -> None:
    """Best effort, never asserted: delete what both users made."""
    a, b = deployment.owner, deployment.intruder
    for caller, kind, made_id in ((a, "runs/crons", world.cron_id), (a, "threads", world.thread_id),
                                  (a, "assistants", world.assistant_id), (b, "threads", world.intruder_thread_id)):
        if made_id:
            with contextlib.suppress(Exception):
                caller.http.delete(f"/{kind}/{made_id}")
    for caller in (a, b):  # the intruder may have written an item of its own under the same name
        for namespace in (world.namespace, world.private):
            with contextlib.suppress(Exception):
                caller.http.request("DELETE", "/store/items", json={"namespace": namespace, "key": world.key})


# ---------------------------------------------------------------------------------------------- checks
def refused(
    exchange: Exchange,
    world: Owned,
    *,
    rule: str,
    contract: Contract,
    operation: str,
    allowed: tuple[int, ...] = REFUSED,
    not_found: bool = True,
) -> None:
    """The intruder's request was refused (``allowed``) with nothing of the owner's in the answer; a
    refusal the document lists is validated too (ErrorResponse); that it is 404 is AUTH-NOT-FOUND."""
    where = f"{exchange.method} {exchange.path} as the other user"
    expect_status(exchange, list(allowed), rule=rule, message=f"{where}: answered {exchange.status}, not a refusal")
    expect_true(world.marker not in exchange.text, rule=rule, message=f"{where}: the answer holds the owner's data",
                expected="nothing of the owner's", actual=exchange.body_excerpt(200), exchange=exchange)
    responses = contract.operations.get(operation, {}).get("responses", {})
    if exchange.status in allowed and str(exchange.status) in responses:
        contract.validate(exchange, operation, rule=rule)
    if not_found and exchange.status in REFUSED:
        expect_status(exchange, 404, rule="AUTH-NOT-FOUND", message=f"{where}: answered {exchange.status}, not 404")


class Seen(NamedTuple):
    body: Any  # the JSON body, {} when there is none
    exchange: Exchange


def owner_sees(caller: Caller, path: str, rule: str = "AUTH-OWNER-ACCESS", **params: Any) -> Seen:
    """The owner's own read still works (200): its body and exchange (for the checks made on it)."""
    exchange = caller.request("GET", path, **params)
    expect_status(exchange, 200, rule=rule, message=f"GET {path}: the owner's own read answered {exchange.status}")
    body = json_of(exchange)
    return Seen({} if body is None else body, exchange)

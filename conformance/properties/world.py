"""The resources the property layer points generated requests at, and the limits it puts on those requests.

Generated path parameters are random UUIDs, so on their own almost every request under
``/threads/{thread_id}``, ``/assistants/{assistant_id}`` or ``/runs/crons/{cron_id}`` would only ever
exercise the 404 branch. The :class:`World` creates a thread with a finished run and a checkpoint, an
assistant and a cron, all tagged with the session's metadata tag, and :meth:`World.prepare` substitutes
their ids for generated ones that are valid. Operations that destroy what they address (``DELETE``, run
cancellation) get a fresh victim per case, so no case depends on the order operations run in.

The suite may run against a shared server, so :meth:`World.prepare` also keeps every generated request
inside the session: created resources carry the tag, store writes go under the session's namespace,
ids a request would create or destroy are mapped into the session (a constant UUID from the coverage
phase can then never hit another session's resource), webhooks are removed (the server would call
arbitrary hosts), and a status-wide run cancellation, which would cancel everyone's runs, is not sent.
Each change is one a ``before_call`` hook could make; schemathesis re-validates the case afterwards, so
positive and negative cases keep their meaning.
"""

from __future__ import annotations

import contextlib
import copy
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.contract.client import Exchange
from conformance.plugin.session import TEST_KEY, CertificationSession

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
GRAPH = "agent"  # a fixture graph that finishes at once (conformance/graphs)


def own_config(config: dict | None = None) -> dict:
    """``config`` plus a tag of its own, so no two assistants of the suite share a config (a tag, not a
    configurable key: a server may refuse configurable beside context, and graphs see configurable).

    Some servers refuse an assistant whose graph and config another one has (Aegra 0.6.0: a unique index).
    That is a deviation of its own, proven by test_assistants_of_one_graph_may_share_a_config; every other
    scenario, the world's assistant and each canonical request give each assistant, and each PATCHed
    config, a config of its own so that deviation cannot stand in for what they test, nor make their
    outcome depend on what else the server holds."""
    config = dict(config or {})
    config["tags"] = [*(config.get("tags") or []), f"conformance-assistant-{uuid.uuid4().hex}"]
    return config


NEVER_SOON = "0 0 1 1 *"  # cron schedule: 1 January, so a cron made here never fires during a session
STORE_ROOT = "conformance"
ID_KEYS = ("thread_id", "assistant_id", "run_id", "cron_id")
ID_LIST_KEYS = ("thread_ids", "run_ids")
# Operations that only read, whatever their method: their ids and metadata are filters, not resources.
READ_ONLY = re.compile(r"/(search|count|history|namespaces|checkpoint)$")
# Operations whose body names resources to create or destroy: ids there are mapped into the session.
ID_OWNING = ("POST /threads", "POST /assistants", "POST /threads/prune", "POST /runs/cancel")
VICTIM_OPS = {
    "DELETE /threads/{thread_id}": "thread",
    "DELETE /assistants/{assistant_id}": "assistant",
    "DELETE /runs/crons/{cron_id}": "cron",
    "DELETE /threads/{thread_id}/runs/{run_id}": "run",
    "POST /threads/{thread_id}/runs/{run_id}/cancel": "run",
    # These change the shared assistant (its graph, its config, its current version): the operations that
    # read it (graph, schemas, subgraphs, runs) would see what the last generated PATCH left, which depends
    # on the order the workers ran them in. Each case changes an assistant of its own.
    "PATCH /assistants/{assistant_id}": "assistant",
    "POST /assistants/{assistant_id}/latest": "assistant",
}


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and UUID_RE.match(value) is not None


@dataclass
class World:
    """The session's resources for generated requests, and what must be deleted afterwards."""

    http: httpx.Client
    session_id: str
    tag: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)  # thread_id, run_id, assistant_id, cron_id, checkpoint_id
    notes: list[str] = field(default_factory=list)  # resources the target would not create, and why
    refused: list[Exchange] = field(default_factory=list)  # the requests behind those notes, to reproduce them
    secret_headers: tuple[str, ...] = ()
    assistants: set[str] = field(default_factory=set)
    crons: set[str] = field(default_factory=set)
    victims: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # cases may be sent concurrently

    @classmethod
    def open(cls, cert: CertificationSession) -> World:
        assert cert.http is not None
        world = cls(http=cert.http, session_id=cert.id, tag=cert.tag(), secret_headers=cert.secret_headers)
        world._setup(cert)
        return world

    # -------------------------------------------------------------------------------------- resources
    def _post(self, path: str, body: Any) -> dict[str, Any] | None:
        """POST and return the JSON object answered with 200, or None (the reason goes to ``notes``)."""
        try:
            response = self.http.post(path, json=body)
        except httpx.HTTPError as exc:
            self.notes.append(f"POST {path}: {type(exc).__name__}")
            return None
        if response.status_code != 200:
            self.notes.append(f"POST {path}: answered {response.status_code}")
            self.refused.append(Exchange.from_httpx(response.request, response, secret_headers=self.secret_headers))
            return None
        try:
            data = response.json()
        except ValueError:
            self.notes.append(f"POST {path}: the answer is not JSON")
            return None
        return data if isinstance(data, dict) else None

    def _setup(self, cert: CertificationSession) -> None:
        assistant = self.new_assistant()
        if assistant:
            self.ids["assistant_id"] = assistant
        thread = self.new_thread(cert)
        # A thread that never runs, as every real server holds (its values are null): what the generated
        # filters meet must not depend on whether other clients happen to have one.
        self.new_thread(cert)
        runner = assistant or (cert.target.assistants.get(GRAPH) if cert.target else None)
        if thread:
            self.ids["thread_id"] = thread
        if thread and runner:
            run = self._post(f"/threads/{thread}/runs", {"assistant_id": runner, "input": _human("properties")})
            if run and run.get("run_id"):
                self.ids["run_id"] = run["run_id"]
        cron = self.new_cron()
        if cron:
            self.ids["cron_id"] = cron
        if "run_id" in self.ids:
            # The run must be finished: join, stream and state/{checkpoint_id} then answer at once.
            self._wait_for_run(thread, self.ids["run_id"], min(cert.settings.run_timeout, 30.0))
            with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError, TypeError):
                state = self.http.get(f"/threads/{thread}/state").json()
                checkpoint = (state.get("checkpoint") or {}).get("checkpoint_id")
                if is_uuid(checkpoint):
                    self.ids["checkpoint_id"] = checkpoint

    def _wait_for_run(self, thread: str, run: str, seconds: float) -> None:
        """Join the world's run, then poll its status until it is final (a server whose join answers before
        the run ends would otherwise leave the world without a checkpoint now and then; joining is judged by
        its own scenarios, not here). Bounded (the run timeout, at most 30 s)."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(httpx.HTTPError):
            self.http.get(f"/threads/{thread}/runs/{run}/join")
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError):
                if self.http.get(f"/threads/{thread}/runs/{run}").json().get("status") not in ("pending", "running"):
                    return
            time.sleep(0.2)  # poll interval, bounded by the deadline above

    def new_thread(self, cert: CertificationSession | None = None) -> str | None:
        thread = self._post("/threads", {"metadata": {**self.tag, "role": "property-layer"}})
        thread_id = (thread or {}).get("thread_id")
        if thread_id and cert is not None:
            cert.track_thread(thread_id)
        return thread_id

    def new_assistant(self) -> str | None:
        body = {"graph_id": GRAPH, "metadata": dict(self.tag), "name": "conformance property layer",
                "config": own_config()}  # fmt: skip
        assistant_id = (self._post("/assistants", body) or {}).get("assistant_id")
        if assistant_id:
            self.assistants.add(assistant_id)
        return assistant_id

    def new_cron(self) -> str | None:
        runner = self.ids.get("assistant_id")
        if not runner:
            return None
        body = {"assistant_id": runner, "schedule": NEVER_SOON, "input": _human("cron"), "metadata": dict(self.tag)}
        cron_id = (self._post("/runs/crons", body) or {}).get("cron_id")
        if cron_id:
            self.crons.add(cron_id)
        return cron_id

    def new_run(self) -> tuple[str, str] | None:
        """A pending run on a thread of its own (so runs never queue behind each other)."""
        thread = self.new_thread()
        runner = self.ids.get("assistant_id")
        if not thread or not runner:
            return None
        run = self._post(f"/threads/{thread}/runs", {"assistant_id": runner, "input": _human("victim")})
        return (thread, run["run_id"]) if run and run.get("run_id") else None

    def _victim(self, kind: str) -> dict[str, str]:
        with self.lock:
            self.victims += 1
        if kind == "thread":
            found = self.new_thread()
            return {"thread_id": found} if found else {}
        if kind == "assistant":
            found = self.new_assistant()
            return {"assistant_id": found} if found else {}
        if kind == "cron":
            found = self.new_cron()
            return {"cron_id": found} if found else {}
        pair = self.new_run()
        return {"thread_id": pair[0], "run_id": pair[1]} if pair else {}

    # ---------------------------------------------------------------------------------------- requests
    def prepare(self, case: Any, label: str, tagged: bool) -> str | None:
        """Point ``case`` at the session's resources and keep it inside the session.

        Returns why the case must not be sent, or None. ``tagged``: the operation creates or updates
        something whose body has a ``metadata`` object, which then gets the session tag.
        """
        params = dict(case.path_parameters or {})
        if params and all(is_uuid(v) for k, v in params.items() if k in (*ID_KEYS, "checkpoint_id")):
            ids = self._victim(VICTIM_OPS[label]) if label in VICTIM_OPS else self.ids
            changed = {k: ids[k] for k in params if k in ids}
            if changed:
                case.path_parameters = {**params, **changed}
        body = case.body
        if not isinstance(body, dict | list):
            return None
        body = copy.deepcopy(body)
        if label == "POST /runs/cancel" and isinstance(body, dict):
            # As a server reads it: a status in any case, and no thread or run ids that count (empty ones do not).
            status = str(body.get("status") or "").lower()
            if status in ("pending", "running", "all") and not (body.get("thread_id") or body.get("run_ids")):
                return "a status-wide run cancellation would cancel other sessions' runs"
        for item in body if isinstance(body, list) else [body]:
            if not isinstance(item, dict):
                continue
            item.pop("webhook", None)
            if tagged and isinstance(item.get("metadata", {}), dict):
                item["metadata"] = {**item.get("metadata", {}), **self.tag}
            if label in ID_OWNING:
                self._own_ids(item)
            if label in ("PUT /store/items", "DELETE /store/items"):
                namespace = item.get("namespace", [])
                if isinstance(namespace, list):
                    item["namespace"] = [*self.namespace, *namespace]
        case.body = body
        return None

    @property
    def namespace(self) -> list[str]:
        """The world's own store namespace, inside the session's: close() empties it while the store module
        may still use the session's (its fixtures write beside it)."""
        return [STORE_ROOT, self.session_id, f"properties-{self.tag.get(TEST_KEY, 'world')[:12]}"]

    def _own_ids(self, item: dict[str, Any]) -> None:
        """Map the ids a request would create or destroy into this session (valid UUIDs stay valid)."""
        for key in ID_KEYS:
            if is_uuid(item.get(key)):
                item[key] = self.session_uuid(item[key])
        for key in ID_LIST_KEYS:
            if isinstance(item.get(key), list):
                item[key] = [self.session_uuid(v) if is_uuid(v) else v for v in item[key]]

    def session_uuid(self, value: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:conformance:{self.session_id}:{value.lower()}"))

    def note_created(self, label: str, status: int, body: Any) -> None:
        """Remember assistants and crons a generated request created, to delete them at the end."""
        if status != 200 or not isinstance(body, dict):
            return
        if label == "POST /assistants" and is_uuid(body.get("assistant_id")):
            self.assistants.add(body["assistant_id"])
        if label in ("POST /runs/crons", "POST /threads/{thread_id}/runs/crons") and is_uuid(body.get("cron_id")):
            self.crons.add(body["cron_id"])

    # ----------------------------------------------------------------------------------------- cleanup
    def close(self) -> dict[str, int]:
        """Delete the world's assistants, crons and store items (threads: the session's cleanup).

        Only what carries this world's tag or lies in its own namespace, or what it created, is touched.
        """
        deleted = failed = 0
        crons = set(self.crons) | self._tagged("/runs/crons/search", "cron_id")
        assistants = set(self.assistants) | self._tagged("/assistants/search", "assistant_id")
        for path in [f"/runs/crons/{c}" for c in sorted(crons)] + [f"/assistants/{a}" for a in sorted(assistants)]:
            ok = self._delete(path)
            deleted += ok
            failed += not ok
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError, TypeError):
            found = self.http.post("/store/items/search", json={"namespace_prefix": self.namespace, "limit": 1000})
            for item in found.json().get("items", []) if found.status_code == 200 else []:
                if item.get("namespace", [])[: len(self.namespace)] != self.namespace:
                    continue
                response = self.http.request(
                    "DELETE", "/store/items", json={"namespace": item["namespace"], "key": item["key"]}
                )
                deleted += response.status_code in (200, 204, 404)
        return {"deleted": deleted, "failed": failed}

    def _tagged(self, path: str, key: str) -> set[str]:
        """Ids of resources whose metadata carries this world's own tag, as a search reports them.

        The world's tag, not the session's: the other modules' resources carry the session's tag too, and
        the world closes when the property layer ends, while they may still be in use (the crons module's
        every-minute cron, deleted here before it fired, made its test fail now and then)."""
        try:
            response = self.http.post(path, json={"metadata": dict(self.tag), "limit": 1000})
            found = response.json() if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            return set()
        ids = set()
        for entry in found if isinstance(found, list) else []:
            if not isinstance(entry, dict):
                continue
            metadata = entry.get("metadata") or (entry.get("payload") or {}).get("metadata") or {}
            mine = isinstance(metadata, dict) and all(metadata.get(k) == v for k, v in self.tag.items())
            if mine and is_uuid(entry.get(key)):
                ids.add(entry[key])
        return ids

    def _delete(self, path: str) -> bool:
        try:
            return self.http.delete(path).status_code in (200, 202, 204, 404)
        except httpx.HTTPError:
            return False


def _human(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "human", "content": text}]}

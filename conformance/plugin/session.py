"""One certification session: the target, the shared HTTP client, the contract, and what the suite made.

Everything the suite creates on the target carries ``metadata.conformance_session`` with this session's
id (store items live under the namespace ``["conformance", <id>]``). At the end the suite deletes exactly
the threads, assistants and crons that carry it and that namespace, so it can run against a shared server
without touching anyone else's data (tests/test_busy_server.py proves it).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.contract.client import make_http
from conformance.contract.document import Contract, SpecError
from conformance.contract.failures import HarnessError
from conformance.graphs import deploy
from conformance.paths import PackageDataError
from conformance.plugin.settings import Settings
from conformance.plugin.throttle import InFlightCap
from conformance.targets import reference
from conformance.targets.preflight import Target, name_from_url, preflight, start_embedded

SESSION_KEY = "conformance_session"
TEST_KEY = "conformance_test"
CLEANUP_PAGE = 1000


@dataclass
class CertificationSession:
    settings: Settings
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    target: Target | None = None
    http: httpx.Client | None = None
    secret_headers: tuple[str, ...] = ()
    contract: Contract | None = None
    created_threads: set[str] = field(default_factory=set)
    running: reference.RunningReference | None = None
    cleanup_summary: dict[str, int] = field(default_factory=dict)
    planned_name: str = ""
    request_slots: int = 8  # this process's share of --max-in-flight (conformance/plugin/throttle.py)
    cap: InFlightCap | None = None
    shared_url: str | None = None  # on an xdist worker: the target its controller connected to (plugin/parallel.py)
    # The bearer tokens of the two users of the auth area's own deployment (the embedded reference's, which
    # the auth area starts): random per session, the same on every xdist worker, never shown in a report.
    auth_tokens: dict[str, str] = field(default_factory=deploy.auth_tokens)

    def tag(self) -> dict[str, str]:
        """Metadata for one test's resources: the session tag plus a tag unique to the test."""
        return {SESSION_KEY: self.id, TEST_KEY: uuid.uuid4().hex}

    def load_contract(self) -> Contract:
        if self.contract is None:
            from pathlib import Path

            spec = Path(self.settings.spec) if self.settings.spec else None
            errata = Path(self.settings.errata) if self.settings.errata else None
            try:
                self.contract = Contract.load(spec, errata)
            except (SpecError, PackageDataError) as exc:
                raise HarnessError(str(exc)) from None
        return self.contract

    def connect(self, log=None) -> Target:
        """Reach the target (starting the embedded reference if no URL was given) and preflight it."""
        if self.target is not None:
            return self.target
        self.load_contract()
        url = self.settings.target_url
        embedded = url is None
        if embedded and self.shared_url:
            url = self.shared_url  # the controller started the embedded reference for every worker
        elif embedded:
            url, self.running = start_embedded(self.settings.reference_cache, log)
        self.cap = InFlightCap(url, self.request_slots, self.settings.request_timeout)
        self.cap.install()
        self.http, self.secret_headers = make_http(
            url,
            api_key=self.settings.api_key,
            headers=self.settings.target_header,
            timeout=self.settings.request_timeout,
        )
        try:
            info, assistants = preflight(self.http, url)
        except HarnessError:
            self.close()
            raise
        name = self.settings.target_name or (reference.REFERENCE_NAME if embedded else name_from_url(url))
        self.target = Target(url=url, name=name, embedded=embedded, info=info, assistants=assistants)
        return self.target

    def track_thread(self, thread_id: str) -> None:
        self.created_threads.add(thread_id)

    def cleanup(self) -> None:
        """Delete every thread, assistant and cron tagged with this session, and its store namespace; nothing else."""
        if self.http is None or self.target is None:
            return
        summary = {"deleted": 0, "failed": 0}
        tagged = self._tagged("/threads/search", "thread_id", extra={"select": ["thread_id", "metadata"]})
        # Threads the search did not return (a target whose search is broken) are checked one by one.
        for thread_id in sorted(self.created_threads - tagged):
            with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError):
                response = self.http.get(f"/threads/{thread_id}")
                if response.status_code == 200 and (response.json().get("metadata") or {}).get(SESSION_KEY) == self.id:
                    tagged.add(thread_id)
        crons = self._tagged("/runs/crons/search", "cron_id")
        assistants = self._tagged("/assistants/search", "assistant_id")
        paths = [f"/runs/crons/{c}" for c in sorted(crons)]
        paths += [f"/threads/{t}" for t in sorted(tagged)]
        paths += [f"/assistants/{a}" for a in sorted(assistants)]
        for path in paths:
            try:
                ok = self.http.delete(path).status_code in (200, 202, 204, 404)
            except httpx.HTTPError:
                ok = False
            summary["deleted" if ok else "failed"] += 1
        summary["deleted"] += self._delete_store_namespace()
        self.cleanup_summary = summary

    @property
    def store_namespace(self) -> list[str]:
        """Where everything the session writes to the store lives."""
        return ["conformance", self.id]

    def _tagged(self, path: str, key: str, extra: dict[str, Any] | None = None) -> set[str]:
        """Ids of the resources whose metadata carries this session's tag, paging through every result."""
        found: set[str] = set()
        offset = 0
        with contextlib.suppress(httpx.HTTPError, ValueError):
            while True:
                body = {"metadata": {SESSION_KEY: self.id}, "limit": CLEANUP_PAGE, "offset": offset, **(extra or {})}
                response = self.http.post(path, json=body)
                page = response.json() if response.status_code == 200 else []
                if not isinstance(page, list):
                    break
                for entry in page:
                    if not isinstance(entry, dict):
                        continue
                    metadata = entry.get("metadata") or (entry.get("payload") or {}).get("metadata") or {}
                    if isinstance(metadata, dict) and metadata.get(SESSION_KEY) == self.id and entry.get(key):
                        found.add(str(entry[key]))
                if len(page) < CLEANUP_PAGE:
                    break
                offset += CLEANUP_PAGE
        return found

    def _delete_store_namespace(self) -> int:
        deleted = 0
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError, TypeError):
            for _ in range(10):  # bounded: a store that will not delete must not keep the session alive
                body = {"namespace_prefix": self.store_namespace, "limit": CLEANUP_PAGE}
                response = self.http.post("/store/items/search", json=body)
                items = response.json().get("items", []) if response.status_code == 200 else []
                mine = [i for i in items if i.get("namespace", [])[:2] == self.store_namespace]
                for item in mine:
                    answer = self.http.request(
                        "DELETE", "/store/items", json={"namespace": item["namespace"], "key": item["key"]}
                    )
                    deleted += answer.status_code in (200, 204, 404)
                if len(mine) < CLEANUP_PAGE or not mine:
                    break
        return deleted

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.cap is not None:
            self.cap.uninstall()
            self.cap = None
        if self.running is not None:
            self.running.stop()
            self.running = None

    def info(self) -> dict[str, Any]:
        return self.target.info if self.target else {}

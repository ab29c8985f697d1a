"""One certification session: the target, the shared HTTP client, the contract, and what the suite made.

Everything the suite creates on the target carries ``metadata.conformance_session`` with this session's
id. At the end the suite deletes exactly the threads that carry it, so it can run against a shared
server without touching anyone else's data.
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
from conformance.paths import PackageDataError
from conformance.plugin.settings import Settings
from conformance.targets import reference
from conformance.targets.preflight import Target, name_from_url, preflight, start_embedded

SESSION_KEY = "conformance_session"
TEST_KEY = "conformance_test"


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
        if embedded:
            url, self.running = start_embedded(self.settings.reference_cache, log)
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
        """Delete every thread tagged with this session, and nothing else."""
        if self.http is None or self.target is None:
            return
        deleted = failed = 0
        tagged: set[str] = set()
        offset = 0
        with contextlib.suppress(httpx.HTTPError, ValueError):
            while True:
                response = self.http.post(
                    "/threads/search",
                    json={
                        "metadata": {SESSION_KEY: self.id},
                        "limit": 1000,
                        "offset": offset,
                        "select": ["thread_id", "metadata"],
                    },
                )
                page = response.json() if response.status_code == 200 else []
                if not isinstance(page, list):
                    break
                tagged |= {
                    t["thread_id"]
                    for t in page
                    if isinstance(t, dict) and (t.get("metadata") or {}).get(SESSION_KEY) == self.id
                }
                if len(page) < 1000:
                    break
                offset += 1000
        # Threads the search did not return (a target whose search is broken) are checked one by one.
        for thread_id in sorted(self.created_threads - tagged):
            with contextlib.suppress(httpx.HTTPError, ValueError):
                response = self.http.get(f"/threads/{thread_id}")
                if response.status_code == 200 and (response.json().get("metadata") or {}).get(SESSION_KEY) == self.id:
                    tagged.add(thread_id)
        for thread_id in sorted(tagged):
            try:
                response = self.http.delete(f"/threads/{thread_id}")
                ok = response.status_code in (200, 202, 204, 404)
            except httpx.HTTPError:
                ok = False
            deleted += ok
            failed += not ok
        self.cleanup_summary = {"deleted": deleted, "failed": failed}

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.running is not None:
            self.running.stop()
            self.running = None

    def info(self) -> dict[str, Any]:
        return self.target.info if self.target else {}

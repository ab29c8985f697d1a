"""Fixtures shared by the conformance tests: the user-level API and threads prepared in each status.

Runs are slow compared with requests (an Agent Server picks a run up in about a second), so the threads
that need a finished run are prepared once per session, all runs started together, and then only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conformance.plugin.webhooks import WebhookReceiver, placement
from conformance.tests.flows import Api, human


@pytest.fixture
def api(client, contract, certification, tag) -> Api:
    return Api(client, contract, certification, tag)


@dataclass
class PreparedThreads:
    """Threads driven into each final status, all tagged with ``tag`` and nothing else shares it."""

    tag: dict[str, str]
    marker: str  # a value only the "done" thread holds in its state (for the values filter)
    ids: dict[str, str] = field(default_factory=dict)  # role -> thread id
    runs: dict[str, str] = field(default_factory=dict)  # role -> run id
    statuses: dict[str, str] = field(default_factory=dict)  # role -> the thread status it must show

    def by_status(self, status: str) -> set[str]:
        return {self.ids[role] for role, s in self.statuses.items() if s == status}


PREPARED = {  # role -> (graph, expected thread status)
    "done": ("agent", "idle"),
    "interrupted": ("interrupt", "interrupted"),
    "error": ("fail", "error"),
}


@pytest.fixture(scope="session")
def prepared(certification, contract) -> PreparedThreads:
    api = Api.for_session(certification, contract)
    prepared = PreparedThreads(tag=api.tag, marker=f"marker-{api.tag['conformance_test']}")
    prepared.ids["idle"] = api.create_thread({"role": "idle"})["thread_id"]
    prepared.statuses["idle"] = "idle"
    for role, (graph, status) in PREPARED.items():
        thread_id = api.create_thread({"role": role})["thread_id"]
        run, _ = api.start_run(
            thread_id, graph, human("hello", answer=prepared.marker if role == "done" else None), schema=False
        )
        prepared.ids[role], prepared.runs[role], prepared.statuses[role] = thread_id, run["run_id"], status
    for role in PREPARED:
        api.wait_run(prepared.ids[role], prepared.runs[role], schema=False)
    return prepared


@pytest.fixture(scope="session")
def webhook_receiver(certification):
    """The session's webhook receiver, started by the first test that needs it and stopped at the end.

    A target that cannot reach it (not on loopback, no callback_host) makes every test using it
    unsupported, with the reason."""
    where = placement(certification.target.url, certification.settings.callback_host)
    if where.unsupported:
        pytest.skip(f"webhooks unsupported here: {where.unsupported}")
    try:
        receiver = WebhookReceiver(where).start()
    except OSError as exc:
        port = where.port or "(any)"
        raise RuntimeError(f"the suite's webhook receiver cannot listen on port {port}: {exc}") from None
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked with flows.run_at("first") run before all others and run_at("last") after all others
    (each group keeps its collection order); everything else keeps its order."""

    def position(item: pytest.Item) -> int:
        order = getattr(getattr(item, "function", None), "conformance_order", None)
        return {"first": 0, "last": 2}.get(order, 1)

    items[:] = sorted(items, key=position)  # sorted() is stable

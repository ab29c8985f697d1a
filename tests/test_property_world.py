"""The property layer's world removes what it made and nothing else of the session.

The world closes when the property layer ends, and under ``-n 2`` the other modules may still be running
on the other worker with resources that carry the same session tag. Before, the world deleted every
session-tagged cron and assistant and emptied the session's whole store namespace: the crons module's
every-minute cron was deleted before it fired in about half of the reference's certifications (the
suite's bug, first taken for the reference's).
"""

from __future__ import annotations

import uuid

import httpx

from conformance.plugin.session import SESSION_KEY, TEST_KEY
from conformance.properties.world import World

NEVER_SOON = "0 0 1 1 *"


def _put(http: httpx.Client, namespace: list[str]) -> bool:
    return http.put("/store/items", json={"namespace": namespace, "key": "k", "value": {}}).status_code in (200, 204)


def _items(http: httpx.Client, namespace: list[str]) -> list:
    """The items under ``namespace`` (a search: the reference answers GET of a deleted item 200 null)."""
    return http.post("/store/items/search", json={"namespace_prefix": namespace, "limit": 10}).json()["items"]


def test_closing_the_world_leaves_the_other_modules_resources(reference_url):
    session = uuid.uuid4().hex[:16]
    with httpx.Client(base_url=reference_url, timeout=30) as http:
        world = World(http=http, session_id=session, tag={SESSION_KEY: session, TEST_KEY: uuid.uuid4().hex})
        world.ids["assistant_id"] = world.new_assistant()
        own_cron = world.new_cron()
        own_item = [*world.namespace, "canonical"]
        assert _put(http, own_item)
        other = {SESSION_KEY: session, TEST_KEY: uuid.uuid4().hex}  # another module's resources, same session
        body = {"assistant_id": "agent", "schedule": NEVER_SOON, "metadata": other}
        other_cron = http.post("/runs/crons", json=body).json()["cron_id"]
        other_assistant = http.post("/assistants", json={"graph_id": "agent", "metadata": other}).json()["assistant_id"]
        other_item = ["conformance", session, "store-module"]
        assert _put(http, other_item)

        world.close()

        assert http.get(f"/runs/crons/{own_cron}").status_code == 404, "the world left its own cron"
        assert http.get(f"/assistants/{world.ids['assistant_id']}").status_code == 404
        assert not _items(http, own_item), "the world left its own store item"
        assert http.get(f"/runs/crons/{other_cron}").status_code == 200, "the world deleted another module's cron"
        assert http.get(f"/assistants/{other_assistant}").status_code == 200, "it deleted another's assistant"
        assert _items(http, other_item), "it emptied another module's store items"
        http.delete(f"/runs/crons/{other_cron}")
        http.delete(f"/assistants/{other_assistant}")
        http.request("DELETE", "/store/items", json={"namespace": other_item, "key": "k"})

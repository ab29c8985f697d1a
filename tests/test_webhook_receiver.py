"""The suite's webhook receiver: where it listens, what it records, and that every wait is bounded."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from conformance.plugin.webhooks import (
    PATH_PREFIX,
    WebhookReceiver,
    is_loopback,
    placement,
    refused,
    split_host_port,
)


@pytest.mark.parametrize(
    ("url", "callback", "bind", "public", "port"),
    [
        ("http://127.0.0.1:2024", None, "127.0.0.1", "127.0.0.1", 0),
        ("http://localhost:2024", None, "127.0.0.1", "127.0.0.1", 0),
        ("http://[::1]:2024", None, "127.0.0.1", "127.0.0.1", 0),
        ("https://agents.example.com", "ci-runner.internal", "", "ci-runner.internal", 0),
        ("https://agents.example.com", "10.0.0.5:8765", "", "10.0.0.5", 8765),
        ("http://127.0.0.1:2024", "host.docker.internal:9000", "", "host.docker.internal", 9000),
    ],
)
def test_placement(url, callback, bind, public, port):
    where = placement(url, callback)
    assert (where.bind_host, where.public_host, where.port, where.unsupported) == (bind, public, port, None)


def test_a_remote_target_without_a_callback_host_is_unsupported_with_the_reason():
    where = placement("https://agents.example.com:443", None)
    assert where.unsupported and "agents.example.com" in where.unsupported and "--callback-host" in where.unsupported


@pytest.mark.parametrize("value", ["", "http://me/", "me:0", "me:99999", "user@me", "me/x"])
def test_bad_callback_hosts_are_refused(value):
    with pytest.raises(ValueError):
        split_host_port(value)


def test_loopback_names():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "api.localhost"))
    assert not any(is_loopback(h) for h in ("10.0.0.1", "example.com", "", None))


def test_calls_are_recorded_per_hook_and_waits_end_at_their_deadline():
    receiver = WebhookReceiver(placement("http://127.0.0.1:1", None)).start()
    try:
        mine, other = receiver.hook(), receiver.hook()
        url = mine.url
        assert mine.url.startswith(f"http://127.0.0.1:{receiver.port}{PATH_PREFIX}/") and mine.url != other.url
        answer = httpx.post(mine.url, json={"run_id": "r1", "status": "success"}, timeout=5)
        assert answer.status_code == 200
        assert httpx.post(f"{receiver.public_base}/elsewhere", json={}, timeout=5).status_code == 404
        calls = mine.wait(5)
        assert [(c.method, c.json()) for c in calls] == [("POST", {"run_id": "r1", "status": "success"})]
        assert calls[0].headers["content-type"] == "application/json"
        started = time.monotonic()
        assert other.wait(0.3) == []  # nothing for the other hook, and the wait ends at its deadline
        assert 0.25 <= time.monotonic() - started < 3
    finally:
        receiver.stop()
    with pytest.raises(httpx.TransportError):
        httpx.post(url, json={}, timeout=2)  # stopped: nothing listens any more


@pytest.mark.parametrize(
    "detail",
    [
        "Webhook host blocked: loopback IP range",
        "Loopback webhooks (relative URLs and localhost) are disabled by default. They bypass authentication",
        "Webhook must use https",
        "Webhook domain not allowed",
        "Webhook port 80 not allowed",
    ],
)
def test_a_webhook_url_refused_by_policy_is_named_with_the_setting_to_change(detail):
    why = refused("POST /runs", 422, json.dumps({"detail": detail}), "http://127.0.0.1:5555")
    assert why is not None and detail[:40] in why
    assert "http://127.0.0.1:5555" in why and "POST /runs answered 422" in why
    assert "webhooks.url.disable_loopback: false" in why and "--callback-host" in why


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (422, {"detail": "Invalid webhook hostname ''"}),  # the suite's URL is valid: the server's failure
        (422, {"detail": [{"loc": ["body", "webhook"], "msg": "extra fields not allowed"}]}),  # the field refused
        (500, {"detail": "Webhook host blocked: loopback IP range"}),  # a crash is never a setting
        (404, {"detail": "Webhook host blocked: loopback IP range"}),
        (422, {"detail": "Thread is busy"}),
        (422, "Webhook host blocked"),  # not a JSON object
    ],
)
def test_other_refusals_are_not_a_webhook_policy(status, body):
    assert refused("POST /runs", status, json.dumps(body), "http://127.0.0.1:5555") is None
    assert refused("POST /runs", status, "<html>Webhook host blocked</html>", "http://127.0.0.1:5555") is None

"""What a server needs, on disk, to be certified: the fixture graphs and each server's configuration.

``conformance graphs DIR`` and the embedded reference write the same files from here, so the server an
author starts from DIR is configured exactly like the reference the suite starts itself:

- ``graphs.py`` and ``langgraph.json``: the Python fixture graphs, with the webhook policy below, for
  the official server (``langgraph dev`` from DIR) and anything else that reads langgraph.json;
- ``aegra.json``: the same keys for Aegra, which looks for aegra.json first;
- ``js/``: the TypeScript twin (``graphs.ts``, its ``langgraph.json``, and ``package.json`` with its lock
  file) for the JavaScript server: ``npm ci`` then ``npx langgraphjs dev`` from DIR/js;
- with ``auth``: ``auth.py`` (the fixture auth of the ``auth`` area: two users, each seeing only their own)
  and the ``auth`` key of langgraph.json and aegra.json pointing at it; ``js/auth.ts``, its TypeScript twin,
  and the same key in js/langgraph.json. Such a deployment answers nobody
  without a token, so it is one of its own, beside the plain one the other areas certify.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

GRAPHS_DIR = Path(__file__).resolve().parent
JS_FILES = ("graphs.ts", "langgraph.json", "package.json", "package-lock.json")
JS_AUTH_FILE = "auth.ts"  # the fixture auth's TypeScript twin (js/auth.ts), written with ``auth``

# langgraph-api (0.16.7 and later) refuses webhook URLs on loopback unless its webhook policy allows them
# (langgraph_api/webhook.py: webhooks.url.disable_loopback defaults to true; a run created with such a
# webhook is answered 422 "Webhook host blocked: loopback IP range"). The suite's webhook receiver listens
# on 127.0.0.1 beside a server started on the same machine, so the deployment opts back in; `langgraph dev`
# hands the key to the server as LANGGRAPH_WEBHOOKS. Giving a url policy at all turns require_https on
# (langgraph_api/config/schemas.py), hence the second key. The only copy of the policy: the embedded
# reference, `conformance graphs` and the runtime-pg bring-up all take it from here.
WEBHOOKS_POLICY: dict[str, Any] = {"url": {"disable_loopback": False, "require_https": False}}
WEBHOOKS_SETTING = "webhooks.url.disable_loopback: false (with require_https: false) in langgraph.json"

# The fixture auth (auth.py). `langgraph dev` lets a request carrying `x-auth-scheme: langsmith` past the
# auth handler (the Studio's own login) unless disable_studio_auth is set: a certification of "nobody gets
# in without a token" must not leave that door open.
AUTH_CONFIG: dict[str, Any] = {"path": "./auth.py:auth", "disable_studio_auth": True}
AUTH_TOKEN_VARIABLE = "CONFORMANCE_AUTH_TOKEN"  # auth.py reads A's token from CONFORMANCE_AUTH_TOKEN_A, B's from _B
AUTH_USERS = ("A", "B")  # the owner and the intruder of the auth area, in that order


def auth_tokens() -> dict[str, str]:
    """Fresh random bearer tokens of the fixture auth's two users (user -> token): a deployment the suite
    starts itself (the embedded reference's, a bring-up's) is reachable by this session only."""
    return {user: secrets.token_urlsafe(24) for user in AUTH_USERS}


def auth_environment(tokens: dict[str, str]) -> dict[str, str]:
    """The environment that hands ``tokens`` to the fixture auth (auth.py) of a server started with it."""
    return {f"{AUTH_TOKEN_VARIABLE}_{user}": token for user, token in tokens.items()}


def auth_headers(tokens: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Each user's headers for the fixture auth, as ``--auth-user`` gives them (user -> its headers)."""
    return {user: (f"Authorization: Bearer {token}",) for user, token in tokens.items()}


def auth_options(url: str, tokens: dict[str, str]) -> tuple[str, ...]:
    """The suite's options that certify a deployment of the fixture auth at ``url``: ``--auth-url`` and
    one ``--auth-user`` per user (secrets: a bring-up shows them redacted)."""
    users = auth_headers(tokens)
    return (f"--auth-url={url}", *(f"--auth-user={user}={h}" for user, headers in users.items() for h in headers))


def langgraph_config(*, auth: bool = False) -> dict[str, Any]:
    """The Python graphs' langgraph.json as a deployment needs it: the package's file plus the webhook
    policy (and, with ``auth``, the fixture auth)."""
    config = json.loads((GRAPHS_DIR / "langgraph.json").read_text(encoding="utf-8"))
    config["webhooks"] = WEBHOOKS_POLICY
    if auth:
        config["auth"] = dict(AUTH_CONFIG)
    return config


def write(folder: Path, *, js: bool = True, auth: bool = False) -> list[Path]:
    """Write the deployment into ``folder`` (created if need be); the files written, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(GRAPHS_DIR / "graphs.py", folder / "graphs.py")
    text = json.dumps(langgraph_config(auth=auth), indent=2) + "\n"
    written = [folder / "graphs.py"]
    if auth:
        shutil.copyfile(GRAPHS_DIR / "auth.py", folder / "auth.py")
        written.append(folder / "auth.py")
    for name in ("langgraph.json", "aegra.json"):
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    if js:
        (folder / "js").mkdir(exist_ok=True)
        for name in JS_FILES:
            shutil.copyfile(GRAPHS_DIR / "js" / name, folder / "js" / name)
            written.append(folder / "js" / name)
        if auth:  # the TypeScript twin of auth.py, and the auth key of the JS server's langgraph.json
            shutil.copyfile(GRAPHS_DIR / "js" / JS_AUTH_FILE, folder / "js" / JS_AUTH_FILE)
            written.append(folder / "js" / JS_AUTH_FILE)
            config = json.loads((folder / "js" / "langgraph.json").read_text(encoding="utf-8"))
            config["auth"] = {**AUTH_CONFIG, "path": f"./{JS_AUTH_FILE}:auth"}
            (folder / "js" / "langgraph.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return written

"""The fixture auth: two users, each seeing only what they made, for the suite's ``auth`` area.

A deployment written by ``conformance graphs DIR --auth`` points langgraph.json's ``auth.path`` here
(``./auth.py:auth``), as the guides "Add custom authentication" and "Resource authorization" show. It
makes the server answer two users, by bearer token, and nobody else:

- ``@auth.authenticate``: ``Authorization: Bearer <token>`` of one of the two users, else 401 (no
  header, another scheme, an unknown token);
- threads, runs, assistants and crons: a create stamps ``metadata.owner`` with the caller's identity, and
  every read, update, delete, search and run is limited to the caller's own (a metadata filter), so the
  server itself answers another user's resource as if it did not exist;
- the store: every namespace is rewritten to start with the caller's identity (the store has no
  metadata to filter by), so one user's namespace never reaches another's items.

The tokens come from the environment (``CONFORMANCE_AUTH_TOKEN_A`` and ``_B``: the embedded reference
sets random ones per session) or, when unset, the fixed ones below: this is a test fixture, never a
server anyone else uses. The suite is told each user's header with ``--auth-user``.

Like graphs.py this file runs inside the target, so it imports nothing of the suite.
"""

import os
from typing import Any

from langgraph_sdk import Auth

OWNER_KEY = "owner"
USERS = {  # identity -> the environment variable holding its token, and the token when it is unset
    "conformance-user-a": ("CONFORMANCE_AUTH_TOKEN_A", "conformance-fixture-token-a"),
    "conformance-user-b": ("CONFORMANCE_AUTH_TOKEN_B", "conformance-fixture-token-b"),
}

auth = Auth()


def _tokens() -> dict:
    """token -> identity, read at each request (so a test harness may set the environment late)."""
    return {os.environ.get(variable) or default: identity for identity, (variable, default) in USERS.items()}


def _authorization(headers: Any) -> str:
    """The Authorization header of ``headers``: bytes by bytes as the SDK documents them (the official
    server), or text by text (Aegra); "" when there is none."""
    for name, value in dict(headers or {}).items():
        if (name.decode("latin-1") if isinstance(name, bytes) else str(name)).lower() == "authorization":
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return ""


@auth.authenticate
async def authenticate(headers: dict) -> dict:
    """One of the two users by their bearer token, or 401 for anything else.

    It asks for ``headers``, not ``authorization``: the official server passes a handler the parameters it
    names (the SDK's ``Auth.authenticate``), Aegra passes the request's headers as the one positional
    argument, whatever the handler names it; ``headers`` reads the same on both."""
    scheme, _, token = _authorization(headers).partition(" ")
    identity = _tokens().get(token.strip()) if scheme.lower() == "bearer" else None
    if identity is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="a valid bearer token is required")
    return {"identity": identity, "permissions": []}


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: dict) -> dict:
    """Threads, runs, assistants, crons: stamp the owner on what is created, and see only one's own.

    A run is stamped too (``create_run``): a stateless run's temporary thread takes the run's metadata,
    and without the owner its own user could not read it back (the server answers 404, then 500)."""
    if ctx.action in ("create", "create_run") and isinstance(value, dict):
        metadata = value.get("metadata")
        if not isinstance(metadata, dict):
            metadata = value["metadata"] = {}
        metadata[OWNER_KEY] = ctx.user.identity
    return {OWNER_KEY: ctx.user.identity}


@auth.on.store()
async def own_namespace(ctx: Auth.types.AuthContext, value: dict) -> None:
    """The store: every namespace the caller names lives under the caller's identity."""
    value["namespace"] = (ctx.user.identity, *(value.get("namespace") or ()))

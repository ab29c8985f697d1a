"""Deterministic fixture graphs the conformance suite certifies a target with.

No LLM, no network: every graph's output is a pure function of its input, so a
test can state exactly what the target must return. Any Agent Server can deploy
them through ``langgraph.json`` beside this file.

No ``from __future__ import annotations`` here: servers that load graph files
without registering them in ``sys.modules`` cannot resolve string annotations of
the state schema (seen on Aegra 0.6.0: "name 'Annotated' is not defined").
"""

import asyncio
import json
import operator
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime
from langgraph.types import interrupt as interrupt_now
from typing_extensions import TypedDict  # not typing.TypedDict: on Python < 3.12 pydantic builds no schema from it

ECHO_PREFIX = "echo: "
INTERRUPT_QUESTION = {"question": "approve?"}
FAILURE_MESSAGE = "conformance fixture failure"
STEP_NODES = ("first", "second")
CUSTOM_EVENTS = ({"custom": 1}, {"custom": 2})


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    seconds: float
    answer: Any
    seen: Any
    steps: Annotated[list[str], operator.add]


def _echo(state: State) -> dict:
    human = [m for m in state.get("messages", []) if m.type == "human"]
    text = human[-1].content if human else ""
    return {"messages": [AIMessage(content=f"{ECHO_PREFIX}{text}")]}


def _build(*nodes) -> Any:
    builder = StateGraph(State)
    previous = START
    for name, fn in nodes:
        builder.add_node(name, fn)
        builder.add_edge(previous, name)
        previous = name
    builder.add_edge(previous, END)
    return builder


# agent: appends an AI message "echo: <last human message>".
agent = _build(("echo", _echo)).compile()


def _ask(state: State) -> dict:
    answer = interrupt_now(INTERRUPT_QUESTION)
    return {"answer": answer}


# interrupt: the outer node "review" is a subgraph whose node "ask" interrupts,
# so one graph exercises next/tasks/interrupts and ?subgraphs=true.
_review = _build(("ask", _ask)).compile()
interrupt = _build(("review", _review), ("echo", _echo)).compile()


def _fail(state: State) -> dict:
    raise ValueError(FAILURE_MESSAGE)


# fail: every run ends in error.
fail = _build(("fail", _fail)).compile()


async def _sleep(state: State) -> dict:
    await asyncio.sleep(float(state.get("seconds", 1.0)))
    return _echo(state)


# slow: sleeps for input["seconds"], then echoes; keeps a thread busy on demand.
slow = _build(("sleep", _sleep)).compile()


def _json_safe(mapping: Any) -> dict:
    """The JSON-serialisable entries of ``mapping``, without the runtime's private ("__...") keys."""
    safe = {}
    for key, value in dict(mapping or {}).items():
        if str(key).startswith("__"):
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        safe[str(key)] = value
    return safe


def _identity(configurable: Any) -> Any:
    """The identity a run runs as, on a server with custom auth: the user the server put in
    ``configurable["langgraph_auth_user"]`` (an object or a dict with ``identity``), else
    ``langgraph_auth_user_id``; None without auth."""
    configurable = dict(configurable or {})
    user = configurable.get("langgraph_auth_user")
    identity = getattr(user, "identity", None)
    if identity is None and isinstance(user, dict):
        identity = user.get("identity")
    return identity if identity is not None else configurable.get("langgraph_auth_user_id")


def _see(state: State, config: RunnableConfig, runtime: Runtime) -> dict:
    seen = {"configurable": _json_safe(config.get("configurable")), "context": _json_safe(runtime.context)}
    identity = _identity(config.get("configurable"))
    if identity is not None:
        seen["identity"] = str(identity)
    return {"seen": seen, **_echo(state)}


# configured: records the config.configurable and the context the run was given in state["seen"] (and, on a
# server with custom auth, the identity the run runs as in state["seen"]["identity"]), then echoes.
configured = _build(("see", _see)).compile()


def _step(name: str):
    def step(state: State) -> dict:
        return {"steps": [name], "messages": [AIMessage(content=f"{ECHO_PREFIX}{name}")]}

    return step


# steps: two named nodes, "first" then "second", each appending its name to state["steps"].
steps = _build(*((name, _step(name)) for name in STEP_NODES)).compile()


def _write(state: State) -> dict:
    writer = get_stream_writer()
    for event in CUSTOM_EVENTS:
        writer(dict(event))
    return _echo(state)


# custom: writes CUSTOM_EVENTS with its stream writer (stream_mode "custom"), then echoes.
custom = _build(("write", _write)).compile()

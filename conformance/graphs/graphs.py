"""Deterministic fixture graphs the conformance suite certifies a target with.

No LLM, no network: every graph's output is a pure function of its input, so a
test can state exactly what the target must return. Any Agent Server can deploy
them through ``langgraph.json`` beside this file.

No ``from __future__ import annotations`` here: servers that load graph files
without registering them in ``sys.modules`` cannot resolve string annotations of
the state schema (seen on Aegra 0.6.0: "name 'Annotated' is not defined").
"""

import asyncio
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt as interrupt_now

ECHO_PREFIX = "echo: "
INTERRUPT_QUESTION = {"question": "approve?"}
FAILURE_MESSAGE = "conformance fixture failure"


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    seconds: float
    answer: Any


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

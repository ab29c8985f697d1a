/**
 * The conformance suite's fixture graphs in TypeScript, for JavaScript Agent Servers (langgraphjs).
 *
 * A port of conformance/graphs/graphs.py: the same graph names, node names, state keys and behaviour,
 * so the same scenarios certify a Python server with the Python graphs and a JS server with these.
 * No LLM, no network: every output is a pure function of the input. tests/test_fixture_graphs_parity.py
 * runs the same probes against both and compares the final values.
 */
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import {
  Annotation,
  END,
  interrupt as interruptNow,
  type LangGraphRunnableConfig,
  messagesStateReducer,
  START,
  StateGraph,
} from "@langchain/langgraph";

const ECHO_PREFIX = "echo: ";
const INTERRUPT_QUESTION = { question: "approve?" };
const FAILURE_MESSAGE = "conformance fixture failure";
const STEP_NODES = ["first", "second"] as const;
const CUSTOM_EVENTS = [{ custom: 1 }, { custom: 2 }];

// Python's State: messages (add_messages) and steps (operator.add) start as empty lists, like Python's
// list-typed reducer channels; seconds, answer and seen are last-value keys, absent until written.
const State = Annotation.Root({
  messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }),
  seconds: Annotation<number>(),
  answer: Annotation<unknown>(),
  seen: Annotation<unknown>(),
  steps: Annotation<string[]>({ reducer: (left, right) => left.concat(right), default: () => [] }),
});

type StateType = typeof State.State;
type Update = typeof State.Update;
type Node = (state: StateType, config: LangGraphRunnableConfig) => Update | Promise<Update>;

function echo(state: StateType): Update {
  const human = (state.messages ?? []).filter((message) => message.getType() === "human");
  const text = human.length ? human[human.length - 1].content : "";
  return { messages: [new AIMessage({ content: `${ECHO_PREFIX}${text}` })] };
}

// biome-ignore lint/suspicious/noExplicitAny: nodes may be functions or compiled subgraphs
function build(...nodes: [string, any][]) {
  // biome-ignore lint/suspicious/noExplicitAny: the builder's node-name type grows with each addNode
  const builder: any = new StateGraph(State);
  let previous: string = START;
  for (const [name, fn] of nodes) {
    builder.addNode(name, fn);
    builder.addEdge(previous, name);
    previous = name;
  }
  builder.addEdge(previous, END);
  return builder;
}

// agent: appends an AI message "echo: <last human message>".
export const agent = build(["echo", echo]).compile();

const ask: Node = () => ({ answer: interruptNow(INTERRUPT_QUESTION) });

// interrupt: the outer node "review" is a subgraph whose node "ask" interrupts,
// so one graph exercises next/tasks/interrupts and ?subgraphs=true.
const review = build(["ask", ask]).compile();
export const interrupt = build(["review", review], ["echo", echo]).compile();

const failNode: Node = () => {
  throw new Error(FAILURE_MESSAGE);
};

// fail: every run ends in error.
export const fail = build(["fail", failNode]).compile();

function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error("aborted"));
      return;
    }
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error("aborted"));
      },
      { once: true },
    );
  });
}

const sleepNode: Node = async (state, config) => {
  await sleep(Number(state.seconds ?? 1.0), config.signal);
  return echo(state);
};

// slow: sleeps for input["seconds"], then echoes; keeps a thread busy on demand.
export const slow = build(["sleep", sleepNode]).compile();

function isJson(value: unknown, depth = 0): boolean {
  if (depth > 20) return false;
  if (value === null || ["string", "boolean"].includes(typeof value)) return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(value as object).every((item) => isJson(item, depth + 1));
  }
  return false;
}

/** The JSON-serialisable entries of `mapping`, without the runtime's private ("__...") keys. */
function jsonSafe(mapping: unknown): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  if (mapping === null || typeof mapping !== "object") return safe;
  for (const [key, value] of Object.entries(mapping as object)) {
    if (key.startsWith("__") || !isJson(value)) continue;
    safe[key] = value;
  }
  return safe;
}

/** The identity a run runs as, on a server with custom auth: the user the server put in
 * configurable.langgraph_auth_user (its identity), else langgraph_auth_user_id; undefined without auth. */
function identityOf(configurable: unknown): unknown {
  const given = (configurable ?? {}) as Record<string, unknown>;
  const user = given.langgraph_auth_user as { identity?: unknown } | null | undefined;
  return user?.identity ?? given.langgraph_auth_user_id ?? undefined;
}

const see: Node = (state, config) => {
  const seen: Record<string, unknown> = { configurable: jsonSafe(config.configurable), context: jsonSafe(config.context) };
  const identity = identityOf(config.configurable);
  if (identity !== undefined && identity !== null) seen.identity = String(identity);
  return { seen, ...echo(state) };
};

// configured: records the config.configurable and the context the run was given in state["seen"] (and, on a
// server with custom auth, the identity the run runs as in state["seen"]["identity"]), then echoes.
export const configured = build(["see", see]).compile();

function step(name: string): Node {
  return () => ({ steps: [name], messages: [new AIMessage({ content: `${ECHO_PREFIX}${name}` })] });
}

// steps: two named nodes, "first" then "second", each appending its name to state["steps"].
export const steps = build(...STEP_NODES.map((name): [string, Node] => [name, step(name)])).compile();

const write: Node = (state, config) => {
  for (const event of CUSTOM_EVENTS) config.writer?.({ ...event });
  return echo(state);
};

// custom: writes CUSTOM_EVENTS with its stream writer (stream_mode "custom"), then echoes.
export const custom = build(["write", write]).compile();

/**
 * The host app the conformance bring-up writes for open-langgraph-server (@langgraph-js/pure-graph): a Hono
 * app that registers the suite's TypeScript fixture graphs and mounts the library under PREFIX, as the
 * library's README shows for Hono. Only a /healthz of the host's own sits outside the prefix, for the
 * bring-up to know the process is up. Everything under the prefix is the library's.
 */
import { serve } from "@hono/node-server";
import { registerGraph } from "@langgraph-js/pure-graph";
import LangGraphApp from "@langgraph-js/pure-graph/dist/adapter/hono/index.js";
import { Hono } from "hono";
import * as graphs from "./graphs.ts";

const PREFIX = process.env.CONFORMANCE_PREFIX ?? "/api/langgraph";
const NAMES = ["agent", "interrupt", "fail", "slow", "configured", "steps", "custom"] as const;

for (const name of NAMES) {
  registerGraph(name, graphs[name]);
}
const app = new Hono();
app.get("/healthz", (c) => c.text("ok"));
app.route(PREFIX, LangGraphApp);
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 8123) });

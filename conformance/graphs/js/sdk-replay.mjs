// Replays a list of calls of the official JS client (@langchain/langgraph-sdk) against an Agent Server,
// for the suite's sdk-js area (conformance/tests/test_sdk_js.py).
//
// stdin: {"url", "apiKey", "headers", "timeoutMs", "calls": [{"call": "threads.create", "args": [...]}]}
// An argument string "$N.a.b" stands for field a.b of call N's result (e.g. "$0.thread_id").
// stdout: one JSON document {"sdk_version", "results", "error", "exchanges", "requests"}: every call's result
// in order, the first failing call (then the replay stops), each request the client sent with its response
// (method, url, request body, status, content type, text; never a header, so never a secret), each
// exchange naming the call that sent it, and the requests it sent to the target as [method, path] (no
// query, no header), so the suite's report names the operations the JS client exercised.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Client, overrideFetchImplementation } from "@langchain/langgraph-sdk";

const TEXT_LIMIT = 20000;
const require = createRequire(import.meta.url);
const sdkVersion = require("@langchain/langgraph-sdk/package.json").version;

const plan = JSON.parse(readFileSync(0, "utf-8"));
const target = new URL(plan.url);
const exchanges = [];
const requests = [];
let current = -1;

const realFetch = globalThis.fetch;
overrideFetchImplementation(async (input, init = {}) => {
  const url = typeof input === "string" ? input : (input.url ?? String(input));
  const method = (init.method ?? input.method ?? "GET").toUpperCase();
  let requestBody = null;
  if (typeof init.body === "string") {
    try {
      requestBody = JSON.parse(init.body);
    } catch {
      requestBody = init.body;
    }
  }
  const exchange = { call: current, method, url, request_body: requestBody, status: null, content_type: "", text: "" };
  exchanges.push(exchange);
  const sent = new URL(url, target);
  if (sent.origin === target.origin) requests.push([method, sent.pathname]);
  const response = await realFetch(input, init);
  exchange.status = response.status;
  exchange.content_type = response.headers.get("content-type") ?? "";
  if (!exchange.content_type.includes("text/event-stream")) {
    const text = await response.clone().text();
    exchange.text = text.length > TEXT_LIMIT ? `${text.slice(0, TEXT_LIMIT)}...` : text;
  }
  return response;
});

const client = new Client({
  apiUrl: plan.url,
  apiKey: plan.apiKey ?? null,
  defaultHeaders: plan.headers ?? {},
  timeoutMs: plan.timeoutMs,
  callerOptions: { maxRetries: 0 },
});

const results = [];

function resolve(value) {
  if (typeof value === "string" && /^\$\d+(\.|$)/.test(value)) {
    const [index, ...path] = value.slice(1).split(".");
    return path.reduce((item, key) => (item == null ? item : item[key]), results[Number(index)]);
  }
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item)]));
  }
  return value;
}

let error = null;
for (const [index, step] of plan.calls.entries()) {
  current = index;
  const [area, method] = step.call.split(".");
  try {
    const fn = client[area]?.[method];
    if (typeof fn !== "function") throw new TypeError(`the SDK has no ${step.call}`);
    results.push((await fn.apply(client[area], resolve(step.args ?? []))) ?? null);
  } catch (exc) {
    error = {
      index,
      call: step.call,
      name: exc?.name ?? "Error",
      message: String(exc?.message ?? exc).slice(0, 2000),
      status: exc?.status ?? exc?.response?.status ?? null,
    };
    break;
  }
}

process.stdout.write(JSON.stringify({ sdk_version: sdkVersion, results, error, exchanges, requests }));

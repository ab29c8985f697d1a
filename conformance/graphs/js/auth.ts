/**
 * The fixture auth in TypeScript, for the JavaScript Agent Server (langgraphjs): the twin of
 * conformance/graphs/auth.py for the suite's `auth` area. Two users, by bearer token, each seeing only
 * what they made; nobody else gets in.
 *
 * A deployment written by `conformance graphs DIR --auth` points js/langgraph.json's `auth.path` here
 * (`./auth.ts:auth`), with `disable_studio_auth` so the Studio's `x-auth-scheme: langsmith` header alone
 * does not pass. It uses the JS SDK's `Auth` (`@langchain/langgraph-sdk/auth`):
 *
 * - `authenticate`: `Authorization: Bearer <token>` of one of the two users, else 401;
 * - threads, runs, assistants and crons (`on("*")`): a create stamps `metadata.owner` with the caller's
 *   identity, and every action is limited to the caller's own (a metadata filter);
 * - the store (`on("store")`): the namespace of a put, get or delete is rewritten to start with the
 *   caller's identity, as auth.py does, and a filter on that first label is returned as well: the JS
 *   server applies a store handler's filter to every store action, searches and listings included,
 *   where it does not use a rewritten namespace.
 *
 * The tokens come from CONFORMANCE_AUTH_TOKEN_A and _B (the suite's bring-up sets random ones) or, when
 * unset, the fixed ones below: a test fixture, never a server anyone else uses. Like graphs.ts this file
 * runs inside the target and imports nothing of the suite.
 */
import { Auth, HTTPException } from "@langchain/langgraph-sdk/auth";

const OWNER_KEY = "owner";
// identity -> the environment variable holding its token, and the token when it is unset
const USERS: Record<string, [string, string]> = {
  "conformance-user-a": ["CONFORMANCE_AUTH_TOKEN_A", "conformance-fixture-token-a"],
  "conformance-user-b": ["CONFORMANCE_AUTH_TOKEN_B", "conformance-fixture-token-b"],
};

/** The identity a token belongs to, read at each request (a harness may set the environment late). */
function identityOf(token: string): string | undefined {
  for (const [identity, [variable, fallback]] of Object.entries(USERS)) {
    if (token !== "" && token === (process.env[variable] || fallback)) return identity;
  }
  return undefined;
}

type WithMetadata = { metadata?: Record<string, unknown> | null };
type WithNamespace = { namespace?: string[] | null };

export const auth = new Auth()
  .authenticate(async (request: Request) => {
    const [scheme, ...rest] = (request.headers.get("authorization") ?? "").split(" ");
    const identity = scheme.toLowerCase() === "bearer" ? identityOf(rest.join(" ").trim()) : undefined;
    if (identity === undefined) {
      throw new HTTPException(401, { message: "a valid bearer token is required" });
    }
    return { identity, permissions: [] };
  })
  .on("*", ({ action, value, user }) => {
    // A run is stamped too (create_run): a stateless run's temporary thread takes the run's metadata.
    if ((action === "create" || action === "create_run") && value !== null && typeof value === "object") {
      const made = value as WithMetadata;
      if (made.metadata === null || typeof made.metadata !== "object") made.metadata = {};
      made.metadata[OWNER_KEY] = user.identity;
    }
    return { [OWNER_KEY]: user.identity };
  })
  .on("store", ({ value, user }) => {
    const named = value as WithNamespace;
    named.namespace = [user.identity, ...(named.namespace ?? [])];
    return { namespace: { $contains: user.identity } };
  });

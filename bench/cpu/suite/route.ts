/**
 * The whole `POST /chat/completions` route in Node — Hono, auth, parse, plan, translate, fetch,
 * map or stream — with `fetch` answered from memory. It adds what the pure stages leave out (the
 * framework, the key hash, Request/Response objects, the stream pump) at Node's prices for them.
 */
import { app } from "../../../src/app";
import type { Env } from "../../../src/env";
import { benchEnv } from "./pipeline";

const DEMO_KEY = "sk-bench-demo-key-0123456789";

const env = {
  ...(benchEnv as unknown as Record<string, unknown>),
  DEMO_API_KEY: DEMO_KEY,
  // Warm path: the demo key needs no KV read; a miss would answer "not found".
  CATALOG: { get: async () => null },
} as unknown as Env;

const executionContext = {
  waitUntil(promise: Promise<unknown>) {
    promise.catch(() => {});
  },
  passThroughOnException() {},
  props: {},
} as unknown as ExecutionContext;

/** The upstream's answer for the next request: one JSON text, or stream writes read one by one. */
let upstream: { json: string } | { writes: string[] } = { json: "{}" };

const encoder = new TextEncoder();

function upstreamResponse(): Response {
  if ("json" in upstream) {
    return new Response(upstream.json, { headers: { "content-type": "application/json" } });
  }
  const writes = upstream.writes.map((w) => encoder.encode(w));
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const write = writes[next++];
      if (write) controller.enqueue(write);
      else controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

export function installUpstream(answer: { json: string } | { writes: string[] }): void {
  upstream = answer;
  globalThis.fetch = (async () => upstreamResponse()) as typeof fetch;
}

/** One request through the route; resolves with the response's length once fully read. */
export async function routeOnce(requestText: string): Promise<number> {
  const response = await app.fetch(
    new Request("http://127.0.0.1/api/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${DEMO_KEY}`, "content-type": "application/json" },
      body: requestText,
    }),
    env,
    executionContext,
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`route answered ${response.status}: ${text.slice(0, 300)}`);
  return text.length;
}
